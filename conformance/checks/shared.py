"""Results of deterministic calls, shared by the cells of one subject in one process.

The cells of a property and subject on the frameworks of a run (refimpl, torch, chainer, in
one dtype) draw the same examples (one hypothesis seed; the same strategy where the API
features agree), and each example calls the same things several times: the reference in
float64 under a policy (every cell of that policy), and each framework in the cell's dtype
(its own cell, and the other cells' cross-checks). ``call`` computes each of those once per
distinct arguments and hands the others the same result, so the trio of cells does about
half the calls, and every comparison still compares what the call really returned.

A key is the callable, the adapters and functions by identity (they live as long as the
session) and every other argument by value: arrays by dtype, shape and bytes (so -0.0 and
0.0, or 1 and 1.0, are different keys), numbers by type and exact value, containers and
``Sample`` by their items. An argument of another type is not keyed: the call runs each time.
A call that raises is not kept: it raises again in each cell, as before.

Results are kept for one group (property and subject) at a time: ``enter`` starts a group,
and forgets the last one; a cell entered twice in a group (a test that re-runs a cell,
perhaps after patching a framework) starts the group afresh. Arrays are kept as read-only
copies, and lists are rebuilt on every hit, so no caller can change what another cell sees.
"""
import numpy

from ..frameworks.base import Adapter
from ..subjects.strategies import Sample


class _Unkeyable(Exception):
    """An argument the key cannot express by value."""


def _array(value):
    if value.dtype.hasobject:
        raise _Unkeyable(value.dtype)
    return "ndarray", value.dtype.str, value.shape, value.tobytes()


def _sequence(value):
    return type(value).__name__, tuple(key_of(item) for item in value)


_KEYS = {  # type -> its key (exact types: numpy.float64 is not float)
    **{kind: (lambda value: (type(value).__name__, value))
       for kind in (bool, int, complex, str, bytes, type(None), type(Ellipsis))},
    float: lambda value: ("float", value.hex()),
    numpy.ndarray: _array,
    tuple: _sequence,
    list: _sequence,
    dict: lambda value: ("dict", tuple((key_of(name), key_of(item))
                                       for name, item in value.items())),
    slice: lambda value: ("slice", key_of(value.start), key_of(value.stop),
                          key_of(value.step)),
    Sample: lambda value: ("Sample", key_of(value.inputs), key_of(value.kwargs)),
}


def key_of(value):
    """A hashable key equal for two arguments exactly when a deterministic call must give
    them the same result; raises ``_Unkeyable`` where that cannot be told."""
    keyed = _KEYS.get(type(value))
    if keyed is not None:
        return keyed(value)
    if isinstance(value, numpy.generic):
        return "scalar", value.dtype.str, value.tobytes()
    if isinstance(value, Adapter) or callable(value):
        return "identity", value  # session-lived: the key keeps it alive, so its id is unique
    raise _Unkeyable(type(value).__name__)


def _kept(value):
    """``value`` with its arrays as read-only copies (what ``_fresh`` hands out)."""
    if isinstance(value, numpy.ndarray):
        copy = numpy.array(value)
        copy.flags.writeable = False
        return copy
    if type(value) in (tuple, list):
        return type(value)(_kept(item) for item in value)
    return value


def _fresh(value):
    """A kept result with new lists (its arrays are read-only, so they can be shared)."""
    if type(value) in (tuple, list):
        return type(value)(_fresh(item) for item in value)
    return value


class SharedCalls:
    """The results of one group's calls (see the module docstring)."""

    def __init__(self):
        self.forget()
        self.hits = self.misses = 0

    def forget(self):
        """Forget every result (the next ``enter`` starts a group)."""
        self.group, self.cells, self.results = None, set(), {}

    def enter(self, group, cell):
        """Start ``cell`` of ``group``; a new group, or a cell seen before, forgets all."""
        if group != self.group or cell in self.cells:
            self.forget()
            self.group = group
        self.cells.add(cell)

    def call(self, function, *args, **kwargs):
        """``function(*args, **kwargs)``, computed once per group and distinct arguments."""
        try:
            key = key_of((function, args, kwargs))
        except _Unkeyable:
            return function(*args, **kwargs)
        if key in self.results:
            self.hits += 1
        else:
            self.misses += 1
            self.results[key] = _kept(function(*args, **kwargs))
        return _fresh(self.results[key])


SHARED = SharedCalls()
