// The admin page: plain DOM, no framework, no request outside this server. The admin secret is
// kept in sessionStorage (this tab only) and sent as a Bearer token to /admin/api.

const API = '/admin/api';
const SECRET_KEY = 'multi-user-server.secret';
const LATENCY_SAMPLES = 180; // three minutes at one view a second

const $ = (id) => document.getElementById(id);
const state = {
  secret: sessionStorage.getItem(SECRET_KEY),
  selected: null,
  live: null, // AbortController of the selected session's event stream
  latency: new Map(), // user name -> recent latencies (ms)
  sessionsTimer: null,
  liveNotice: null, // the status line's text while the live view reconnects: cleared when it is back
};

// ------------------------------------------------------------------ helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return (unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)) + ' ' + units[unit];
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}

function time(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function status(text) {
  $('status').textContent = text;
}

/** A call to the admin API; throws an Error carrying the status and the server's message. */
async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: 'Bearer ' + state.secret }, options.headers || {});
  const response = await fetch(API + path, Object.assign({}, options, { headers }));
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json()).message || message;
    } catch (e) {
      // not JSON: keep the status text
    }
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return response;
}

/** Asks in a modal dialog; resolves true when confirmed. */
function confirmAction(text, action = 'Confirm') {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = action;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

// ------------------------------------------------------------------ login

async function login(secret) {
  state.secret = secret;
  try {
    await api('/sessions');
  } catch (e) {
    state.secret = null;
    throw e;
  }
  sessionStorage.setItem(SECRET_KEY, secret);
}

function showLogin(message = '') {
  stopLive();
  clearInterval(state.sessionsTimer);
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message;
  $('secret').value = '';
  $('secret').focus();
}

function showApp() {
  $('login-view').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  refreshSessions();
  state.sessionsTimer = setInterval(refreshSessions, 2000);
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  try {
    await login($('secret').value);
    showApp();
  } catch (e) {
    $('login-error').textContent = e.status === 403 ? 'Wrong password or token.'
      : e.status === 401 ? 'Enter the admin password or token.'
        : 'Cannot sign in: ' + e.message;
    $('secret').focus();
  }
});

$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(SECRET_KEY);
  state.secret = null;
  state.selected = null;
  showLogin('Logged out.');
});

/** A 401 or 403 later on (the secret changed on the server): back to the sign-in form. */
function handleError(e, what) {
  if (e.status === 401 || e.status === 403) {
    // Signed out already: a request that was under way when the admin logged out says nothing.
    if (state.secret === null) return;
    sessionStorage.removeItem(SECRET_KEY);
    showLogin('Your sign-in is no longer valid; sign in again.');
  } else {
    status(`${what}: ${e.message}`);
  }
}

// ------------------------------------------------------------------ sessions

async function refreshSessions() {
  let sessions;
  try {
    sessions = await (await api('/sessions')).json();
  } catch (e) {
    handleError(e, 'Sessions');
    return;
  }
  if (!state.selected || !sessions.some((s) => s.name === state.selected)) {
    select(sessions.length > 0 ? sessions[0].name : null);
  }
  $('sessions-view').hidden = sessions.length < 2; // one session: its own view says it all
  const body = $('sessions').tBodies[0];
  body.replaceChildren(...sessions.map((s) => el('tr', { 'data-session': s.name, class: s.name === state.selected ? 'selected' : null },
    el('td', {}, el('button', { type: 'button', class: 'link', 'aria-pressed': String(s.name === state.selected),
      onclick: () => select(s.name) }, s.name)),
    el('td', {}, s.protocol),
    el('td', {}, `${s.ports.commands}–${s.ports.heartbeat}`),
    el('td', { class: s.serving ? 'up' : 'down' }, s.serving ? s.state : 'DOWN: ' + s.failure),
    el('td', { class: 'num' }, s.users),
    el('td', { class: 'num' }, s.nodes),
    el('td', { class: 'num' }, bytes(s.payloadBytes)),
    el('td', {}, duration(s.uptimeSeconds)),
    el('td', {}, s.store === null ? 'memory only' : s.store.lastError ? 'failing: ' + s.store.lastError : 'healthy'),
  )));
}

function select(name) {
  if (name === state.selected) return;
  state.selected = name;
  state.latency.clear();
  stopLive();
  $('session-view').hidden = name === null;
  if (name !== null) {
    $('session-title').textContent = 'Session ' + name;
    startLive(name);
    refreshScene();
    refreshTokens();
  }
}

// ------------------------------------------------------------------ live view (server-sent events)

function stopLive() {
  if (state.live) state.live.abort();
  state.live = null;
}

