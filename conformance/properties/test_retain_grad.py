"""Retained intermediate grads: the gradient of a loss with respect to an op's outputs.

torch: ``y.retain_grad()`` per tensor, and it accumulates over backward calls; chainer:
``backward(retain_grad=True)`` per call, and it overwrites (policy field
``intermediate_grads``). The loss is ``sum(y * gy)``, so the retained grad must be ``gy``
(unless the op returned its input itself, which is then a leaf). A second retaining backward
of the same loss runs where the graph survives a backward (not under
``free_graph_after_backward='dismantle'``, whose engines retain every intermediate grad).
"""
from .engine import expect_close, family_cells, forward, identities, run_scenario, weighted_loss

PROPERTY = "retain_grad.intermediate"


def cells(session):
    return family_cells(session, PROPERTY)


def intermediate(adapter, graph, record):
    leaves, outputs = forward(adapter, graph)
    record("y is an input", identities(leaves, outputs))
    loss = weighted_loss(adapter, graph, outputs)
    again = graph.policy.free_graph_after_backward != "dismantle"
    adapter.retaining_backward(loss, outputs, keep_graph=again)
    record("y.grad_1", [adapter.grad_of(y) for y in outputs])
    if again:
        adapter.retaining_backward(loss, outputs, keep_graph=True)
        record("y.grad_2", [adapter.grad_of(y) for y in outputs])


def intermediate_invariants(values, graph, tolerance):
    problems = []
    expect_close(problems, "retained y.grad vs the output gradient", values["y.grad_1"],
                 list(graph.grad_outputs), tolerance, skip=values["y is an input"])
    return problems


def check_cell(session, cell, stats):
    run_scenario(session, cell, stats, intermediate, intermediate_invariants)


def test_retain_grad(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
