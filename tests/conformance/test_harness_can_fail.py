"""The harness proves it can fail: a real framework made subtly wrong turns exactly the
matching cells red while the others stay green.

Each test runs a handful of cells in this process (``harness.run_cell``) under a
deterministic profile, with torch patched (pytest's monkeypatch undoes it):

- ``torch.tanh`` whose backward is off by a factor 1.5 (a custom autograd.Function);
- backward that overwrites leaf grads instead of accumulating into them;
- backward that never frees the graph (no "backward through the graph a second time" error).

TODO (needs an optimizer property in conformance/properties, not written yet): an optimizer
with the wrong epsilon placement must turn exactly its optim.step cells red.
"""
import pytest

from conformance import harness
from conformance.harness import Cell
from conformance.properties import (test_accumulation, test_double_backward, test_forward,
                                    test_grad, test_retain_graph)

torch = pytest.importorskip("torch")


def outcomes(session, cells):
    """{cell: outcome} for (module, cell) pairs run in this process."""
    return {cell: harness.run_cell(module, session, cell)["outcome"] for module, cell in cells}


def op_cell(property_name, subject, framework="torch", dtype="float64"):
    return Cell(property_name, subject, framework, "cpu", dtype)


def red(results):
    return {cell for cell, outcome in results.items() if outcome in ("fail", "error")}


def test_the_unpatched_cells_are_green(session, needs, deterministic_profile):
    needs("torch")
    cells = [(test_grad, op_cell("grad.first_order", "tanh")),
             (test_accumulation, op_cell("accumulation.repeat_backward", "elementwise",
                                         dtype="float32")),
             (test_retain_graph, op_cell("retain_graph.second_backward", "tanh", dtype="float32"))]
    results = outcomes(session, cells)
    assert set(results.values()) == {"pass"}, results


class WrongTanh(torch.autograd.Function):
    """tanh with a first derivative 1.5 (1 - y**2): differentiable, so double backward runs."""

    @staticmethod
    def forward(ctx, x):
        y = torch.ops.aten.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (1 - y * y) * 1.5


def test_a_wrong_tanh_gradient_turns_exactly_the_tanh_gradient_cells_red(
        session, needs, deterministic_profile, monkeypatch):
    needs("torch", "chainer")
    monkeypatch.setattr(torch, "tanh", WrongTanh.apply)
    grad_tanh = op_cell("grad.first_order", "tanh")
    double_tanh = op_cell("double_backward", "tanh")
    chainer_tanh = op_cell("grad.first_order", "tanh", framework="chainer")
    cells = [(test_forward, op_cell("forward", "tanh")), (test_grad, grad_tanh),
             (test_double_backward, double_tanh), (test_grad, chainer_tanh),
             (test_grad, op_cell("grad.first_order", "sigmoid")),
             (test_grad, op_cell("grad.first_order", "tanh", framework="refimpl"))]
    records = {cell: harness.run_cell(module, session, cell) for module, cell in cells}
    results = {cell: record["outcome"] for cell, record in records.items()}
    assert red(results) == {grad_tanh, double_tanh}, results
    verdict = records[grad_tanh]["message"]
    assert "vs refimpl float64" in verdict and "central differences" in verdict, verdict
    assert "cross-check: chainer 7.8.1 agrees with refimpl" in verdict, verdict
    # chainer's own cell stays green, but its cross-check oracle saw torch disagree
    assert records[chainer_tanh]["oracles"]["torch 2.13.0"]["disagree"] > 0


def graph_leaves(output):
    """The leaf tensors a torch graph accumulates into (AccumulateGrad nodes)."""
    leaves, stack, seen = [], [output.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if hasattr(node, "variable"):
            leaves.append(node.variable)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return leaves


def test_backward_that_overwrites_turns_exactly_the_accumulation_cells_red(
        session, needs, deterministic_profile, monkeypatch):
    needs("torch")
    original = torch.Tensor.backward

    def overwriting_backward(self, *args, **kwargs):
        for leaf in graph_leaves(self):
            leaf.grad = None  # a framework that overwrites: only this call's gradient stays
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "backward", overwriting_backward)
    repeat = op_cell("accumulation.repeat_backward", "elementwise", dtype="float32")
    cells = [(test_accumulation, repeat),
             (test_accumulation, op_cell("accumulation.leaf_reuse", "elementwise", dtype="float32")),
             (test_accumulation, op_cell("accumulation.clear", "elementwise", dtype="float32")),
             (test_accumulation, op_cell("accumulation.zero", "elementwise", dtype="float32")),
             (test_grad, op_cell("grad.first_order", "tanh")),
             (test_forward, op_cell("forward", "tanh"))]
    results = outcomes(session, cells)
    assert red(results) == {repeat}, results


def test_backward_that_never_frees_the_graph_turns_exactly_the_freeing_cells_red(
        session, needs, deterministic_profile, monkeypatch):
    needs("torch")
    original = torch.Tensor.backward

    def retaining_backward(self, gradient=None, retain_graph=None, create_graph=False,
                           inputs=None):
        return original(self, gradient, True, create_graph, inputs)

    monkeypatch.setattr(torch.Tensor, "backward", retaining_backward)
    saves = op_cell("retain_graph.second_backward", "tanh", dtype="float32")
    cells = [(test_retain_graph, saves),
             (test_retain_graph, op_cell("retain_graph.second_backward", "reshape",
                                         dtype="float32")),
             (test_accumulation, op_cell("accumulation.repeat_backward", "elementwise",
                                         dtype="float32")),
             (test_forward, op_cell("forward", "tanh"))]
    results = outcomes(session, cells)
    assert red(results) == {saves}, results


def test_an_exception_of_another_class_turns_exactly_its_error_cells_red(
        session, needs, deterministic_profile, monkeypatch):
    """torch raising ValueError where it raises IndexError (an axis out of range) turns the
    error cells of the ops with an axis error input red, and only those."""
    needs("torch")
    from conformance.properties import test_errors
    original = torch.Tensor.sum

    def summing(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except IndexError as error:
            raise ValueError(str(error)) from None

    monkeypatch.setattr(torch.Tensor, "sum", summing)
    monkeypatch.setattr(torch, "sum", lambda x, *args, **kwargs: summing(x, *args, **kwargs))
    cells = [(test_errors, op_cell("errors.exception_class", subject, dtype="float32"))
             for subject in ("sum", "add", "getitem")]
    results = outcomes(session, cells)
    assert red(results) == {op_cell("errors.exception_class", "sum", dtype="float32")}, results
