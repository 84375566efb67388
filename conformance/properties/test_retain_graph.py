"""retain_graph: a second backward through the same graph.

``retain_graph.second_backward`` (one cell per op): ``sum(op(x))`` backward twice without
options. torch frees the tensors an op saved for backward, so the second call raises
RuntimeError exactly when the op saved some (refimpl: ``Function.saves_tensors`` under the
policy field ``free_graph_after_backward``); chainer keeps the graph and accumulates; an
engine that dismantles the graph runs the second call on a leaf, which reaches no input.
``retain_graph.retained`` (torch only; chainer has no retain_graph: its graph is always
kept): with ``retain_graph=True`` the second backward accumulates, and a third without it
frees the graph, so a fourth raises where the op saved tensors.
"""
from ..checks.observations import attempt
from .engine import (expect_close, family_cells, forward, grads, op_cells, plain_loss,
                     run_scenario, scaled, weighted_loss, zeros_for_none)

PROPERTIES = ("retain_graph.second_backward", "retain_graph.retained")


def cells(session):
    return op_cells(session, PROPERTIES[0]) + family_cells(session, PROPERTIES[1])


def second_backward(adapter, graph, record):
    leaves, outputs = forward(adapter, graph)
    loss = plain_loss(adapter, outputs)
    adapter.backward(loss)
    record("grads_1", grads(adapter, leaves))
    attempt(record, "backward_2", lambda: adapter.backward(loss))
    record("grads_2", grads(adapter, leaves))


def second_backward_invariants(values, graph, tolerance):
    problems = []
    if values["backward_2"] == "ok" and graph.policy.free_graph_after_backward == "dismantle":
        expect_close(problems, "grads_2 after a backward of the dismantled loss vs grads_1",
                     values["grads_2"], values["grads_1"], tolerance)
    elif values["backward_2"] == "ok":
        expect_close(problems, "grads_2 vs 2 * grads_1", values["grads_2"],
                     scaled(values["grads_1"], 2), tolerance)
    else:
        expect_close(problems, "grads_2 after a raising backward vs grads_1",
                     values["grads_2"], values["grads_1"], tolerance)
    return problems


def retained(adapter, graph, record):
    leaves, outputs = forward(adapter, graph)
    loss = weighted_loss(adapter, graph, outputs)
    adapter.backward(loss, **adapter.keep_graph_options())
    record("grads_1", grads(adapter, leaves))
    adapter.backward(loss, **adapter.keep_graph_options())
    record("grads_2", grads(adapter, leaves))
    adapter.backward(loss)
    record("grads_3", grads(adapter, leaves))
    attempt(record, "backward_4", lambda: adapter.backward(loss))


def retained_invariants(values, graph, tolerance):
    problems = []
    leaves = graph.sample.leaves()
    first = zeros_for_none(values["grads_1"], leaves)
    expect_close(problems, "grads_2 vs 2 * grads_1", zeros_for_none(values["grads_2"], leaves),
                 scaled(first, 2), tolerance)
    expect_close(problems, "grads_3 vs 3 * grads_1", zeros_for_none(values["grads_3"], leaves),
                 scaled(first, 3), tolerance)
    return problems


def check_cell(session, cell, stats):
    if cell.property == "retain_graph.second_backward":
        run_scenario(session, cell, stats, second_backward, second_backward_invariants)
    else:
        run_scenario(session, cell, stats, retained, retained_invariants, requires="retain_graph")


def test_retain_graph(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
