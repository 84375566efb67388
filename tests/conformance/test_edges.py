"""The edge-input cells (``edges.values``, ``edges.grad``; issue 15) can fail: torch's relu
patched to give the gradient 0 at NaN (chainer's rule) turns exactly the ``edges.grad relu``
cell red, and the policy field that models the rule, switched, does the same; the NaN-aware
comparison tells NaN from a number and inf from -inf."""
import dataclasses

import numpy
import pytest

import refimpl
from conformance import harness
from conformance.checks.tolerances import tolerance
from conformance.harness import Cell
from conformance.properties import test_edges
from conformance.subjects import edge_inputs
from conformance.subjects.core import REGISTRY

torch = pytest.importorskip("torch")


def cell(prop, subject, framework="torch"):
    return Cell(prop, subject, framework, "cpu", edge_inputs.cell_dtype(subject))


def outcomes(session, cells):
    return {c: harness.run_cell(test_edges, session, c) for c in cells}


RELU_CELLS = [cell(prop, subject) for prop in test_edges.PROPERTIES
              for subject in ("relu", "abs", "leaky_relu")]


class NanBlindRelu(torch.autograd.Function):
    """relu whose gradient passes only where x > 0: 0 at NaN (torch's own passes 1 there)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.ops.aten.relu(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0).to(grad_output.dtype)


def test_the_unpatched_cells_are_green(session, needs):
    needs("torch")
    results = outcomes(session, RELU_CELLS)
    assert {c: r["outcome"] for c, r in results.items()} == {c: "pass" for c in RELU_CELLS}


def test_a_nan_blind_relu_turns_exactly_its_grad_cell_red(session, needs, monkeypatch):
    needs("torch")
    monkeypatch.setattr(torch, "relu", NanBlindRelu.apply)
    results = outcomes(session, RELU_CELLS)
    red = {c for c, r in results.items() if r["outcome"] in ("fail", "error")}
    assert red == {cell("edges.grad", "relu")}, results
    message = results[cell("edges.grad", "relu")]["message"]
    assert "nan_relu (nan)" in message and "nan_relu_float32 (nan)" in message, message
    assert "2 of 7 edge inputs of relu" in message, message  # the NaN inputs only


def test_a_switched_policy_field_turns_exactly_its_grad_cell_red(session, needs, monkeypatch):
    """refimpl under the torch policy with chainer's relu_nan_gradient (0) disagrees with the
    real torch in exactly the edges.grad relu cell."""
    needs("torch")
    switched = dataclasses.replace(refimpl.POLICIES["torch"], name="torch_nan_blind_relu",
                                   relu_nan_gradient=0.0)
    monkeypatch.setitem(refimpl.POLICIES, switched.name, switched)
    policy_name = session.policy_name
    monkeypatch.setattr(session, "policy_name", lambda framework: switched.name
                        if framework == "torch" else policy_name(framework))
    results = outcomes(session, RELU_CELLS)
    red = {c for c, r in results.items() if r["outcome"] in ("fail", "error")}
    assert red == {cell("edges.grad", "relu")}, results


def test_same_tells_nan_and_signed_inf_apart():
    exact = tolerance("float64", "value")
    nan, inf = float("nan"), float("inf")
    assert test_edges.same(numpy.array([nan, inf, 1.0]), numpy.array([nan, inf, 1.0]), exact)
    assert not test_edges.same(numpy.array([0.0, 1.0]), numpy.array([nan, 1.0]), exact)
    assert not test_edges.same(numpy.array([nan, 1.0]), numpy.array([0.0, 1.0]), exact)
    assert not test_edges.same(numpy.array([-inf]), numpy.array([inf]), exact)
    assert not test_edges.same(numpy.array([1e300]), numpy.array([inf]), exact)
    assert not test_edges.same(numpy.array([1.0 + 1e-3]), numpy.array([1.0]), exact)
    assert test_edges.same(numpy.array([complex(nan, 1)]), numpy.array([complex(nan, 1)]), exact)
    assert test_edges.compare_arrays("output", [numpy.zeros(2, numpy.float32)],
                                     [numpy.zeros(2)], "value") == [
        "output 0 dtype float32 vs float64"]
    assert test_edges.compare("edges.values", ("raises", "TypeError in the call"),
                              ("ok", [], [], None)) == ["outcome TypeError in the call vs ok"]


def test_edge_inputs_are_well_formed():
    """Each edge input calls a registry subject, its views name registry ops, and refimpl
    runs it under the torch policy (an oracle that cannot run the inputs judges nothing)."""
    reference = harness.Session(["refimpl"], ["cpu"]).reference("torch")
    for item in edge_inputs.EDGE_INPUTS:
        assert item.subject in REGISTRY, item.name
        assert all(view in REGISTRY for _, view, _ in item.views), item.name
        function = test_edges.bind(reference, item.subject)
        result = test_edges.run(reference, function, item, "cpu", gradient=item.grad)
        assert result[0] in ("ok", "raises"), item.name
    names = [item.name for item in edge_inputs.EDGE_INPUTS]
    assert len(names) == len(set(names))
    with pytest.raises(ValueError, match="edge 'odd'"):
        edge_inputs.EdgeInput("x", "relu", edge_inputs.Sample({"x": numpy.zeros(2)}), "odd")


def test_an_input_the_binding_cannot_express_is_left_out(session, needs):
    """Two Python numbers given to chainer's sub binding (the operator form: chainer has no
    function form of sub) are Python's arithmetic: those inputs are left out with the reason,
    recorded with the cell; its other inputs (broadcast operands) are compared. torch's
    binding calls torch.sub and compares them all."""
    needs("torch", "chainer")
    record = harness.run_cell(test_edges, session, cell("edges.values", "sub", "chainer"))
    assert record["outcome"] == "pass", record
    left_out = record["left_out"]
    assert len(left_out) == 4 and all("Python's operators" in text for text in left_out), left_out
    record = harness.run_cell(test_edges, session, cell("edges.values", "sub"))
    assert record["outcome"] == "pass" and "left_out" not in record, record
