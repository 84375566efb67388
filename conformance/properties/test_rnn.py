"""Recurrent layers with the same weights on both sides:

- ``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru``: torch ``nn.RNN``/``nn.LSTM``/``nn.GRU``
  (layers, directions, bias, batch_first, unbatched input, given or zero initial states;
  weights loaded with ``load_state_dict``) and chainer ``L.NStepRNNTanh/ReLU``,
  ``L.NStepLSTM``, ``L.NStepGRU`` (``Bi`` when bidirectional; the same weights mapped onto
  ``ws``/``bs``, the input as a list of sequences) vs refimpl ``nn.RNN``/``nn.LSTM``/``nn.GRU``;
- ``gru_cell``: torch ``nn.GRUCell`` and chainer ``L.StatelessGRU`` (torch's row blocks
  mapped onto its links) vs refimpl ``nn.GRUCell`` under the framework's policy (the GRU
  cell's gates differ: ``gru_cell_reset_gate``, ``gru_cell_update_gate``);
- ``chainer_lstm``: chainer's stateful ``L.LSTM`` over a few steps (the batch may shrink
  between steps) vs refimpl ``nn.ChainerLSTM``.

``rnn.values``: output, h_n (and c_n); chainer: every step's y and the final c and h.
``rnn.grad``: additionally the gradients of the input, the initial states and every
parameter after backward of ``sum(output * g) + sum(h_n * g_h) (+ sum(c_n * g_c))``.
Compared with refimpl's run in float64 (``properties/layers.py``, runs). A relu RNN's
pre-activations are kept 1/64 away from relu's kink (``layer_strategies.rnn_cases``). The
``chainer_lstm`` record is declared by chainer's plugin (its layers module's ``subjects()``).
"""
from ..checks import layers, tolerances
from .common import cells as subject_cells
from .common import prepare
from .layers import check_run

SUBJECTS = tuple(entry.subject for entry in layers.layer_entries("layer", "rnn"))
PROPERTIES = ("rnn.values", "rnn.grad")


def cells(session):
    return [cell for name in PROPERTIES for cell in subject_cells(session, name, SUBJECTS)]


def check_cell(session, cell, stats):
    ctx = prepare(session, cell, stats, run_of=lambda plugin: layers.run_of(plugin, cell.subject))
    backward = cell.property == "rnn.grad"
    tolerance = stats.tolerance = tolerances.tolerance(cell.dtype, "grad" if backward else "value")
    strategy = layers.layer_entry(cell.subject).cases(ctx.adapter.features)
    check_run(session, cell, stats, ctx, strategy, lambda case: tolerance, backward=backward)


def test_rnn(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
