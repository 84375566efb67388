"""More layers: the transposed convolution, PReLU, Bilinear, Highway, and the GRU cell and
sequence layer, with each framework's defaults and conventions (policy fields).

===================================  ===============================================  =============================================
refimpl                              torch                                            chainer
===================================  ===============================================  =============================================
``ConvTranspose2d(in, out, k, ...)`` ``nn.ConvTranspose2d(in, out, k, stride,         ``L.Deconvolution2D(in, out, ksize, stride,
``layer(x, output_size)``            padding, output_padding, groups, bias,           pad, nobias, outsize, groups=)``
                                     dilation)``, ``layer(x, output_size=...)``       (``conv_transpose_output_size``)
``PReLU(shape=None, init=0.25)``     ``nn.PReLU(num_parameters=1, init=0.25)``:       ``L.PReLU(shape=(), init=0.25)``: W ()
                                     weight (1,)                                      (``prelu_slope_shape``)
``Bilinear(in1, in2, out)``          ``nn.Bilinear``: weight (out, in1, in2), bias    ``L.Bilinear``: W (in1, in2, out), V1, V2, b
                                     (``bilinear_weight_layout``)                     (``bilinear_linear_terms``)
``Highway(in_size)``                 (none)                                           ``L.Highway(in_size)``: plain, transform
``GRUCell(in, H)``                   ``nn.GRUCell``                                   ``L.StatelessGRU`` (``gru_cell_reset_gate``,
                                                                                      ``gru_cell_update_gate``)
``GRU(in, H, num_layers, ...)``      ``nn.GRU``                                       ``L.NStepGRU`` / ``L.NStepBiGRU``
===================================  ===============================================  =============================================
"""
import math

import numpy

from .. import initializers, policies as _policies
from ..functions import gru as _gru
from ..functions.activation import relu
from ..functions.conv import conv_transpose2d
from ..functions.layers_more import bilinear, prelu
from ..functions.math import sigmoid
from .layers import Linear, _check_size, _pair, _rng, _WeightedLayer
from .module import Chain, Module, Parameter
from .rnn import _RNNBase, _check_unmodelled, _positive_int

__all__ = ["Bilinear", "ConvTranspose2d", "GRU", "GRUCell", "Highway", "PReLU"]


