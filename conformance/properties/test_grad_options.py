"""``grad()`` with each of its options, on one drawn op of any family.

torch.autograd.grad: ``grad_outputs``, ``retain_graph``, ``create_graph``, ``allow_unused``,
``materialize_grads``; chainer.grad: ``grad_outputs``, ``grad_inputs``, ``set_grad``,
``retain_grad``, ``enable_double_backprop``, ``loss_scale``. A framework without an option
gets a skip cell naming it. An option is the engine capability ``grad.<option>`` of the
framework's plugin; refimpl's cells run every option (its ``grad`` takes both frameworks'
options). ``is_grads_batched`` (torch) is not covered: refimpl does not model it.
"""
import numpy

from .. import frameworks
from ..checks.observations import attempt
from ..harness import Cell
from .engine import (ENGINE_DTYPE, again, expect_close, forward, grads, identities,
                     run_scenario, scaled, weighted_loss, zeros_for_none)

PROPERTY = "grad_options"


def _tensors(adapter, values, likes, graph):
    return [adapter.tensor(v, dtype=adapter.dtype_of(y), device=graph.device)
            for v, y in zip(values, likes)]


def _ones(adapter, like, graph):
    return adapter.tensor(numpy.ones(()), dtype=adapter.dtype_of(like), device=graph.device)


def _arrays(adapter, values):
    return [None if v is None else adapter.to_numpy(v) for v in values]


def grad_outputs(adapter, graph, record):
    """grad(y, x, grad_outputs=gy) equals backward(gy) into the leaves' grads."""
    leaves, outputs = forward(adapter, graph)
    result = adapter.grad(outputs, leaves, _tensors(adapter, graph.grad_outputs, outputs, graph))
    record("result", _arrays(adapter, result))
    leaves, outputs = forward(adapter, graph)
    adapter.backward(weighted_loss(adapter, graph, outputs))
    record("backward", grads(adapter, leaves))


def grad_outputs_invariants(values, graph, tolerance):
    problems = []
    leaves = graph.sample.leaves()
    expect_close(problems, "grad(gy) vs backward", zeros_for_none(values["result"], leaves),
                 zeros_for_none(values["backward"], leaves), tolerance)
    return problems


def retain_graph(adapter, graph, record):
    """retain_graph=True lets grad() run twice (same result); a call without it frees the
    graph, so the next one raises."""
    leaves, outputs = forward(adapter, graph)
    loss = weighted_loss(adapter, graph, outputs)
    ones = [_ones(adapter, loss, graph)]
    record("first", _arrays(adapter, adapter.grad([loss], leaves, ones, retain_graph=True,
                                                  allow_unused=True)))
    record("second", _arrays(adapter, adapter.grad([loss], leaves, ones, allow_unused=True)))
    attempt(record, "third", lambda: adapter.grad([loss], leaves, ones, allow_unused=True))
    record("leaf grads", grads(adapter, leaves))


def retain_graph_invariants(values, graph, tolerance):
    problems = []
    expect_close(problems, "second vs first", values["second"], values["first"], tolerance)
    if any(g is not None for g in values["leaf grads"]):
        problems.append("grad() wrote into the leaves' .grad")
    return problems


def _double_backprop(adapter, graph, record, option):
    """The gradient keeps a graph (``option``: create_graph / enable_double_backprop):
    differentiating sum(g * g) gives the second-order term, as refimpl computes it."""
    leaves, outputs = forward(adapter, graph)
    loss = weighted_loss(adapter, graph, outputs)
    first = adapter.grad([loss], leaves, [_ones(adapter, loss, graph)], **{option: True})
    record("first", _arrays(adapter, first))
    record("requires_grad", [g is not None and adapter.requires_grad(g) for g in first])
    total = None
    for g in first:
        if g is not None and adapter.requires_grad(g):
            term = adapter.call("sum", adapter.call("mul", g, g))
            total = term if total is None else adapter.call("add", total, term)
    if total is not None:
        record("second", _arrays(adapter, adapter.vjp([total], leaves,
                                                     [_ones(adapter, total, graph)])))


def create_graph(adapter, graph, record):
    _double_backprop(adapter, graph, record, "create_graph")


def enable_double_backprop(adapter, graph, record):
    _double_backprop(adapter, graph, record, "enable_double_backprop")


def allow_unused(adapter, graph, record):
    """An input the output does not depend on: raises without allow_unused; None with it."""
    leaves, outputs = forward(adapter, graph)
    unused = adapter.tensor(numpy.ones(2), requires_grad=True, dtype=graph.dtype,
                            device=graph.device)
    loss = weighted_loss(adapter, graph, outputs)
    ones = [_ones(adapter, loss, graph)]
    attempt(record, "without", lambda: adapter.grad([loss], leaves + [unused], ones,
                                                    retain_graph=True))
    record("with", _arrays(adapter, adapter.grad([loss], leaves + [unused], ones,
                                                 allow_unused=True)))


def materialize_grads(adapter, graph, record):
    """materialize_grads=True gives zeros for an unused input."""
    leaves, outputs = forward(adapter, graph)
    unused = adapter.tensor(numpy.ones(2), requires_grad=True, dtype=graph.dtype,
                            device=graph.device)
    loss = weighted_loss(adapter, graph, outputs)
    record("result", _arrays(adapter, adapter.grad([loss], leaves + [unused],
                                                   [_ones(adapter, loss, graph)],
                                                   materialize_grads=True)))