/** Reads /live with fetch (EventSource cannot send the Authorization header); reconnects. */
async function startLive(name) {
  const controller = new AbortController();
  state.live = controller;
  while (!controller.signal.aborted) {
    try {
      const response = await api(`/sessions/${encodeURIComponent(name)}/live`, {
        signal: controller.signal, headers: { Accept: 'text/event-stream' },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
          if (data) renderLive(JSON.parse(data));
        }
      }
    } catch (e) {
      if (controller.signal.aborted) return;
      if (e.status === 401 || e.status === 403) {
        handleError(e, 'Live view');
        return;
      }
      state.liveNotice = `Live view of ${name} interrupted (${e.message}); reconnecting…`;
      status(state.liveNotice);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function renderLive(view) {
  // Back from an interruption: clear only that notice. Any other line (a failed action's reason) stays
  // until the next action replaces it (the live view updates every second).
  if (state.liveNotice !== null && $('status').textContent === state.liveNotice) status('');
  state.liveNotice = null;
  const s = view.session;
  const facts = [
    ['State', s.serving ? s.state : 'DOWN: ' + s.failure], ['Protocol', s.protocol + (s.privateSession ? ' (private)' : '')],
    ['Ports', `${s.ports.commands}–${s.ports.heartbeat}`], ['Users', s.users + (s.maxUsers ? ' of ' + s.maxUsers : '')],
    ['Nodes', s.nodes], ['Scene', bytes(s.payloadBytes)], ['Uptime', duration(s.uptimeSeconds)],
    ['Store', s.store === null ? 'memory only' : s.store.lastError ? 'failing: ' + s.store.lastError
      : `healthy, ${bytes(s.store.logBytes)} log`],
  ];
  $('session-facts').replaceChildren(...facts.map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v))));
  renderUsers(view.users);
  renderActivity(view.activity);
}

