"""What a behaviour case is, how cases register, and the helpers they share.

A case is a function ``case(adapter, record)`` written once against the adapter protocol
(``conformance.frameworks.base.Adapter``). It records values with ``record(name, value)``
(tensors, arrays, None, booleans, strings, lists of them) and may raise: the harness runs it
on the real framework and on the reference (refimpl) under that framework's policy and
compares the two observations (``conformance.checks.observations``). Steps that are expected
to raise on one side are wrapped in ``attempt(record, name, fn)``, which records the
exception and lets the case go on.

A case never asks which framework it runs on. It declares the engine capabilities it needs
(``requires``: names a plugin lists in its ``capabilities``, e.g. 'per_tensor_retain_grad')
and the ops it calls that a framework may lack (``ops``); it applies to every framework
whose plugin has them (the reference has every capability: it models each framework through
that framework's policy). Where the APIs differ, the case calls an adapter method that each
plugin implements in its own idiom (``seeded_backward``: torch ``y.backward(gy)``, chainer
``y.grad = gy; y.backward()``; ``retaining_backward``; ``keep_graph_options``;
``create_graph_options``); the reference's adapter takes the idiom its policy describes.
"""
import dataclasses

import numpy


@dataclasses.dataclass(frozen=True)
class Case:
    """One behaviour case: ``run(adapter, record)`` and what it verifies."""

    name: str
    fields: tuple       # refimpl.Policy fields it verifies; () for a behaviour both share
    run: object
    doc: str
    seed: str = None    # the seed note it reproduces (file prefix under /work/shared/seeds)
    requires: tuple = ()  # engine capabilities a framework needs for the case to apply
    ops: tuple = ()       # ops it calls that a framework may lack (``Plugin.absent_op``)

    @property
    def subject(self):
        """The cell's subject: the first policy field, or 'common'."""
        return self.fields[0] if self.fields else "common"

    def applies_to(self, plugin):
        """Whether the framework of ``plugin`` (a ``Plugin``) has every capability and op the
        case needs."""
        return (all(plugin.has(capability) for capability in self.requires)
                and all(plugin.absent_op(op) is None for op in self.ops))


CASES = []


def behaviour(*fields, requires=(), ops=(), seed=None):
    """Register the decorated ``case(adapter, record)`` as a Case verifying ``fields``, for
    the frameworks that have the capabilities ``requires`` and the ops ``ops``."""
    def register(function):
        doc = " ".join((function.__doc__ or "").split())
        CASES.append(Case(function.__name__, tuple(fields), function, doc, seed,
                          tuple(requires), tuple(ops)))
        return function
    return register


def by_name():
    return {case.name: case for case in CASES}


def applicable(plugin):
    """The cases that apply to the framework of ``plugin``."""
    return [case for case in CASES if case.applies_to(plugin)]


# --- helpers ------------------------------------------------------------------------------

def f32(values):
    return numpy.array(values, dtype=numpy.float32)


def seed_graph(adapter):
    """The seed 000 graph: x=[1,2,3], y = x**2 + 2x + 1, z = y**3 - 4y**2 + 2."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    y = call("add", call("add", call("pow", x, 2), call("mul", x, 2)), 1)
    z = call("add", call("sub", call("pow", y, 3), call("mul", call("pow", y, 2), 4)), 2)
    return x, y, z


def record_grads(adapter, record, prefix, **variables):
    for name, variable in variables.items():
        record(f"{prefix}.{name}.grad", adapter.grad_of(variable))


def values_of(pair_or_values):
    """The values of ``max(x, axis)``: torch returns (values, indices), chainer values only."""
    return pair_or_values[0] if isinstance(pair_or_values, tuple) else pair_or_values
