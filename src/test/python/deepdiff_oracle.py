#!/usr/bin/python3
"""Real deepdiff as the reference for DeltaCompactionTest (PROTOCOL-0.9 section 7).

  deepdiff_oracle.py generate DIR   writes, for each scenario (DIR/directed, DIR/symmetric):
                                      base.pkl, final.pkl, delta-NNN.pkl (Delta(DeepDiff(v[i-1], v[i])).dumps()),
                                      kinds.txt (one line per delta: 'vc' if its only key is values_changed, else 'other')
  deepdiff_oracle.py verify DIR     reads the same plus the chain-NNN.pkl files that the Java side folded, and
                                      checks base + chain == base + all deltas == final, strictly (types and dict
                                      order too); 'symmetric' deltas carry old_value, and each old_value must
                                      equal what its path holds when the delta is applied.

Prints 'deepdiff X.Y.Z' first. Exit 0: all good; 1: a check failed (the reason is printed);
3: deepdiff cannot be imported (the test skips then).
"""
import copy
import os
import pickle
import random
import sys

try:
    import deepdiff
    from deepdiff import DeepDiff, Delta
    from deepdiff.path import extract
except ImportError as e:
    print('SKIP: import deepdiff failed: %s' % e)
    sys.exit(3)

SCENARIOS = {'directed': False, 'symmetric': True}


def delta_kwargs(symmetric):
    # deepdiff 6 calls it verify_symmetry; 8 renamed it bidirectional (and keeps the old name, deprecated)
    return {'verify_symmetry': True} if symmetric else {}


def versions():
    """A base node and its successive states: mostly values_changed edits, some other kinds in between."""
    rnd = random.Random(20240509)

    def blob(n):
        return bytes(rnd.getrandbits(8) for _ in range(n))

    base = {
        'name': 'Cube',
        'vertices': blob(2048),
        'location': [0.0, 0.0, 0.0],
        'props': {'a': 1, 'b': 'x', 'nested': {'k': 1.5, 'deep': {'z': blob(64)}}},
        'flags': (True, False, None),
        'count': 3,
        'big': 2 ** 70,
        'uvs': [[0.0, 0.0], [1.0, 0.0]],
        'items': [1, 2, 3],
    }

    def step(fn):
        def apply(v):
            v = copy.deepcopy(v)
            fn(v)
            return v
        return apply

    def s_name_vertices(v):
        v['name'] = 'Cube.001'
        v['vertices'] = blob(2048)

    def s_vertices_location(v):
        v['vertices'] = blob(2048)
        v['location'][1] = 2.5

    def s_nested(v):
        v['props']['nested']['k'] = -7.25
        v['props']['nested']['deep']['z'] = blob(64)

    def s_tuple_item(v):
        v['flags'] = (False, False, None)

    def s_ints(v):
        v['big'] = 2 ** 70 + 12345
        v['count'] = 4

    def s_dict_added(v):
        v['props']['c'] = 1

    def s_vertices(v):
        v['vertices'] = blob(2048)

    def s_uv_name(v):
        v['uvs'][1][0] = 0.5
        v['name'] = 'Cubé ✓'

    def s_type_change(v):
        v['count'] = 'four'

    def s_append(v):
        v['items'].append(4)

    def s_location_two(v):
        v['location'][0] = 1.0
        v['location'][2] = -1.0

    def s_props(v):
        v['props']['a'] = 2
        v['props']['b'] = 'y'

    def s_empty_bytes(v):
        v['props']['nested']['deep']['z'] = b''

    def s_bool_float(v):
        v['flags'] = (False, True, None)
        v['uvs'][0][1] = 1e-300

    def s_same(v):
        pass  # no change: deepdiff dumps {}

    steps = [s_name_vertices, s_vertices_location, s_nested, s_tuple_item, s_ints, s_vertices,
             s_dict_added, s_vertices, s_uv_name, s_vertices, s_type_change, s_vertices, s_vertices,
             s_append, s_location_two, s_props, s_same, s_vertices, s_empty_bytes, s_bool_float,
             s_nested, s_vertices, s_uv_name, s_same, s_same, s_vertices]
    out = [base]
    for fn in steps:
        out.append(step(fn)(out[-1]))
    return out


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def generate(root):
    states = versions()
    for scenario, symmetric in SCENARIOS.items():
        d = os.path.join(root, scenario)
        os.makedirs(d, exist_ok=True)
        write(os.path.join(d, 'base.pkl'), pickle.dumps(states[0], protocol=4))
        write(os.path.join(d, 'final.pkl'), pickle.dumps(states[-1], protocol=4))
        kinds = []
        for i in range(1, len(states)):
            dump = Delta(DeepDiff(states[i - 1], states[i]), **delta_kwargs(symmetric)).dumps()
            write(os.path.join(d, 'delta-%03d.pkl' % i), dump)
            keys = set(pickle.loads(dump).keys())
            kinds.append('vc' if keys <= {'values_changed'} else 'other')
        write(os.path.join(d, 'kinds.txt'), ('\n'.join(kinds) + '\n').encode())
        print('generated %s: %d deltas, kinds %s' % (scenario, len(kinds), ' '.join(kinds)))
    return 0


