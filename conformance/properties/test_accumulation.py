"""Gradient accumulation: repeated backward, a leaf used several times, clearing, zeroing.

Scenarios on one drawn op of the cell's family (``engine``): framework vs refimpl under its
policy, plus invariants on the framework's own observation.
"""
from .engine import (again, expect_close, family_cells, forward, forward_on, grads,
                     run_scenario, scaled, vjp, weighted_loss, zeros_for_none)

PROPERTIES = ("accumulation.repeat_backward", "accumulation.leaf_reuse", "accumulation.clear",
              "accumulation.zero")


def cells(session):
    return [cell for name in PROPERTIES for cell in family_cells(session, name)]


def repeat_backward(adapter, graph, record):
    """backward twice on one graph (torch: retain_graph=True): leaf grads add up."""
    leaves, outputs = forward(adapter, graph)
    loss = weighted_loss(adapter, graph, outputs)
    adapter.backward(loss, **again(adapter))
    record("grads_1", grads(adapter, leaves))
    adapter.backward(loss, **again(adapter))
    record("grads_2", grads(adapter, leaves))
    record("vjp", vjp(adapter, graph))


def repeat_backward_invariants(values, graph, tolerance):
    problems = []
    leaves = graph.sample.leaves()
    expect_close(problems, "grads_1 (backward) vs grad()", zeros_for_none(values["grads_1"], leaves),
                 values["vjp"], tolerance)
    expect_close(problems, "grads_2 vs 2 * grads_1", values["grads_2"],
                 scaled(values["grads_1"], 2), tolerance)
    return problems


def leaf_reuse(adapter, graph, record):
    """The op applied twice to the same leaves, both results in one loss: each use adds its
    gradient into the leaf."""
    leaves, first = forward(adapter, graph)
    second = forward_on(adapter, graph, leaves)
    loss = adapter.call("add", weighted_loss(adapter, graph, first),
                        weighted_loss(adapter, graph, second))
    adapter.backward(loss)
    record("grads", grads(adapter, leaves))
    record("vjp", vjp(adapter, graph))


def leaf_reuse_invariants(values, graph, tolerance):
    problems = []
    expect_close(problems, "grads vs 2 * grad()", zeros_for_none(values["grads"], graph.sample.leaves()),
                 scaled(values["vjp"], 2), tolerance)
    return problems


def clear(adapter, graph, record):
    """backward, clear (torch zero_grad(), chainer cleargrad()), backward on a new graph."""
    leaves, outputs = forward(adapter, graph)
    adapter.backward(weighted_loss(adapter, graph, outputs))
    record("grads_1", grads(adapter, leaves))
    adapter.clear_grads(leaves)
    record("cleared", grads(adapter, leaves))
    outputs = forward_on(adapter, graph, leaves)
    adapter.backward(weighted_loss(adapter, graph, outputs))
    record("grads_after_clear", grads(adapter, leaves))


def clear_invariants(values, graph, tolerance):
    problems = []
    if any(g is not None for g in values["cleared"]):
        problems.append(f"grads after clearing are not None: {values['cleared']}")
    expect_close(problems, "grads after clear + backward vs the first", values["grads_after_clear"],
                 values["grads_1"], tolerance)
    return problems


def zero(adapter, graph, record):
    """backward, zero (torch zero_grad(set_to_none=False), chainer zerograd()), backward on a
    new graph (a framework with no way to zero a grad skips with its reason)."""
    leaves, outputs = forward(adapter, graph)
    adapter.backward(weighted_loss(adapter, graph, outputs))
    record("grads_1", grads(adapter, leaves))
    adapter.zero_grads(leaves)
    record("zeroed", grads(adapter, leaves))
    outputs = forward_on(adapter, graph, leaves)
    adapter.backward(weighted_loss(adapter, graph, outputs))
    record("grads_after_zero", grads(adapter, leaves))


def zero_invariants(values, graph, tolerance):
    problems = []
    leaves = graph.sample.leaves()
    expect_close(problems, "zeroed grads", values["zeroed"], scaled(zeros_for_none(
        [None] * len(leaves), leaves), 0), tolerance)
    expect_close(problems, "grads after zero + backward vs the first",
                 zeros_for_none(values["grads_after_zero"], leaves),
                 zeros_for_none(values["grads_1"], leaves), tolerance)
    return problems


SCENARIOS = {
    "accumulation.repeat_backward": (repeat_backward, repeat_backward_invariants),
    "accumulation.leaf_reuse": (leaf_reuse, leaf_reuse_invariants),
    "accumulation.clear": (clear, clear_invariants),
    "accumulation.zero": (zero, zero_invariants),
}


def check_cell(session, cell, stats):
    scenario, invariants = SCENARIOS[cell.property]
    run_scenario(session, cell, stats, scenario, invariants)


def test_accumulation(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
