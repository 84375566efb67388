"""backward() on a non-scalar output.

``backward.nonscalar_gradient``: with an explicit initial gradient (torch
``y.backward(gy)``, chainer ``y.grad = gy; y.backward()``) the leaves get the vector-Jacobian
product, as ``grad()`` computes it. ``backward.nonscalar_implicit``: with none, torch raises
for more than one element and chainer starts from no gradient (policy field
``nonscalar_backward_without_grad``); a one-element output gets an implicit seed of ones.
"""
import numpy

from ..checks.observations import Raised
from ..frameworks.base import NotSupported
from .engine import expect_close, family_cells, forward, grads, run_scenario, zeros_for_none

PROPERTIES = ("backward.nonscalar_gradient", "backward.nonscalar_implicit")


def cells(session):
    return [cell for name in PROPERTIES for cell in family_cells(session, name)]


def explicit_gradient(adapter, graph, record):
    leaves, outputs = forward(adapter, graph)
    y, gy = outputs[0], graph.grad_outputs[0]
    adapter.seeded_backward(y, gy.astype(adapter.dtype_of(y)))
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
    """torch raises a RuntimeError for more than one element: its class and message are
    compared. chainer (policy 'none_seed') starts from no gradient, and each op's backward
    crashes on the None gradient in its own way (TypeError or AttributeError naming whatever
    met None first): only that it crashed is compared; refimpl models that it fails, not
    each op's crash message."""
    leaves, outputs = forward(adapter, graph)
    record("y.size", int(numpy.prod(adapter.to_numpy(outputs[0]).shape)))
    try:
        adapter.backward(outputs[0])
        record("backward", "ok")
    except NotSupported:
        raise
    except (TypeError, AttributeError):
        record("backward", "crashed on the missing gradient")
    except Exception as error:  # the exception under test
        record("backward", Raised.of(error))
    record("grads", grads(adapter, leaves))


def check_cell(session, cell, stats):
    if cell.property == "backward.nonscalar_gradient":
        run_scenario(session, cell, stats, explicit_gradient, explicit_invariants)
    else:
        run_scenario(session, cell, stats, implicit_seed)


def test_backward_nonscalar(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
