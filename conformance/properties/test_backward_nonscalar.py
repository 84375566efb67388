"""backward() on a non-scalar output.

``backward.nonscalar_gradient``: with an explicit initial gradient (torch
``y.backward(gy)``, chainer ``y.grad = gy; y.backward()``) the leaves get the vector-Jacobian
product, as ``grad()`` computes it. ``backward.nonscalar_implicit``: with none, torch raises
for more than one element and chainer starts from no gradient (policy field
``nonscalar_backward_without_grad``); a one-element output gets an implicit seed of ones.
"""
import numpy

from ..adapters.base import attempt
from .engine import expect_close, family_cells, forward, grads, run_scenario, zeros_for_none

PROPERTIES = ("backward.nonscalar_gradient", "backward.nonscalar_implicit")


def cells(session):
    return [cell for name in PROPERTIES for cell in family_cells(session, name)]


def explicit_gradient(adapter, graph, record):
    leaves, outputs = forward(adapter, graph)
    y, gy = outputs[0], graph.grad_outputs[0]
    if adapter.framework == "torch":
        adapter.backward(y, gradient=gy.astype(adapter.dtype_of(y)))
    else:
        adapter.set_grad(y, gy)
        adapter.backward(y)
    record("grads", grads(adapter, leaves))
    leaves, outputs = forward(adapter, graph)
    gy_tensor = adapter.tensor(gy, dtype=adapter.dtype_of(outputs[0]), device=graph.device)
    record("vjp", [None if g is None else adapter.to_numpy(g)
                   for g in adapter.vjp([outputs[0]], leaves, [gy_tensor])])


def explicit_invariants(values, graph, tolerance):
    problems = []
    leaves = graph.sample.leaves()
    expect_close(problems, "backward(gy) vs grad(y, x, gy)", zeros_for_none(values["grads"], leaves),
                 zeros_for_none(values["vjp"], leaves), tolerance)
    return problems


def implicit_seed(adapter, graph, record):
    """torch: the exception (class and message) is compared. chainer: only whether backward
    raised: with no seed each op's backward crashes on the None gradient in its own way
    (TypeError or AttributeError naming whatever met None first); refimpl models that it
    fails (policy 'none_seed'), not each op's crash message."""
    leaves, outputs = forward(adapter, graph)
    record("y.size", int(numpy.prod(adapter.to_numpy(outputs[0]).shape)))
    if adapter.framework == "torch":
        attempt(record, "backward", lambda: adapter.backward(outputs[0]))
    else:
        try:
            adapter.backward(outputs[0])
            record("backward raised", False)
        except (TypeError, AttributeError):
            record("backward raised", True)
    record("grads", grads(adapter, leaves))


def check_cell(session, cell, stats):
    if cell.property == "backward.nonscalar_gradient":
        run_scenario(session, cell, stats, explicit_gradient, explicit_invariants)
    else:
        run_scenario(session, cell, stats, implicit_seed)


def test_backward_nonscalar(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
