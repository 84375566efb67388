"""no_grad (chainer: no_backprop_mode) and detach.

``no_grad.forward``: an op run under no_grad gives the same values, no graph; what
requires_grad and a later backward do differ (policy fields ``outputs_require_grad``,
``backward_without_graph``). ``detach``: the detached output has the values, no graph and
does not require grad; a backward through it leaves the leaves' grads None. chainer has no
detach (``unchain`` cuts in place): its detach cells are skipped with that reason.
"""
import numpy

from ..checks.observations import attempt
from .engine import (expect_close, family_cells, forward, forward_on, grads, identities,
                     plain_loss, run_scenario)

PROPERTIES = ("no_grad.forward", "detach")


def cells(session):
    return [cell for name in PROPERTIES for cell in family_cells(session, name)]


def under_no_grad(adapter, graph, record):
    leaves, outputs = forward(adapter, graph)
    record("values", outputs)
    with adapter.no_grad():
        quiet = forward_on(adapter, graph, leaves)
    record("no_grad.is an input", identities(leaves, quiet))
    record("no_grad.values", quiet)
    record("no_grad.requires_grad", [adapter.requires_grad(y) for y in quiet])
    record("no_grad.has_graph", [adapter.has_graph(y) for y in quiet])
    attempt(record, "backward", lambda: adapter.backward(plain_loss(adapter, quiet)))
    record("grads", grads(adapter, leaves))


def no_grad_invariants(values, graph, tolerance):
    problems = []
    expect_close(problems, "values under no_grad vs with grad", values["no_grad.values"],
                 values["values"], tolerance)
    if any(values["no_grad.has_graph"]):
        problems.append(f"outputs made under no_grad have a graph: {values['no_grad.has_graph']}")
    if any(values["no_grad.is an input"]):
        return problems  # the op returned its input itself: a backward reaches it
    if any(g is not None and numpy.any(numpy.asarray(g) != 0) for g in values["grads"]):
        problems.append(f"a backward through no_grad outputs reached the leaves: {values['grads']}")
    return problems


def detached(adapter, graph, record):
    leaves, outputs = forward(adapter, graph)
    copies = [adapter.detach(y) for y in outputs]
    record("values", outputs)
    record("detached.values", copies)
    record("detached.requires_grad", [adapter.requires_grad(y) for y in copies])
    record("detached.has_graph", [adapter.has_graph(y) for y in copies])
    attempt(record, "backward", lambda: adapter.backward(plain_loss(adapter, copies)))
    record("grads", grads(adapter, leaves))


def detach_invariants(values, graph, tolerance):
    problems = []
    expect_close(problems, "detached values", values["detached.values"], values["values"],
                 tolerance)
    if any(values["detached.requires_grad"]) or any(values["detached.has_graph"]):
        problems.append("a detached output requires grad or has a graph")
    if any(g is not None for g in values["grads"]):
        problems.append(f"a backward through detached outputs reached the leaves: {values['grads']}")
    return problems


def check_cell(session, cell, stats):
    if cell.property == "no_grad.forward":
        run_scenario(session, cell, stats, under_no_grad, no_grad_invariants)
    else:
        run_scenario(session, cell, stats, detached, detach_invariants, requires="detach")


def test_no_grad(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
