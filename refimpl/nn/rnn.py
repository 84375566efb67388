"""Recurrent layers: torch's ``nn.RNN`` and ``nn.LSTM``, and chainer's stateful ``L.LSTM``.

==============================================  ==========================================  =====================================
refimpl                                         torch                                       chainer
==============================================  ==========================================  =====================================
``RNN(in, H, num_layers, nonlinearity, ...)``   ``nn.RNN`` (same arguments)                 ``L.NStepRNNTanh``/``ReLU`` (mapped)
``LSTM(in, H, num_layers, bias, batch_first)``  ``nn.LSTM`` (same arguments)                ``L.NStepLSTM`` (mapped, see below)
``ChainerLSTM(in, H)``                          ``nn.LSTMCell`` + user-held state           ``L.LSTM(in, H)`` (stateful)
parameters                                      ``weight_ih_l0, weight_hh_l0, bias_ih_l0,   ``/lateral/W, /upward/W, /upward/b``
                                                bias_hh_l0, ..._l1``                        (one bias, gates interleaved per unit)
default init                                    all ``U(-1/sqrt(H), 1/sqrt(H))``            W: ``LeCunNormal`` ``N(0, 1/fan_in)``
                                                                                            per gate block; b: 0, forget gate 1
first step                                      ``h_0 = c_0 = 0`` unless given              ``h`` None: no lateral term;
                                                                                            ``c`` None: zeros
==============================================  ==========================================  =====================================

``refimpl.functions.rnn.torch_lstm_to_chainer`` / ``chainer_lstm_to_torch`` convert one
layer's parameters between the two layouts. chainer's NStep links compute torch's sequence
layers' formulas, their ``w_j``/``b_j`` torch's row blocks in torch's order (i, f, g, o for
the LSTM, despite n_step_lstm's docstring listing i, f, o, a; checked on chainer 7.8.1 by the
rnn cells, ``conformance.frameworks.chainer.layers_more.chainer_nstep_run``); with
``bias=False`` their biases are zeros. The GRU: ``refimpl.nn.layers_more.GRU``. Dropout between layers, ``proj_size`` and lazy
input sizes are not modelled (passing them raises).
"""
import numbers

import numpy

from .. import _backend, initializers
from .. import policies as _policies
from ..functions import rnn as _rnn
from ..functions.shape import concat, split
from ..variable import Variable
from .module import Chain, Module, Parameter, moved

__all__ = ["ChainerLSTM", "LSTM", "LSTMCell", "RNN"]