function sparkline(values) {
  const width = 90;
  const height = 22;
  const max = Math.max(10, ...values);
  const step = values.length > 1 ? width / (LATENCY_SAMPLES - 1) : 0;
  const points = values.map((v, i) => `${(width - (values.length - 1 - i) * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `latency over the last ${Math.round(values.length / 60)} min, up to ${max} ms`);
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.append(line);
  return svg;
}

function renderUsers(users) {
  const names = new Set(users.map((u) => u.name));
  for (const name of state.latency.keys()) {
    if (!names.has(name)) state.latency.delete(name);
  }
  const rows = users.map((u) => {
    const samples = state.latency.get(u.name) || [];
    if (u.latencyMs !== 999) samples.push(u.latencyMs); // 999: no heartbeat answer yet
    if (samples.length > LATENCY_SAMPLES) samples.splice(0, samples.length - LATENCY_SAMPLES);
    state.latency.set(u.name, samples);
    const d = u.download;
    const download = d === null ? '' : el('div', {},
      el('progress', { max: d.nodesTotal, value: d.nodesSent, 'data-download': u.name,
        'aria-label': `snapshot download of ${u.name}` }),
      el('div', { class: 'download' }, `${d.nodesSent} of ${d.nodesTotal} nodes, ${bytes(d.bytesSent)} of ${bytes(d.bytesTotal)}`,
        d.bytesPerSecond > 0 ? `, ${bytes(d.bytesPerSecond)}/s, ${duration(d.secondsLeft)} left` : ''));
    return el('tr', { 'data-user': u.name },
      el('th', { scope: 'row' }, u.name, u.admin ? el('span', { class: 'badge' }, 'admin') : null),
      el('td', {}, u.status),
      el('td', {}, u.address),
      el('td', {}, time(u.connectedSince)),
      el('td', { class: 'num' }, el('span', { 'data-latency': u.name }, u.latencyMs === 999 ? '–' : u.latencyMs + ' ms'),
        samples.length > 1 ? sparkline(samples) : null),
      el('td', {}, download),
      el('td', { class: 'actions' },
        el('button', { type: 'button', class: 'danger', 'data-kick': u.name, 'aria-label': `Kick ${u.name}`,
          onclick: () => kick(u.name) }, 'Kick'),
        el('button', { type: 'button', class: 'danger', 'data-ban': u.name, 'aria-label': `Ban ${u.name}`,
          onclick: () => ban(u.name) }, 'Ban')));
  });
  $('users').tBodies[0].replaceChildren(...rows);
  $('no-users').hidden = users.length > 0;
}

function renderActivity(events) {
  $('activity').replaceChildren(...events.map((e) => el('li', { 'data-kind': e.kind },
    el('time', { datetime: e.at }, time(e.at)),
    el('span', { class: 'kind kind-' + e.kind }, e.kind),
    e.user ? el('strong', {}, e.user + ' ') : null,
    e.detail)));
}

async function kick(name) {
  if (!(await confirmAction(`Kick ${name} from session ${state.selected}? Their nodes become COMMON.`, 'Kick'))) return;
  try {
    await api(`/sessions/${encodeURIComponent(state.selected)}/users/${encodeURIComponent(name)}/kick`, { method: 'POST' });
    status(`Kicked ${name}.`);
  } catch (e) {
    handleError(e, 'Kick');
  }
}

async function ban(name) {
  if (!(await confirmAction(`Ban ${name} from every session of this server? They are kicked now and refused`
    + ' until the ban is lifted (console: bans, unban).', 'Ban'))) return;
  try {
    const result = await (await api('/bans', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: name, reason: 'banned from the admin page' }),
    })).json();
    status(`Banned ${name} (ban ${result.ban.id}).`);
  } catch (e) {
    handleError(e, 'Ban');
  }
}

// ------------------------------------------------------------------ scene

async function refreshScene() {
  const name = state.selected;
  if (name === null) return;
  try {
    const scene = await (await api(`/sessions/${encodeURIComponent(name)}/scene`)).json();
    $('types').tBodies[0].replaceChildren(...scene.byType.map((t) => el('tr', {},
      el('td', {}, t.type), el('td', { class: 'num' }, t.nodes), el('td', { class: 'num' }, bytes(t.payloadBytes)))));
    $('biggest').tBodies[0].replaceChildren(...scene.biggest.map((n) => el('tr', {},
      el('td', { title: n.uuid }, n.uuid.slice(0, 12)), el('td', {}, n.type || '–'), el('td', {}, n.owner),
      el('td', { class: 'num' }, bytes(n.payloadBytes)))));
  } catch (e) {
    handleError(e, 'Scene');
  }
}

$('scene-refresh').addEventListener('click', refreshScene);

$('export').addEventListener('click', async () => {
  try {
    const response = await api(`/sessions/${encodeURIComponent(state.selected)}/export`);
    const disposition = response.headers.get('Content-Disposition') || '';
    const match = /filename="([^"]+)"/.exec(disposition);
    const url = URL.createObjectURL(await response.blob());
    const link = el('a', { href: url, download: match ? match[1] : 'session.musession' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status('Export downloaded.');
  } catch (e) {
    handleError(e, 'Export');
  }
});

/** Import and reset refuse while users are connected (409); the admin may then force them out. */
async function withForce(what, call) {
  try {
    return await call(false);
  } catch (e) {
    if (e.status !== 409) throw e;
    if (!(await confirmAction(`${e.message}. ${what} anyway?`, what))) return null;
    return call(true);
  }
}

$('import').addEventListener('click', async () => {
  const file = $('import-file').files[0];
  if (!file) {
    status('Choose an export file first.');
    $('import-file').focus();
    return;
  }
  const name = state.selected;
  try {
    const result = await withForce('Import', async (force) => (await api(
      `/sessions/${encodeURIComponent(name)}/import${force ? '?force=true' : ''}`,
      { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } })).json());
    if (result) status(result.message + '.');
    refreshScene();
  } catch (e) {
    handleError(e, 'Import');
  }
});

$('reset').addEventListener('click', async () => {
  const name = state.selected;
  if (!(await confirmAction(`Drop every node of session ${name}? It waits for a new upload.`, 'Reset'))) return;
  try {
    const result = await withForce('Reset', async (force) => (await api(
      `/sessions/${encodeURIComponent(name)}/reset${force ? '?force=true' : ''}`, { method: 'POST' })).json());
    if (result) status(result.message + '.');
    refreshScene();
  } catch (e) {
    handleError(e, 'Reset');
  }
});

// ------------------------------------------------------------------ start

if (state.secret) {
  login(state.secret).then(showApp, () => showLogin());
} else {
  showLogin();
}

// ------------------------------------------------------------------ tunnel tokens

async function refreshTokens() {
  const name = state.selected;
  $('token-created').hidden = true;
  if (name === null) return;
  try {
    const tokens = await (await api(`/sessions/${encodeURIComponent(name)}/tokens`)).json();
    $('no-tokens').hidden = tokens.length > 0;
    $('tokens').tBodies[0].replaceChildren(...tokens.map((t) => el('tr', { 'data-token': t.id },
      el('td', {}, t.id), el('td', {}, t.label), el('td', { class: t.state === 'valid' ? 'up' : 'down' }, t.state),
      el('td', {}, time(t.created)), el('td', {}, t.expires ? time(t.expires) : 'never'),
      el('td', {}, t.state === 'revoked' ? '' : el('button', { type: 'button', class: 'danger',
        onclick: () => revokeToken(t) }, 'Revoke')))));
  } catch (e) {
    handleError(e, 'Tokens');
  }
}

async function revokeToken(token) {
  if (!(await confirmAction(`Revoke ${token.label}'s token ${token.id}? New tunnel connections with it are refused.`,
    'Revoke'))) return;
  try {
    await api(`/sessions/${encodeURIComponent(state.selected)}/tokens/${encodeURIComponent(token.id)}`, { method: 'DELETE' });
    status(`Revoked token ${token.id}.`);
    refreshTokens();
  } catch (e) {
    handleError(e, 'Revoke');
  }
}

$('token-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const hours = $('token-hours').value;
  const body = { label: $('token-label').value };
  if (hours !== '') body.expiresInSeconds = Number(hours) * 3600;
  try {
    const created = await (await api(`/sessions/${encodeURIComponent(state.selected)}/tokens`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    })).json();
    await refreshTokens();
    $('token-command').textContent = created.connect;
    $('token-created').hidden = false;
    $('token-label').value = '';
    status(`Token ${created.info.id} created for ${created.info.label}.`);
  } catch (e) {
    handleError(e, 'Create token');
  }
});
