#!/usr/bin/python3
"""CPython's pickle as the reference for VectorCodecTest.

Reads every request from stdin, then writes one answer line per request line, in order:

  C <hex>          -> "OK <canonical form of pickle.loads(data)>"
  E <hexA> <hexB>  -> "OK True" / "OK False": pickle.loads(a) == pickle.loads(b)
  G <name>         -> "OK <hex>": a hostile pickle written by CPython (see HOSTILE)
  V <name>         -> "OK <hex> <canonical>": a plain value (see EDGE), pickled by CPython

or "ERR <exception type>: <message>". The canonical form is built the same way by the Java
test; it is stricter than ==: it tells 1, 1.0 and True apart, and list from tuple.

  None N   True T   False F   int i:<decimal>;   float f:<8 IEEE bytes, big-endian, hex>;
  str s:<utf-8 hex>;   bytes b:<hex>;   list [x,y]   tuple (x,y)
  dict {k=v,k=v} with entries sorted by the canonical form of the key
  set <x,y>   frozenset ~<x,y>   (items sorted; protocol 0.9 metadata; pickle_oracle_09.py imports this)
"""
import collections
import datetime
import fractions
import os
import pickle
import struct
import sys


def canonical(value):
    if value is None:
        return 'N'
    if value is True:
        return 'T'
    if value is False:
        return 'F'
    kind = type(value)
    if kind is int:
        return 'i:%d;' % value
    if kind is float:
        return 'f:' + struct.pack('>d', value).hex() + ';'
    if kind is str:
        return 's:' + value.encode('utf-8', 'surrogatepass').hex() + ';'
    if kind is bytes:
        return 'b:' + value.hex() + ';'
    if kind is list:
        return '[' + ','.join(canonical(v) for v in value) + ']'
    if kind is tuple:
        return '(' + ','.join(canonical(v) for v in value) + ')'
    if kind is dict:
        entries = sorted((canonical(k), canonical(v)) for k, v in value.items())
        return '{' + ','.join(k + '=' + v for k, v in entries) + '}'
    if kind is set:  # protocol 0.9 metadata ('selected_objects')
        return '<' + ','.join(sorted(canonical(v) for v in value)) + '>'
    if kind is frozenset:
        return '~<' + ','.join(sorted(canonical(v) for v in value)) + '>'
    raise TypeError('no canonical form for ' + kind.__name__)


class RunsShell:
    """What an attacker would send: unpickling it calls os.system (we never unpickle it)."""

    def __reduce__(self):
        return (os.system, ('echo pwned-by-pickle',))


class Plain:
    def __init__(self):
        self.color = (1.0, 0.0, 0.0, 1.0)


HOSTILE = {
    'os_system_p0': lambda: pickle.dumps(RunsShell(), protocol=0),
    'os_system_p2': lambda: pickle.dumps(RunsShell(), protocol=2),
    'os_system_p4': lambda: pickle.dumps(RunsShell(), protocol=4),
    'instance_p4': lambda: pickle.dumps(Plain(), protocol=4),
    'metadata_with_instance_p4': lambda: pickle.dumps({'color': RunsShell()}, protocol=4),
    'auth_with_instance_p4': lambda: pickle.dumps(
        {'AUTH_TYPE': 'ADMIN', 'AUTH_ID': 'alice', 'PWD': Plain(), 'VERSION': '0.1.25'}, protocol=4),
    'ordered_dict_p2': lambda: pickle.dumps(collections.OrderedDict(a=1), protocol=2),
    'fraction_p4': lambda: pickle.dumps(fractions.Fraction(1, 3), protocol=4),
    'datetime_p4': lambda: pickle.dumps(datetime.datetime(2020, 1, 2, 3, 4, 5), protocol=4),
    'set_p4': lambda: pickle.dumps({1, 2, 3}, protocol=4),
    'frozenset_p4': lambda: pickle.dumps(frozenset({'a'}), protocol=4),
    'bytearray_p5': lambda: pickle.dumps(bytearray(b'abc'), protocol=5),
}


def _shared_names():
    names = [str(i) for i in range(300)]
    return names + names  # the second half are memo references, past index 255: LONG_BINGET


_METADATA = {
    'color': (1.0, 0.5, 0.25, 1),
    'frame_current': 42,
    'scene_current': 'Scene',
    'selected_objects': ['Cube', 'Camera'],
    'view_corners': [[-1.5, 2.25, 0.0], [1e-310, -0.0, 3.0]],
    'view_matrix': [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -10.0], [0.0, 0.0, 0.0, 1.0]],
}

# Values the real client may send, in the opcodes of PROTOCOL.md section 2.
EDGE = {
    'memo_binget_p4': lambda: (lambda s: [s, s, {'k': s, 'l': [s]}])('alice'),
    'memo_long_binget_p4': _shared_names,
    # Several FRAMEs, and large values written unframed after them.
    'frames_and_large_values_p4': lambda: {'a': b'\x01' * 200000, 'b': 'x' * 70000, 'c': [1, 2.5],
                                           'd': bytes(range(256)) * 300, 'e': 'tail'},
    'numbers_p4': lambda: [0, -1, 255, 256, 65535, 65536, 2 ** 31 - 1, -2 ** 31, 2 ** 31, 2 ** 63 - 1,
                           -2 ** 63, 2 ** 64, -2 ** 200, 1.5, -0.0, float('inf'), float('-inf'),
                           float('nan'), 1e-310, True, False, None],
    'strings_and_bytes_p4': lambda: ['', 'é', '\U0001f600 emoji', 'x' * 300, '\u4e2d\u6587', b'', b'\x00\xff',
                                     bytes(range(256)), 'a\nb\x00c'],
    'containers_p4': lambda: {(): [], (1,): (), (1, 2): [()], (1, 2, 3): {}, (1, 2, 3, 4): [[[]]],
                              'none': None, 'nested': {'a': {'b': {'c': [1, (2, [3])]}}}},
    'odd_keys_p4': lambda: {1: 'a', -5: 'b', 2 ** 70: 'c', None: 'd', 1.5: 'e', b'k': 'f', ('t', 1): 'g'},
    'metadata_p3': lambda: _METADATA,
    'metadata_p2': lambda: _METADATA,
}


def _edge(name):
    value = EDGE[name]()
    data = pickle.dumps(value, protocol=int(name[-1]))
    # The canonical form of what CPython reads back: the value as pickle.loads sees it.
    return data.hex() + ' ' + canonical(pickle.loads(data))


def answer(line):
    parts = line.split(' ')
    op = parts[0]
    if op == 'C':
        return canonical(pickle.loads(bytes.fromhex(parts[1])))
    if op == 'E':
        return str(pickle.loads(bytes.fromhex(parts[1])) == pickle.loads(bytes.fromhex(parts[2])))
    if op == 'G':
        return HOSTILE[parts[1]]().hex()
    if op == 'V':
        return _edge(parts[1])
    raise ValueError('unknown request ' + op)


def main():
    requests = sys.stdin.read().splitlines()
    out = []
    for line in requests:
        try:
            out.append('OK ' + answer(line))
        except Exception as e:  # reported per request: the Java side decides what it means
            out.append('ERR %s: %s' % (type(e).__name__, str(e).replace('\n', ' ')))
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