class ConvTranspose2d(_WeightedLayer):
    """Transposed 2-D convolution layer (deconvolution); W ``(in_channels, out_channels //
    groups, kh, kw)`` in both frameworks; see ``refimpl.functions.conv_transpose2d``.

    Args: in_channels, out_channels, kernel_size, stride, padding, output_padding, groups,
    bias, dilation as torch's ``nn.ConvTranspose2d``; ``outsize``: chainer's
    ``L.Deconvolution2D(outsize=...)``, the output size of every call; initial_weight,
    initial_bias, dtype, rng as ``Linear``.

    ``forward(x, output_size=None)``: an explicit output size (or ``outsize``) follows the
    policy field ``conv_transpose_output_size``: 'output_padding' (torch) takes sizes in
    [natural, natural + stride - 1] as ``output_padding = size - natural`` and raises
    ValueError outside; 'outsize' (chainer) takes any size that convolves back to the input
    (natural - stride + 1 .. natural + stride - 1), checked by ``conv_transpose2d``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, outsize=None, *,
                 initial_weight=None, initial_bias=None, dtype=numpy.float32, rng=None):
        super().__init__()
        self._in_size = _check_size("in_channels", in_channels)
        self.out_size = _check_size("out_channels", out_channels)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.output_padding, self.outsize = output_padding, outsize
        self.groups = _check_size("groups", groups)
        if self.out_size % self.groups or self._in_size % self.groups:
            raise ValueError(f"in_channels and out_channels must be divisible by groups, got "
                             f"in_channels={self._in_size}, out_channels={self.out_size}, "
                             f"groups={self.groups}")
        self._setup(bias, initial_weight, initial_bias, dtype, rng)

    def _weight_shape(self, in_channels):
        return (in_channels, self.out_size // self.groups) + self.kernel_size

    def natural_size(self, in_size):
        """``(H - 1) s - 2 p + (k - 1) d + 1`` per spatial axis of an input of ``in_size``."""
        return tuple((n - 1) * s - 2 * p + (k - 1) * d + 1 for n, s, p, k, d in zip(
            in_size, _pair("stride", self.stride), _pair("padding", self.padding),
            self.kernel_size, _pair("dilation", self.dilation)))

    def forward(self, x, output_size=None):
        size = output_size if output_size is not None else self.outsize
        arguments = dict(stride=self.stride, pad=self.padding, dilation=self.dilation,
                         groups=self.groups)
        if size is None:
            return conv_transpose2d(x, self.weight, self.bias,
                                    output_padding=self.output_padding, **arguments)
        size = _pair("output_size", size)
        if _policies.current().conv_transpose_output_size == "outsize":
            return conv_transpose2d(x, self.weight, self.bias, outsize=size, **arguments)
        natural = self.natural_size(x.shape[-2:])
        largest = tuple(n + s - 1 for n, s in zip(natural, _pair("stride", self.stride)))
        if any(not lo <= n <= hi for n, lo, hi in zip(size, natural, largest)):
            raise ValueError(f"requested an output size of {size}, but valid sizes range from "
                             f"{list(natural)} to {list(largest)} (for an input of "
                             f"x.shape={x.shape})")
        return conv_transpose2d(x, self.weight, self.bias,
                                output_padding=tuple(n - m for n, m in zip(size, natural)),
                                **arguments)

    def extra_repr(self):
        return (f"{self._in_size}, {self.out_size}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, groups={self.groups}, "
                f"dilation={self.dilation}, bias={self.bias is not None}")


class PReLU(Module):
    """Parametric ReLU layer: ``y = prelu(x, weight)``.

    Args:
        shape: the slopes' shape; None takes the policy's default (field
            ``prelu_slope_shape``: 'channels' (torch ``nn.PReLU(num_parameters=1)``): (1,);
            'leading_axes' (chainer ``L.PReLU(shape=())``): ()).
        init: the slopes' initial value (0.25 in both).
        dtype: parameter dtype.
    """

    chainer_names = {"weight": "W"}
    W = property(lambda self: self.weight, doc="chainer's name of ``weight``")

    def __init__(self, shape=None, init=0.25, *, dtype=numpy.float32):
        super().__init__()
        if shape is None:
            shape = (1,) if _policies.current().prelu_slope_shape == "channels" else ()
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.weight = Parameter(numpy.full(shape, init, dtype=dtype))

    def forward(self, x):
        return prelu(x, self.weight)


class Bilinear(Module):
    """Bilinear layer ``y = bilinear(x1, x2, W, b[, V1, V2])``.

    Parameters under the active policy: W in the layout of ``bilinear_weight_layout``
    ('out_in1_in2': torch ``weight``; 'in1_in2_out': chainer ``W``); with ``bias``, ``b``
    (out,) and, where ``bilinear_linear_terms`` (chainer), ``V1`` (in1, out) and ``V2``
    (in2, out). Default initialisation per ``weight_initializer``: torch's
    ``U(-1/sqrt(in1), 1/sqrt(in1))`` for weight and bias; chainer's LeCunNormal for W, V1, V2
    (fan_in: the product of all axes but the first) and zeros for b.
    """

    chainer_names = {"weight": "W", "bias": "b", "V1": "V1", "V2": "V2"}
    W = property(lambda self: self.weight, doc="chainer's name of ``weight``")
    b = property(lambda self: self.bias, doc="chainer's name of ``bias``")

    def __init__(self, in1_features, in2_features, out_features, bias=True, *,
                 dtype=numpy.float32, rng=None):
        super().__init__()
        in1 = _check_size("in1_features", in1_features)
        in2 = _check_size("in2_features", in2_features)
        out = _check_size("out_features", out_features)
        policy, rng, dtype = _policies.current(), _rng(rng), numpy.dtype(dtype)
        shape = (out, in1, in2) if policy.bilinear_weight_layout == "out_in1_in2" else (in1, in2, out)
        torch_style = policy.weight_initializer == "kaiming_uniform_a_sqrt5"
        bound = 1 / math.sqrt(in1)

        def draw(shape):
            if torch_style:
                return initializers.uniform(shape, bound, dtype=dtype, rng=rng)
            return initializers.lecun_normal(shape, dtype=dtype, rng=rng)

        self.weight = Parameter(draw(shape))
        if bias and policy.bilinear_linear_terms:
            self.V1 = Parameter(draw((in1, out)))
            self.V2 = Parameter(draw((in2, out)))
        if bias:
            self.bias = Parameter(draw((out,)) if torch_style
                                  else initializers.zeros((out,), dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x1, x2):
        linear_terms = getattr(self, "V1", None), getattr(self, "V2", None)
        return bilinear(x1, x2, self.weight, self.bias, *linear_terms)


class Highway(Chain):
    """Chainer's ``L.Highway(in_size, nobias=False, activate=relu, init_bt=-1)``:
    ``y = activate(plain(x)) * t + x * (1 - t)`` with ``t = sigmoid(transform(x))``;
    ``plain`` and ``transform`` are Linear ``in_size -> in_size`` layers (chainer's defaults:
    LeCunNormal weights, ``plain.b`` 0, ``transform.b`` ``init_bt`` = -1, so the layer starts
    mostly carrying x through). torch has no Highway layer.
    """

    def __init__(self, in_size, bias=True, activate=relu, init_bt=-1.0, *,
                 initial_weights=None, dtype=numpy.float32, rng=None):
        super().__init__()
        size = _check_size("in_size", in_size)
        given = initial_weights or {}
        rng = _rng(rng)
        self.activate = activate
        self.plain = Linear(size, size, bias=bias, initial_weight=given.get("plain/W"),
                            initial_bias=given.get("plain/b", numpy.zeros(size) if bias else None),
                            dtype=dtype, rng=rng)
        self.transform = Linear(size, size, bias=bias, initial_weight=given.get("transform/W"),
                                initial_bias=given.get("transform/b",
                                                       numpy.full(size, init_bt) if bias else None),
                                dtype=dtype, rng=rng)

    def forward(self, x):
        t = sigmoid(self.transform(x))
        return self.activate(self.plain(x)) * t + x * (1 - t)


class GRUCell(Module):
    """One GRU step (torch ``nn.GRUCell(input_size, hidden_size, bias)``; chainer
    ``L.StatelessGRU`` with its links mapped from these parameters): ``forward(x, h=None)``
    is ``refimpl.functions.gru.gru_cell`` under the policy (``gru_cell_reset_gate``,
    ``gru_cell_update_gate``). Parameters ``weight_ih (3H, in)``, ``weight_hh (3H, H)``,
    ``bias_ih``, ``bias_hh (3H,)``, torch's default ``U(-1/sqrt(H), 1/sqrt(H))``.
    """

    def __init__(self, input_size, hidden_size, bias=True, *, dtype=numpy.float32, rng=None):
        super().__init__()
        self.input_size = _positive_int("input_size", input_size)
        self.hidden_size = _positive_int("hidden_size", hidden_size)
        rng, dtype, H = _rng(rng), numpy.dtype(dtype), self.hidden_size
        shapes = {"weight_ih": (3 * H, self.input_size), "weight_hh": (3 * H, H)}
        if bias:
            shapes.update(bias_ih=(3 * H,), bias_hh=(3 * H,))
        for name, shape in shapes.items():
            setattr(self, name, Parameter(initializers.rnn_uniform(shape, H, dtype=dtype, rng=rng)))
        if not bias:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def forward(self, x, h=None):
        return _gru.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRU(_RNNBase):
    """GRU layers (torch ``nn.GRU``; chainer ``L.NStepGRU``/``L.NStepBiGRU`` with the same
    parameter blocks), gates (r, z, n) in the ``3H`` rows of each weight. Args as
    ``refimpl.nn.RNN`` without ``nonlinearity``. ``forward(input, h_0=None) -> (output,
    h_n)``; see ``refimpl.functions.gru.gru``."""

    _gates = 3

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, *, dtype=numpy.float32, rng=None):
        _check_unmodelled(dropout, 0)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                         dtype, rng)

    def forward(self, input, hx=None):
        return _gru.gru(input, self.layer_weights(), hx, batch_first=self.batch_first,
                        bidirectional=self.bidirectional)

