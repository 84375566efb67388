"""Linear and Conv2d layers: parameters, each framework's default initialisation, lazy input
size, and the mapping between torch's and chainer's constructors.

==========================  ==================================================  ==========================================
refimpl                     torch                                               chainer
==========================  ==================================================  ==========================================
``Linear(in, out)``         ``nn.Linear(in, out, bias=True)``                   ``L.Linear(in, out, nobias=False)``
``Linear(None, out)``       ``nn.LazyLinear(out)``                              ``L.Linear(out)`` / ``L.Linear(None, out)``
``Conv2d(in, out, k, ...)`` ``nn.Conv2d(in, out, kernel_size, stride, padding,  ``L.Convolution2D(in, out, ksize, stride, pad,
                            dilation, groups, bias)``                           nobias, dilate=, groups=)``
``Conv2d(None, out, k)``    ``nn.LazyConv2d(out, k)``                           ``L.Convolution2D(out, ksize)``
``bias=False``              ``bias=False``                                      ``nobias=True``
``cover_all=True``          (none: torch has no such rule for conv)             ``cover_all=True`` (call-time argument)
weight ``(out, in, ...)``   ``weight``                                          ``W`` (same layout)
==========================  ==================================================  ==========================================

Default initialisation follows the active policy (``weight_initializer``,
``bias_initializer``); pass ``rng`` (an int seed or ``numpy.random.Generator``) for
reproducible draws, or ``initial_weight``/``initial_bias`` arrays.

Devices: parameters live on the layer's ``device`` ('cpu' unless ``to_device('cuda')``
moved the layer). Default initialisers draw on the host and put the values on that device
(one seed gives the same values on CPU and GPU), also for lazy layers sized on their first
call; ``initial_weight``/``initial_bias`` are copied on the device they are on.
"""
import math

import numpy

from .. import _backend, initializers, policies as _policies
from ..functions.conv import conv2d
from ..functions.linear import linear
from .module import Module, Parameter, array_module


def _check_size(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer{' or None' if allow_none else ''}, "
                         f"got {name}={value!r}")
    return int(value)


def _pair(name, value):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return tuple(int(v) for v in value)
    if isinstance(value, (int, numpy.integer)) and not isinstance(value, bool):
        return (int(value), int(value))
    raise ValueError(f"{name} must be an int or a pair of ints, got {name}={value!r}")


def _rng(rng):
    return rng if isinstance(rng, numpy.random.Generator) else numpy.random.default_rng(rng)


def _given(name, value, shape, dtype):
    """A copy of a user-given initial array, checked against ``shape``."""
    xp = _backend.get_array_module(value) if hasattr(value, "shape") else numpy
    array = xp.array(value, dtype=dtype, copy=True)
    if array.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {name}.shape={array.shape}")
    return array


class _WeightedLayer(Module):
    """Shared parameter set-up of Linear and Conv2d: weight (maybe lazy) and optional bias."""

    chainer_names = {"weight": "W", "bias": "b"}
    W = property(lambda self: self.weight, doc="chainer's name of ``weight``")
    b = property(lambda self: self.bias, doc="chainer's name of ``bias``")

    def _setup(self, bias, initial_weight, initial_bias, dtype, rng):
        self._dtype = numpy.dtype(dtype)
        self._rng = _rng(rng)
        self._initial_weight = initial_weight
        self._initial_bias = initial_bias
        self.weight = Parameter()
        if bias:
            self.bias = Parameter()
        else:
            self.register_parameter("bias", None)
        if self._in_size is not None:
            self._initialize(self._in_size)
        elif bias and (initial_bias is not None or
                       _policies.current().bias_initializer == "zeros"):
            self._initialize_bias(fan_in=None)  # chainer: b exists before the first call

    def _initialize(self, in_size):
        """Create the weight (and the bias, if still missing) for input size ``in_size``."""
        self._in_size = in_size
        shape = self._weight_shape(in_size)
        fan_in = math.prod(shape[1:])
        if self._initial_weight is not None:
            weight = _given("initial_weight", self._initial_weight, shape, self._dtype)
        else:
            weight = initializers.default_weight(shape, rng=self._rng, dtype=self._dtype,
                                                 xp=array_module(self.device))
        self.weight.initialize(weight)
        if self.bias is not None and not self.bias.is_initialized:
            self._initialize_bias(fan_in)

    def _initialize_bias(self, fan_in):
        shape = (self.out_size,)
        if self._initial_bias is not None:
            bias = _given("initial_bias", self._initial_bias, shape, self._dtype)
        elif fan_in is None:  # lazy layer under bias_initializer='zeros' (checked by _setup)
            bias = initializers.zeros(shape, dtype=self._dtype, xp=array_module(self.device))
        else:
            bias = initializers.default_bias(shape, fan_in, rng=self._rng, dtype=self._dtype,
                                             xp=array_module(self.device))
        self.bias.initialize(bias)