def apply_all(obj, blobs, symmetric):
    for b in blobs:
        if symmetric:
            check_old_values(obj, b)
        # Delta(bytes) loads with deepdiff's restricted unpickler, as the add-on does
        obj = obj + Delta(b, raise_errors=True)
    return obj


def check_old_values(obj, blob):
    """Every old_value must be what the path holds before the delta. (deepdiff's own check,
    verify_symmetry, is not used: deepdiff 6.2.2 raises on any tuple item change with it.)"""
    for path, change in pickle.loads(blob).get('values_changed', {}).items():
        if 'old_value' in change and not same(extract(obj, path), change['old_value']):
            raise AssertionError('old_value of %s is %r, the object holds %r'
                                 % (path, change['old_value'], extract(obj, path)))


def same(a, b):
    """Stricter than ==: types (1 vs 1.0 vs True, list vs tuple) and dict order must match too."""
    return a == b and DeepDiff(a, b) == {} and pickle.dumps(a, protocol=4) == pickle.dumps(b, protocol=4)


def verify(root):
    failed = 0
    for scenario, symmetric in SCENARIOS.items():
        d = os.path.join(root, scenario)
        names = sorted(os.listdir(d))
        deltas = [read(os.path.join(d, n)) for n in names if n.startswith('delta-')]
        chain = [read(os.path.join(d, n)) for n in names if n.startswith('chain-')]
        base = pickle.loads(read(os.path.join(d, 'base.pkl')))
        final = pickle.loads(read(os.path.join(d, 'final.pkl')))
        try:
            via_deltas = apply_all(copy.deepcopy(base), deltas, symmetric)
            via_chain = apply_all(copy.deepcopy(base), chain, symmetric)
        except Exception as e:  # a DeltaError, or a wrong old_value
            print('%s: applying failed: %s: %s' % (scenario, type(e).__name__, e))
            failed += 1
            continue
        ok_deltas = same(via_deltas, final)
        ok_chain = same(via_chain, final)
        print('%s: %d deltas -> %d chain entries; base+deltas==final %s; base+chain==final %s'
              % (scenario, len(deltas), len(chain), ok_deltas, ok_chain))
        if not (ok_deltas and ok_chain):
            failed += 1
            print('  diff deltas vs final: %s' % DeepDiff(via_deltas, final))
            print('  diff chain vs final: %s' % DeepDiff(via_chain, final))
    print('ORACLE ' + ('FAILED' if failed else 'OK'))
    return 1 if failed else 0


def main(argv):
    print('deepdiff %s' % getattr(deepdiff, '__version__', '?'))
    if len(argv) != 3 or argv[1] not in ('generate', 'verify'):
        print(__doc__)
        return 2
    return generate(argv[2]) if argv[1] == 'generate' else verify(argv[2])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
