"""The issue-17 layer cells can fail (the mechanism of ``test_layers_can_fail``: cells run in
this process with ``harness.run_cell`` under a deterministic profile; monkeypatch undoes every
patch):

- chainer's ``L.StatelessGRU`` computing torch's GRU cell instead of its own (r applied after
  the matmul, z keeping the state): chainer's gru_cell cells turn red (refimpl under the
  chainer policy computes chainer's formula), torch's gru_cell and chainer's gru (NStepGRU)
  stay green;
- ``torch.nn.functional.conv3d`` whose gradient in W is 1.5 times too large: torch's conv3d
  gradient cell turns red; its values, conv1d and chainer's conv3d stay green.
"""
import pytest

from conformance import harness
from conformance.harness import Cell
from conformance.properties import test_layers_more, test_rnn

torch = pytest.importorskip("torch")


def cell(property_name, subject, framework="torch", dtype="float32"):
    return Cell(property_name, subject, framework, "cpu", dtype)


def red(session, cells):
    records = {c: harness.run_cell(module, session, c) for module, c in cells}
    return {c for c, record in records.items() if record["outcome"] in ("fail", "error")}, records


def test_the_unpatched_cells_are_green(session, needs, deterministic_profile):
    needs("torch", "chainer")
    cells = [(test_rnn, cell("rnn.values", "gru_cell", "chainer")),
             (test_rnn, cell("rnn.grad", "gru_cell", "chainer", "float64")),
             (test_layers_more, cell("conv_nd.grad", "conv3d"))]
    failing, records = red(session, cells)
    assert failing == set(), {c: r["message"] for c, r in records.items()}


def test_a_chainer_gru_cell_with_torchs_formula_turns_its_cells_red(
        session, needs, deterministic_profile, monkeypatch):
    needs("torch", "chainer")
    import chainer.functions as F
    import chainer.links

    def torch_formula(self, h, x):
        r = F.sigmoid(self.W_r(x) + self.U_r(h))
        z = F.sigmoid(self.W_z(x) + self.U_z(h))
        n = F.tanh(self.W(x) + r * self.U(h))
        return (1 - z) * n + z * h

    monkeypatch.setattr(chainer.links.StatelessGRU, "forward", torch_formula)
    wrong = [(test_rnn, cell("rnn.values", "gru_cell", "chainer")),
             (test_rnn, cell("rnn.grad", "gru_cell", "chainer", "float64"))]
    green = [(test_rnn, cell("rnn.values", "gru_cell")),
             (test_rnn, cell("rnn.grad", "gru", "chainer"))]
    failing, records = red(session, wrong + green)
    assert failing == {c for _, c in wrong}, {c: r["outcome"] for c, r in records.items()}
    message = records[wrong[0][1]]["message"]
    assert "h'" in message and "refimpl float64" in message, message
    assert "RUN = chainer_gru_cell_run" in records[wrong[0][1]]["repro"]


def test_conv3d_with_a_wrong_weight_gradient_turns_exactly_its_cell_red(
        session, needs, deterministic_profile, monkeypatch):
    needs("torch", "chainer")
    original = torch.nn.functional.conv3d

    def conv3d_with_scaled_weight_gradient(x, weight, bias=None, stride=1, padding=0,
                                           dilation=1, groups=1):
        scaled = weight + 0.5 * (weight - weight.detach())  # the same value, 1.5x the gradient
        return original(x, scaled, bias, stride, padding, dilation, groups)

    monkeypatch.setattr(torch.nn.functional, "conv3d", conv3d_with_scaled_weight_gradient)
    wrong = [(test_layers_more, cell("conv_nd.grad", "conv3d"))]
    green = [(test_layers_more, cell("conv_nd.values", "conv3d")),
             (test_layers_more, cell("conv_nd.grad", "conv1d")),
             (test_layers_more, cell("conv_nd.grad", "conv3d", "chainer"))]
    failing, records = red(session, wrong + green)
    assert failing == {c for _, c in wrong}, {c: r["outcome"] for c, r in records.items()}
    record = records[wrong[0][1]]
    assert "gradient of input 1" in record["message"], record["message"]  # W
    assert "OP = torch_conv3d" in record["repro"]