class Linear(_WeightedLayer):
    """``y = x W^T + b`` with ``W`` of shape ``(out_size, in_size)``.

    Args:
        in_size: input features, or None for a lazy layer sized on its first call (from the
            last axis under torch's ``linear_input_layout='last_axis'``, from the product of
            all non-batch axes under chainer's ``'flatten'``).
        out_size: output features.
        bias: whether there is a bias (chainer ``nobias=not bias``).
        initial_weight, initial_bias: arrays to start from instead of the default initialisers.
        dtype: parameter dtype (float32, as both frameworks).
        rng: an int seed or ``numpy.random.Generator`` for the default initialisers.
    """

    def __init__(self, in_size, out_size, bias=True, *, initial_weight=None, initial_bias=None,
                 dtype=numpy.float32, rng=None):
        super().__init__()
        self._in_size = _check_size("in_size", in_size, allow_none=True)
        self.out_size = _check_size("out_size", out_size)
        self._setup(bias, initial_weight, initial_bias, dtype, rng)

    def _weight_shape(self, in_size):
        return (self.out_size, in_size)

    @property
    def in_size(self):
        return self._in_size

    def forward(self, x):
        if not self.weight.is_initialized:
            shape = x.shape
            if len(shape) < 1:
                raise ValueError(f"Linear needs an input of at least 1 dimension, got x.shape={shape}")
            layout = _policies.current().linear_input_layout
            self._initialize(shape[-1] if layout == "last_axis" else math.prod(shape[1:]))
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_size={self._in_size}, out_size={self.out_size}, bias={self.bias is not None}"


class Conv2d(_WeightedLayer):
    """2-D convolution layer over NCHW inputs; ``W`` has shape
    ``(out_channels, in_channels // groups, kh, kw)``. See ``refimpl.functions.conv2d`` for
    the maths and the output-size rules.

    Args:
        in_channels: input channels, or None for a lazy layer sized on its first call.
        out_channels: output channels.
        kernel_size, stride, padding, dilation: ints or pairs (``padding`` may also be
            'same' or 'valid' as in torch).
        groups: channel groups (``groups == in_channels`` is a depthwise convolution).
        bias: whether there is a bias (chainer ``nobias=not bias``).
        cover_all: chainer's output-size rule (``ceil`` instead of ``floor``).
        initial_weight, initial_bias, dtype, rng: as ``Linear``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, cover_all=False, *, initial_weight=None, initial_bias=None,
                 dtype=numpy.float32, rng=None):
        super().__init__()
        self._in_size = _check_size("in_channels", in_channels, allow_none=True)
        self.out_size = _check_size("out_channels", out_channels)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.stride, self.dilation = stride, dilation
        self.padding, self.cover_all = padding, bool(cover_all)
        self.groups = _check_size("groups", groups)
        if self.out_size % self.groups:
            raise ValueError(f"out_channels must be divisible by groups, got out_channels="
                             f"{self.out_size}, groups={self.groups}")
        if self._in_size is not None and self._in_size % self.groups:
            raise ValueError(f"in_channels must be divisible by groups, got in_channels="
                             f"{self._in_size}, groups={self.groups}")
        self._setup(bias, initial_weight, initial_bias, dtype, rng)

    def _weight_shape(self, in_channels):
        if in_channels % self.groups:
            raise ValueError(f"in_channels must be divisible by groups, got in_channels="
                             f"{in_channels}, groups={self.groups}")
        return (self.out_size, in_channels // self.groups) + self.kernel_size

    @property
    def in_channels(self):
        return self._in_size

    @property
    def out_channels(self):
        return self.out_size

    def forward(self, x):
        if not self.weight.is_initialized:
            if len(x.shape) != 4:
                raise ValueError(f"Conv2d needs a 4-D (N, C, H, W) input, got x.shape={x.shape}")
            self._initialize(x.shape[1])
        return conv2d(x, self.weight, self.bias, stride=self.stride, pad=self.padding,
                      dilation=self.dilation, groups=self.groups, cover_all=self.cover_all)

    def extra_repr(self):
        return (f"{self._in_size}, {self.out_size}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"groups={self.groups}, bias={self.bias is not None}, cover_all={self.cover_all}")
