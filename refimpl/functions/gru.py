"""Gated recurrent units: one step (``gru_cell``) and a stack of layers over a sequence
(``gru``), in PyTorch's parameter layout.

A layer has ``W_ih (3H, in)``, ``W_hh (3H, H)``, ``b_ih``, ``b_hh (3H,)``, whose row blocks
are the reset gate r, the update gate z and the candidate n, in that order (torch
``nn.GRUCell``/``nn.GRU``; chainer ``L.NStepGRU``'s ``w0..w5``/``b0..b5`` are the same blocks:
w0, w1, w2 of W_ih and w3, w4, w5 of W_hh). The sequence layers of both frameworks compute

.. math::
    r = \\sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}), \\quad
    z = \\sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\\\
    n = \\tanh(W_{in} x + b_{in} + r (W_{hn} h + b_{hn})), \\quad h' = (1 - z) n + z h

The GRU *cell* differs (policy fields ``gru_cell_reset_gate`` and ``gru_cell_update_gate``):
chainer's ``L.StatelessGRU`` computes ``h_bar = tanh(W x + b_W + U (r h) + b_U)`` and
``h' = z h_bar + (1 - z) h``, with its links ``W_r, W_z, W`` the blocks of ``W_ih``/``b_ih``
and ``U_r, U_z, U`` those of ``W_hh``/``b_hh`` (the mapping a port makes).

Compositions of refimpl ops: differentiable to any order.
"""
from .. import policies as _policies
from .math import sigmoid, tanh
from .rnn import _cell_arguments, _linear, _sequence
from .shape import split

__all__ = ["gru", "gru_cell"]

RESET_GATES = ("after_matmul", "before_matmul")
UPDATE_GATES = ("keeps_state", "takes_candidate")


def _blocks(variable, hidden):
    """The three row blocks (r, z, n) of a ``(3H, ...)`` weight or ``(3H,)`` bias (None: three
    Nones)."""
    if variable is None:
        return None, None, None
    return split(variable, [hidden] * 3, axis=0, _sizes=True)


def _gru_step(x_projection, h, W_hh, b_hh, reset_gate, update_gate):
    """One GRU step from ``x_projection = x W_ih^T + b_ih`` (3H columns: r, z, n)."""
    hidden = h.shape[-1]
    x_r, x_z, x_n = split(x_projection, [hidden] * 3, axis=-1, _sizes=True)
    if reset_gate == "after_matmul":
        h_r, h_z, h_n = split(_linear(h, W_hh, b_hh), [hidden] * 3, axis=-1, _sizes=True)
        r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
        candidate = tanh(x_n + r * h_n)
    else:
        (U_r, U_z, U), (c_r, c_z, c_n) = _blocks(W_hh, hidden), _blocks(b_hh, hidden)
        r = sigmoid(x_r + _linear(h, U_r, c_r))
        z = sigmoid(x_z + _linear(h, U_z, c_z))
        candidate = tanh(x_n + _linear(r * h, U, c_n))
    if update_gate == "keeps_state":
        return (1 - z) * candidate + z * h
    return z * candidate + (1 - z) * h


def gru_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None, *, reset_gate=None, update_gate=None):
    """One GRU step (torch ``nn.GRUCell``; chainer ``L.StatelessGRU`` with the mapped links).

    Args:
        x: ``(batch, in)`` or unbatched ``(in,)``. h: ``(batch, H)`` (``(H,)``); None: zeros.
        W_ih: ``(3H, in)``, W_hh: ``(3H, H)``, row blocks (r, z, n); b_ih, b_hh: ``(3H,)`` or
            None.
        reset_gate, update_gate: the policy fields ``gru_cell_reset_gate`` ('after_matmul':
            ``n = tanh(x_n + r (W_hn h + b_hn))``; 'before_matmul': ``tanh(x_n + W_hn (r h) +
            b_hn)``) and ``gru_cell_update_gate`` ('keeps_state': ``h' = (1 - z) n + z h``;
            'takes_candidate': ``h' = z n + (1 - z) h``) unless given.

    Returns ``h'`` of ``h``'s shape.
    """
    policy = _policies.current()
    reset_gate = policy.gru_cell_reset_gate if reset_gate is None else reset_gate
    update_gate = policy.gru_cell_update_gate if update_gate is None else update_gate
    if reset_gate not in RESET_GATES:
        raise ValueError(f"gru_cell: reset_gate must be one of {RESET_GATES}, got "
                         f"reset_gate={reset_gate!r}")
    if update_gate not in UPDATE_GATES:
        raise ValueError(f"gru_cell: update_gate must be one of {UPDATE_GATES}, got "
                         f"update_gate={update_gate!r}")
    x, (h,), W_ih, W_hh, b_ih, b_hh = _cell_arguments(
        x, [("h", h)], W_ih, W_hh, b_ih, b_hh, 3, "gru_cell")
    return _gru_step(_linear(x, W_ih, b_ih), h, W_hh, b_hh, reset_gate, update_gate)


def gru(input, weights, h_0=None, *, batch_first=False, bidirectional=False):
    """A stack of GRU layers over a sequence (torch ``nn.GRU``; chainer ``L.NStepGRU`` /
    ``L.NStepBiGRU``), each step the 'after_matmul', 'keeps_state' form above whatever the
    policy (both frameworks' sequence layers compute it).

    Args: as ``refimpl.functions.rnn.rnn`` with 3H-row weights (blocks r, z, n).

    Returns ``(output, h_n)`` with torch's shapes.
    """
    def step(x_projection, state, W_hh, b_hh):
        return (_gru_step(x_projection, state[0], W_hh, b_hh, "after_matmul", "keeps_state"),)

    output, (h_n,) = _sequence(input, weights, [("h_0", h_0)], 3, step, batch_first,
                               bidirectional, "GRU")
    return output, h_n
