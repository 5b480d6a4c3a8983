#!/usr/bin/python3
"""CPython's pickle as the reference for VectorCodec09Test (three-port protocol, replication 0.9.x).

Answers one request line from stdin with one line on stdout, at once (the test asks as it goes):

  C <hex>          -> "OK <canonical form of pickle.loads(data)>"
  S <hex>          -> "OK <canonical form>" of a Snapshot/ServerSnapshot SET: like C, but the five
                      DATA chunks [type, uuid, owner, deps, data] have chunks 0 and 3 unpickled
  E <hexA> <hexB>  -> "OK True" / "OK False": pickle.loads(a) == pickle.loads(b)
  O <hex>          -> "OK <header protocol> <highest opcode protocol> <opcode names, comma-separated>"
  R <hex>          -> "OK <hex of utf-8 of the one-line rendering>" (as decoded.txt prints values,
                      sets sorted, on one line)
  G <name>         -> "OK <hex>": a hostile or out-of-model pickle written by CPython (see HOSTILE)
  V <name>         -> "OK <hex> <canonical>": a value of the three-port model pickled by CPython (EDGE)

or "ERR <exception type>: <message>". The canonical form is that of pickle_oracle.py (stricter
than ==: it tells 1, 1.0 and True apart, and list from tuple), plus sets:

  set <x,y>   frozenset ~<x,y>   (items sorted by their canonical form)
"""
import collections
import os
import pickle
import pickletools
import sys

from pickle_oracle import canonical  # the same canonical form for both generations (beside this file)


def one_line(value):
    """pprint's rendering (sort_dicts=False) on one line, with set items sorted as pprint sorts them."""
    kind = type(value)
    if kind is dict:
        return '{' + ', '.join(one_line(k) + ': ' + one_line(v) for k, v in value.items()) + '}'
    if kind is list:
        return '[' + ', '.join(one_line(v) for v in value) + ']'
    if kind is tuple:
        return '(' + ', '.join(one_line(v) for v in value) + (',)' if len(value) == 1 else ')')
    if kind in (set, frozenset):
        if not value:
            return kind.__name__ + '()'
        inner = '{' + ', '.join(sorted(one_line(v) for v in value)) + '}'
        return inner if kind is set else 'frozenset(' + inner + ')'
    return repr(value)


def snapshot_set(data):
    value = pickle.loads(data)
    chunks = value['DATA']
    if isinstance(chunks, list):
        value['DATA'] = [pickle.loads(chunks[0]), chunks[1], chunks[2], pickle.loads(chunks[3]), chunks[4]]
    return value


def opcodes(data):
    header = None
    highest = 0
    names = []
    for op, arg, _ in pickletools.genops(data):
        if op.name == 'PROTO':
            header = arg
        highest = max(highest, op.proto)
        if op.name not in names:
            names.append(op.name)
    return '%s %d %s' % (header, highest, ','.join(names))


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
    'auth_with_instance_p4': lambda: pickle.dumps(
        {'AUTH_TYPE': 'ADMIN', 'AUTH_ID': 'alice', 'S_PWD': '', 'A_PWD': Plain(), 'VERSION': '0.9.10'}, protocol=4),
    'metadata_with_reduce_p4': lambda: pickle.dumps({'color': RunsShell()}, protocol=4),
    'right_with_reduce_p4': lambda: pickle.dumps({'uuid': [RunsShell()], 'owner': 'alice'}, protocol=4),
    'snapshot_get_with_reduce_p4': lambda: pickle.dumps({'STATE': 'GET', 'ID': RunsShell()}, protocol=4),
    'kick_with_instance_p4': lambda: pickle.dumps({'user': Plain()}, protocol=4),
    'delete_with_reduce_p4': lambda: pickle.dumps(RunsShell(), protocol=4),
    'ordered_dict_p4': lambda: pickle.dumps(collections.OrderedDict(a=1), protocol=4),
    # Protocol 2 has no set opcodes: CPython writes GLOBAL __builtin__.set + REDUCE, which we refuse.
    'metadata_set_p2': lambda: pickle.dumps({'selected_objects': {'a', 'b'}}, protocol=2),
    'bytearray_p4': lambda: pickle.dumps({'x': bytearray(b'abc')}, protocol=4),
    'deque_p4': lambda: pickle.dumps({'x': collections.deque([1])}, protocol=4),
}

_SELECTION = {'23ff956a-23ea-437d-9007-7e6fcb6da4d3', '3190d1dc-d706-4f2f-9a2c-6f58a6e46973'}

# Values of the three-port value model, as CPython 3.11 writes them (protocol 4 like the client).
EDGE = {
    'metadata_sets_p4': lambda: {
        'selected_objects': set(_SELECTION),
        'empty': set(),
        'frozen': frozenset({'x', 'y'}),
        'empty_frozen': frozenset(),
        'set_of_tuples': {(1, 2), (3, 'a'), ()},
        'set_of_frozensets': {frozenset({1}), frozenset()},
        'frozenset_key': {frozenset({'k'}): 'v'},
        'mixed': {None, True, 2, 2.5, b'b', 'x'},
        'color': (0.25, 0.5, 0.75, 1),
        'view_matrix': None,
        'nested': [{'s': {1, 2}}, ({'t'},)],
    },
    'metadata_many_set_items_p4': lambda: {'selected_objects': {'u%04d' % i for i in range(2500)}},
    'memoized_set_p4': lambda: (lambda s: {'a': s, 'b': s, 'c': [s]})({'shared'}),
    'full_metadata_p4': lambda: {
        'view_corners': [[0.0, 0.0, 0.3]] * 7,
        'view_matrix': [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -10.0], [0.0, 0.0, 0.0, 1.0]],
        'color': (0.9, 0.1, 0.1, 1),
        'frame_current': 7,
        'scene_current': 'Sc\u00e8ne \U0001f600',
        'mode_current': 'EDIT_MESH',
        'selected_objects': set(_SELECTION),
    },
}


def _edge(name):
    value = EDGE[name]()
    data = pickle.dumps(value, protocol=4)
    return data.hex() + ' ' + canonical(pickle.loads(data))


def answer(line):
    parts = line.split(' ')
    op = parts[0]
    if op == 'C':
        return canonical(pickle.loads(bytes.fromhex(parts[1])))
    if op == 'S':
        return canonical(snapshot_set(bytes.fromhex(parts[1])))
    if op == 'E':
        return str(pickle.loads(bytes.fromhex(parts[1])) == pickle.loads(bytes.fromhex(parts[2])))
    if op == 'O':
        return opcodes(bytes.fromhex(parts[1]))
    if op == 'R':
        return one_line(pickle.loads(bytes.fromhex(parts[1]))).encode('utf-8').hex()
    if op == 'G':
        return HOSTILE[parts[1]]().hex()
    if op == 'V':
        return _edge(parts[1])
    raise ValueError('unknown request ' + op)


def main():
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        try:
            reply = 'OK ' + answer(line.rstrip('\n'))
        except Exception as e:  # reported per request: the Java side decides what it means
            reply = 'ERR %s: %s' % (type(e).__name__, str(e).replace('\n', ' '))
        sys.stdout.write(reply + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