def _positive_int(name, value, message=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {name}={value!r}")
    if value <= 0:
        raise ValueError(message or f"{name} must be greater than zero, got {name}={value!r}")
    return int(value)


def _generator(rng):
    """One ``numpy.random.Generator`` for all of a layer's draws (from None, an int seed or a
    Generator), so that a seed fixes every parameter."""
    return initializers._generator(rng)


def _check_unmodelled(dropout, proj_size):
    if dropout != 0:
        raise NotImplementedError(f"dropout between layers is not modelled, got dropout={dropout!r}")
    if proj_size != 0:
        raise NotImplementedError(f"proj_size is not modelled, got proj_size={proj_size!r}")


class _RNNBase(Module):
    """Parameters and forward shared by ``RNN`` and ``LSTM`` (torch's ``nn.RNNBase``)."""

    _gates = 1  # weight rows per hidden unit

    def __init__(self, input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                 dtype, rng):
        super().__init__()
        self.input_size = _positive_int("input_size", input_size)
        self.hidden_size = _positive_int("hidden_size", hidden_size)
        self.num_layers = _positive_int("num_layers", num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self._register_parameters(numpy.dtype(dtype), _generator(rng))

    def _suffixes(self):
        """``(layer, name suffix)`` of every layer and direction, in torch's order."""
        directions = ["", "_reverse"] if self.bidirectional else [""]
        return [(layer, f"_l{layer}{direction}") for layer in range(self.num_layers)
                for direction in directions]

    def _register_parameters(self, dtype, rng):
        """Per layer and direction, in torch's order: weight_ih, weight_hh, bias_ih, bias_hh,
        each drawn from ``U(-1/sqrt(H), 1/sqrt(H))`` in that order (torch's
        ``reset_parameters``)."""
        rows, directions = self._gates * self.hidden_size, 2 if self.bidirectional else 1
        for layer, suffix in self._suffixes():
            layer_input = self.input_size if layer == 0 else directions * self.hidden_size
            shapes = {"weight_ih": (rows, layer_input), "weight_hh": (rows, self.hidden_size)}
            if self.bias:
                shapes.update(bias_ih=(rows,), bias_hh=(rows,))
            for name, shape in shapes.items():
                data = initializers.rnn_uniform(shape, self.hidden_size, dtype=dtype, rng=rng)
                setattr(self, name + suffix, Parameter(data))

    def layer_weights(self):
        """``[(weight_ih, weight_hh[, bias_ih, bias_hh]) per layer and direction]`` in
        torch's order, as the functions take them."""
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
        return [tuple(getattr(self, name + suffix) for name in names)
                for _, suffix in self._suffixes()]

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"bias={self.bias}, batch_first={self.batch_first}, "
                f"bidirectional={self.bidirectional}")


class RNN(_RNNBase):
    """Elman RNN layers (``torch.nn.RNN``): ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    Args:
        input_size: features of the input. hidden_size: ``H``. num_layers: stacked layers.
        nonlinearity: ``'tanh'`` or ``'relu'``.
        bias: whether the layers have ``bias_ih_l*`` and ``bias_hh_l*``.
        batch_first: input and output as ``(batch, T, feature)``; ``h_0``/``h_n`` stay
            ``(num_layers, batch, H)``.
        bidirectional: whether each layer also runs backwards in time (parameters
            ``*_l{k}_reverse``; output features and the first axis of ``h_0`` double).
        dropout: only 0: dropout between layers is not modelled.
        dtype: parameter dtype (float32, as torch). rng: None, an int seed or a Generator.

    ``forward(input, h_0=None) -> (output, h_n)``; see ``refimpl.functions.rnn.rnn``.

    >>> layer = RNN(3, 2, num_layers=2, rng=0)
    >>> [name for name, _ in layer.named_parameters()][:4]
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, *, dtype=numpy.float32,
                 rng=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'.")
        _check_unmodelled(dropout, 0)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                         dtype, rng)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return _rnn.rnn(input, self.layer_weights(), hx, nonlinearity=self.nonlinearity,
                        batch_first=self.batch_first, bidirectional=self.bidirectional)


class LSTM(_RNNBase):
    """LSTM layers (``torch.nn.LSTM``), gates (i, f, g, o) in the ``4H`` rows of each weight.

    Args: as ``RNN`` without ``nonlinearity`` (``proj_size`` only 0: not modelled).

    ``forward(input, hx=None) -> (output, (h_n, c_n))`` with ``hx = (h_0, c_0)``; see
    ``refimpl.functions.rnn.lstm``.
    """

    _gates = 4

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, *, dtype=numpy.float32, rng=None):
        _check_unmodelled(dropout, proj_size)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                         dtype, rng)

    def forward(self, input, hx=None):
        return _rnn.lstm(input, self.layer_weights(), hx, batch_first=self.batch_first,
                         bidirectional=self.bidirectional)


class _GateLinear(Module):
    """``y = x W^T (+ b)`` with chainer's parameter names ``W``, ``b`` (the ``upward`` and
    ``lateral`` links of ``ChainerLSTM``)."""

    chainer_names = {"weight": "W", "bias": "b"}

    def __init__(self, weight, bias):
        super().__init__()
        self.weight = Parameter(weight)
        if bias is None:
            self.register_parameter("bias", None)
        else:
            self.bias = Parameter(bias)

    @property
    def W(self):
        return self.weight

    @property
    def b(self):
        return self.bias

    def forward(self, x):
        return _rnn._linear(x, self.weight, self.bias)


class ChainerLSTM(Chain):
    """Chainer's stateful fully-connected LSTM (``chainer.links.LSTM(in_size, out_size)``).

    Each call ``y = layer(x)`` computes ``lstm_in = upward(x) + lateral(h)`` and
    ``c, y = chainer_lstm(c, lstm_in)``, keeps ``c`` and ``h = y``, and returns ``y``.
    ``upward`` is a Linear ``in_size -> 4*out_size`` with bias, ``lateral`` one
    ``out_size -> 4*out_size`` without; their ``4H`` rows interleave the gates (a, i, f, o)
    per unit (see ``refimpl.functions.rnn``).

    On the first call after construction or ``reset_state()`` (``h`` and ``c`` are None), the
    lateral term is left out and ``c`` starts as zeros: the same as ``h_0 = c_0 = 0``.
    A batch smaller than the state's updates only the first rows of ``h`` and ``c``
    (Chainer's variable-length batches); a larger one raises TypeError, as Chainer.

    Initialisation (chainer 7.8.1's ``LSTMBase``): ``upward.W`` and ``lateral.W`` from
    ``N(0, 1/fan_in)`` (``LeCunNormal``; fan_in ``in_size`` and ``out_size``; chainer draws
    each ``H``-row block separately, which is the same distribution); ``upward.b`` is
    ``bias_init`` (0) for a, i, o and ``forget_bias_init`` (1) for the forget gate.

    Args:
        in_size: input features (the lazy ``in_size=None`` of Chainer is not modelled).
        out_size: ``H``.
        bias_init, forget_bias_init: numbers for the bias (Chainer's scalar form).
        dtype: parameter dtype (float32). rng: None, an int seed or a Generator.
    """

    def __init__(self, in_size, out_size, *, bias_init=0.0, forget_bias_init=1.0,
                 dtype=numpy.float32, rng=None):
        super().__init__()
        self.in_size = _positive_int("in_size", in_size)
        self.state_size = _positive_int("out_size", out_size)
        rng, dtype, H = _generator(rng), numpy.dtype(dtype), self.state_size
        bias = initializers.chainer_lstm_bias(H, bias_init, forget_bias_init, dtype=dtype)
        upward_W = initializers.lecun_normal((4 * H, self.in_size), dtype=dtype, rng=rng)
        lateral_W = initializers.lecun_normal((4 * H, H), dtype=dtype, rng=rng)
        self.upward = _GateLinear(upward_W, bias)
        self.lateral = _GateLinear(lateral_W, None)
        self.reset_state()

    def reset_state(self):
        """Forget the state: ``h = c = None``."""
        self.h = self.c = None

    def _move_state(self, device):
        """``to_device`` moves the state ``c`` and ``h`` too (chainer's LSTM does)."""
        for state in (self.c, self.h):
            if state is not None:
                state.data = moved(state.data, device)

    def set_state(self, c, h):
        """Set the state (Variables of shape ``(batch, out_size)``)."""
        for name, value in (("c", c), ("h", h)):
            if not isinstance(value, Variable):
                raise TypeError(f"{name} must be a Variable, got {name}={value!r}")
            if value.ndim != 2 or value.shape[1] != self.state_size:
                raise ValueError(f"{name} must have shape (batch, {self.state_size}), got "
                                 f"{name}.shape={value.shape}")
        self.c, self.h = c, h

    def forward(self, x):
        x = _rnn._floating(x, "x")
        if x.ndim != 2 or x.shape[1] != self.in_size:
            raise ValueError(f"x must have shape (batch, {self.in_size}), got x.shape={x.shape}")
        batch = x.shape[0]
        lstm_in = self.upward(x)
        h_rest = None
        if self.h is not None:
            lstm_in, h_rest = self._add_lateral(lstm_in, batch)
        if self.c is None:
            xp = _backend.get_array_module(x.data)
            self.c = Variable._constant(xp.zeros((batch, self.state_size), dtype=x.dtype))
        self.c, y = _rnn.chainer_lstm(self.c, lstm_in)
        if h_rest is None:
            self.h = y
        elif batch == 0:
            self.h = h_rest
        else:
            self.h = concat([y, h_rest], axis=0)
        return y

    def _add_lateral(self, lstm_in, batch):
        """``lstm_in + lateral(h[:batch])`` and the rows ``h[batch:]`` it leaves (or None)."""
        h_size = self.h.shape[0]
        if batch == 0:
            return lstm_in, self.h
        if h_size < batch:
            raise TypeError("The batch size of x must be equal to or less than the size of the "
                            f"previous state h (x batch {batch}, h.shape={self.h.shape}).")
        if h_size > batch:
            h_update, h_rest = split(self.h, [batch, h_size - batch], axis=0, _sizes=True)
            return lstm_in + self.lateral(h_update), h_rest
        return lstm_in + self.lateral(self.h), None

    def extra_repr(self):
        return f"{self.in_size}, {self.state_size}"



class LSTMCell(Module):
    """An LSTM cell layer, ``(h', c') = cell(x, (h, c))``, in torch's layout (``nn.LSTMCell``:
    ``weight_ih (4H, in)``, ``weight_hh (4H, H)``, rows in gate blocks i, f, g, o) with the
    biases of the active policy (issue 18, found by the port checker):

    - ``lstm_cell_biases`` 'two' (torch ``nn.LSTMCell``): ``bias_ih`` and ``bias_hh``, both
      trained and summed in the gates; 'one' (chainer ``L.LSTM``'s single ``upward/b``):
      ``bias_ih`` alone (``bias_hh`` is None).
    - ``lstm_bias_init`` 'uniform' (torch: every bias ``U(-1/sqrt(H), 1/sqrt(H))``);
      'forget_one' (chainer: 0, and 1 on the forget-gate rows ``H:2H``).

    The weights are drawn as torch's (``U(-1/sqrt(H), 1/sqrt(H))``) under either policy
    (chainer's LeCunNormal weights: ``ChainerLSTM``). ``bias=False``: no bias.
    """

    def __init__(self, input_size, hidden_size, bias=True, *, dtype=numpy.float32, rng=None):
        super().__init__()
        policy = _policies.current()
        if policy.lstm_cell_biases not in ("one", "two"):
            raise ValueError(f"unknown lstm_cell_biases={policy.lstm_cell_biases!r} in policy "
                             f"{policy.name!r}")
        if policy.lstm_bias_init not in ("uniform", "forget_one"):
            raise ValueError(f"unknown lstm_bias_init={policy.lstm_bias_init!r} in policy "
                             f"{policy.name!r}")
        self.input_size = _positive_int("input_size", input_size)
        self.hidden_size = H = _positive_int("hidden_size", hidden_size)
        rng, dtype = _generator(rng), numpy.dtype(dtype)
        self.weight_ih = Parameter(initializers.rnn_uniform((4 * H, self.input_size), H,
                                                            dtype=dtype, rng=rng))
        self.weight_hh = Parameter(initializers.rnn_uniform((4 * H, H), H, dtype=dtype, rng=rng))
        trained = ("bias_ih", "bias_hh") if policy.lstm_cell_biases == "two" else ("bias_ih",)
        for name in ("bias_ih", "bias_hh"):
            value = None
            if bias and name in trained and policy.lstm_bias_init == "uniform":
                value = Parameter(initializers.rnn_uniform((4 * H,), H, dtype=dtype, rng=rng))
            elif bias and name in trained:      # 'forget_one': the forget gate once, in bias_ih
                value = Parameter(numpy.zeros(4 * H, dtype=dtype))
                value.data[H:2 * H] = 1.0 if name == "bias_ih" else 0.0
            self.register_parameter(name, value)

    def forward(self, x, hx=None):
        return _rnn.lstm_cell(x, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}"
