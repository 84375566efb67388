"""The layer-level cells can fail: a real framework function made subtly wrong turns exactly
the matching cells red while the others stay green (the mechanism of
``test_harness_can_fail``: cells run in this process with ``harness.run_cell`` under a
deterministic profile; pytest's monkeypatch undoes every patch).

- ``torch.optim.Adam`` with chainer's epsilon placement (eps added to sqrt(v) *before* the
  bias correction: ``p -= lr/c1 * m / ((sqrt(v) + eps) / sqrt(c2))`` instead of
  ``p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps)``): the torch adam and amsgrad optimizer cells
  and the torch Adam state round trip turn red; AdamW (its own class), SGD, chainer's Adam
  and the conv cells stay green.
- ``torch.nn.functional.conv2d`` whose gradient in W is 1.5 times too large (the value is
  exact): torch's conv2d gradient and double-backward cells turn red; its values, shapes,
  the transposed convolution, chainer's conv2d and the torch module round trip (forward
  only) stay green.
"""
import math

import pytest

from conformance import harness
from conformance.harness import Cell
from conformance.properties import test_conv, test_optim, test_serialization

torch = pytest.importorskip("torch")


def cell(property_name, subject, framework="torch", dtype="float32"):
    return Cell(property_name, subject, framework, "cpu", dtype)


def run(session, cells):
    """{cell: result record} for (module, cell) pairs run in this process."""
    return {c: harness.run_cell(module, session, c) for module, c in cells}


def red(records):
    return {c for c, record in records.items() if record["outcome"] in ("fail", "error")}


GREEN_OPTIMIZER_CELLS = [
    (test_optim, cell("optim.step", "adamw")),
    (test_optim, cell("optim.step", "sgd")),
    (test_optim, cell("optim.step", "adam", framework="chainer")),
    (test_conv, cell("conv.grad", "conv2d")),
]


def test_the_unpatched_layer_cells_are_green(session, needs, deterministic_profile):
    needs("torch", "chainer")
    cells = [(test_optim, cell("optim.step", "adam")),
             (test_optim, cell("optim.trajectory", "adam", dtype="float64")),
             (test_serialization, cell("serialization.optimizer", "adam")),
             (test_conv, cell("conv.grad", "conv2d", dtype="float64")),
             (test_conv, cell("conv.double_backward", "conv2d"))] + GREEN_OPTIMIZER_CELLS
    records = run(session, cells)
    assert {c: r["outcome"] for c, r in records.items() if r["outcome"] != "pass"} == {}


class EpsInsideCorrectionAdam(torch.optim.Adam):
    """torch's Adam with chainer's epsilon placement (and otherwise torch's update: L2 weight
    decay, maximize, AMSGrad, the same state names)."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    grad = grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"].item()
                state["exp_avg"].lerp_(grad, 1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                second = state["exp_avg_sq"]
                if group["amsgrad"]:
                    torch.maximum(state["max_exp_avg_sq"], second, out=state["max_exp_avg_sq"])
                    second = state["max_exp_avg_sq"]
                correction1, correction2 = 1 - beta1 ** t, 1 - beta2 ** t
                denominator = (second.sqrt() + group["eps"]) / math.sqrt(correction2)  # wrong
                p.addcdiv_(state["exp_avg"], denominator, value=-group["lr"] / correction1)


def test_adam_with_the_wrong_epsilon_placement_turns_exactly_its_cells_red(
        session, needs, deterministic_profile, monkeypatch):
    needs("torch", "chainer")
    monkeypatch.setattr(torch.optim, "Adam", EpsInsideCorrectionAdam)
    wrong = [(test_optim, cell("optim.step", "adam")),
             (test_optim, cell("optim.step", "adam", dtype="float64")),
             (test_optim, cell("optim.trajectory", "adam", dtype="float64")),
             (test_optim, cell("optim.step", "amsgrad", dtype="float64")),
             (test_serialization, cell("serialization.optimizer", "adam"))]
    records = run(session, wrong + GREEN_OPTIMIZER_CELLS)
    assert red(records) == {c for _, c in wrong}, {c: r["outcome"] for c, r in records.items()}
    message = records[wrong[0][1]]["message"]
    assert "refimpl float64" in message and "step1.param" in message, message
    assert "RUN = torch_optimizer_run" in records[wrong[0][1]]["repro"]


def test_conv2d_with_a_wrong_weight_gradient_turns_exactly_its_cells_red(
        session, needs, deterministic_profile, monkeypatch):
    needs("torch", "chainer")
    original = torch.nn.functional.conv2d

    def conv2d_with_scaled_weight_gradient(x, weight, bias=None, stride=1, padding=0,
                                           dilation=1, groups=1):
        scaled = weight + 0.5 * (weight - weight.detach())  # the same value, 1.5x the gradient
        return original(x, scaled, bias, stride, padding, dilation, groups)

    monkeypatch.setattr(torch.nn.functional, "conv2d", conv2d_with_scaled_weight_gradient)
    wrong = [(test_conv, cell("conv.grad", "conv2d")),
             (test_conv, cell("conv.grad", "conv2d", dtype="float64")),
             (test_conv, cell("conv.double_backward", "conv2d", dtype="float64"))]
    green = [(test_conv, cell("conv.values", "conv2d")),
             (test_conv, cell("conv.shape", "conv2d")),
             (test_conv, cell("conv.grad", "conv_transpose2d")),
             (test_conv, cell("conv.grad", "conv2d", framework="chainer")),
             (test_serialization, cell("serialization.module", "round_trip"))]
    records = run(session, wrong + green)
    assert red(records) == {c for _, c in wrong}, {c: r["outcome"] for c, r in records.items()}
    record = records[wrong[0][1]]
    assert "gradient of input 1" in record["message"], record["message"]  # W, not x or b
    assert "gradient of input 0" not in record["message"], record["message"]
    assert "from central differences" in record["message"], record["message"]
    assert "OP = torch_conv2d" in record["repro"]