def materialize_invariants(values, graph, tolerance):
    problems = []
    expect_close(problems, "unused input's gradient", values["result"][-1:], [numpy.zeros(2)],
                 tolerance)
    return problems


def grad_inputs(adapter, graph, record):
    """chainer's grad_inputs are added to the result."""
    leaves, outputs = forward(adapter, graph)
    loss = weighted_loss(adapter, graph, outputs)
    extra = [numpy.full(numpy.shape(a), 0.5) for a in graph.sample.leaves()]
    record("plain", _arrays(adapter, adapter.grad([loss], leaves, [_ones(adapter, loss, graph)],
                                                  **again(adapter))))
    record("with", _arrays(adapter, adapter.grad([loss], leaves, [_ones(adapter, loss, graph)],
                                                 grad_inputs=_tensors(adapter, extra, leaves,
                                                                      graph))))


def grad_inputs_invariants(values, graph, tolerance):
    problems = []
    leaves = graph.sample.leaves()
    expected = [g + 0.5 for g in zeros_for_none(values["plain"], leaves)]
    expect_close(problems, "grad with grad_inputs vs grad + 0.5", values["with"], expected,
                 tolerance)
    return problems


def set_grad(adapter, graph, record):
    """set_grad=True also stores the result in each input's .grad."""
    leaves, outputs = forward(adapter, graph)
    loss = weighted_loss(adapter, graph, outputs)
    record("result", _arrays(adapter, adapter.grad([loss], leaves, [_ones(adapter, loss, graph)],
                                                   set_grad=True)))
    record("leaf grads", grads(adapter, leaves))


def set_grad_invariants(values, graph, tolerance):
    problems = []
    expect_close(problems, "x.grad vs the result", values["leaf grads"], values["result"],
                 tolerance)
    return problems


def retain_grad(adapter, graph, record):
    """retain_grad=True also sets the grads of the op's outputs (the intermediates)."""
    leaves, outputs = forward(adapter, graph)
    record("y is an input", identities(leaves, outputs))
    loss = weighted_loss(adapter, graph, outputs)
    adapter.grad([loss], leaves, [_ones(adapter, loss, graph)], retain_grad=True)
    record("y.grad", [adapter.grad_of(y) for y in outputs])


def retain_grad_invariants(values, graph, tolerance):
    problems = []
    expect_close(problems, "retained y.grad vs the output gradient", values["y.grad"],
                 list(graph.grad_outputs), tolerance, skip=values["y is an input"])
    return problems


def loss_scale(adapter, graph, record):
    """loss_scale multiplies the implicit seed of a scalar loss, so the result scales with it;
    with an explicit grad_outputs seed chainer.grad leaves it unscaled (chainer 7.8.1:
    function_node.py scales only the ones it creates)."""
    leaves, outputs = forward(adapter, graph)
    loss = weighted_loss(adapter, graph, outputs)
    ones = [_ones(adapter, loss, graph)]
    record("plain", _arrays(adapter, adapter.grad([loss], leaves, **again(adapter))))
    record("scaled", _arrays(adapter, adapter.grad([loss], leaves, loss_scale=4.0,
                                                   **again(adapter))))
    record("scaled, explicit seed", _arrays(adapter, adapter.grad([loss], leaves, ones,
                                                                  loss_scale=4.0)))


def loss_scale_invariants(values, graph, tolerance):
    problems = []
    expect_close(problems, "scaled vs 4 * plain", values["scaled"], scaled(values["plain"], 4.0),
                 tolerance)
    return problems


OPTIONS = {
    # option: (scenario, invariants, the engine capability a framework needs for it)
    "grad_outputs": (grad_outputs, grad_outputs_invariants, "functional_grad"),
    "retain_graph": (retain_graph, retain_graph_invariants, "grad.retain_graph"),
    "create_graph": (create_graph, None, "grad.create_graph"),
    "allow_unused": (allow_unused, None, "grad.allow_unused"),
    "materialize_grads": (materialize_grads, materialize_invariants, "grad.materialize_grads"),
    "grad_inputs": (grad_inputs, grad_inputs_invariants, "grad.grad_inputs"),
    "set_grad": (set_grad, set_grad_invariants, "grad.set_grad"),
    "retain_grad": (retain_grad, retain_grad_invariants, "grad.retain_grad"),
    "enable_double_backprop": (enable_double_backprop, None, "grad.enable_double_backprop"),
    "loss_scale": (loss_scale, loss_scale_invariants, "grad.loss_scale"),
}


#: The options whose scenario differentiates the gradient again (only ops with double
#: backprop on the framework are drawn: torch has none for hardsigmoid).
DOUBLE_BACKPROP = ("create_graph", "enable_double_backprop")


def cells(session):
    return [Cell(PROPERTY, option, framework, device, ENGINE_DTYPE)
            for option in OPTIONS for framework in session.frameworks
            for device in session.devices]


def _owners(capability):
    """How the frameworks that have ``capability`` name their grad function."""
    return " or ".join(plugin.grad_function for plugin in frameworks.discover().values()
                       if not plugin.reference and plugin.grad_function and plugin.has(capability))


def check_cell(session, cell, stats):
    scenario, invariants, capability = OPTIONS[cell.subject]
    reason = (f"{cell.framework} has no grad() option {cell.subject!r} (an option of "
              f"{_owners(capability)})")
    run_scenario(session, cell, stats, scenario, invariants, requires=capability, reason=reason,
                 all_ops=True, gradgrad=cell.subject in DOUBLE_BACKPROP)


def test_grad_options(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
