"""More activations: elu, selu, celu, softplus, hard_sigmoid, silu, relu6, clipped_relu,
hardtanh, log_sigmoid, softsign, tanhshrink, rrelu.

Where the frameworks define one name differently, a policy field decides:
``hard_sigmoid_slope`` (chainer 0.2, torch 1/6), ``softplus_threshold`` (torch 20: above
``beta * x > threshold`` softplus is x itself; chainer: never), and rrelu's
``rrelu_train_default`` and ``rrelu_zero_input`` (its random slopes in training). Backward
passes are written with refimpl ops, so they can be differentiated again.
"""
import math
import numbers

import numpy

from .. import _backend, policies as _semantics
from ..function import Function
from ..variable import Variable
from ._util import OneProduct, argument_error, float_input
from .activation import _Masked, leaky_relu, relu
from .indexing import where
from .math import abs, exp, sigmoid, sigmoid_values, tanh
from .indexing import getitem
from .shape import concat
from .shape_more import _one_axis
from .softmax import softmax
from .elementwise_math import erf
from .normalization import _train as _global_train_mode  # normalization.train_mode's flag

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _number(value, name, function_name):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{function_name} needs a real number {name}, got {name}={value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{function_name} needs a finite real {name}, got {name}={value!r}")
    return float(value)


class ELU(Function):
    """``scale * (x if x > 0 else alpha * (exp(x / width) - 1))``: elu (scale 1, width 1),
    selu (its fixed alpha and scale), celu (width alpha)."""

    def __init__(self, alpha, scale=1.0, width=1.0):
        self.alpha, self.scale, self.width = alpha, scale, width

    def forward(self, x):
        xp = _backend.get_array_module(x)
        t = x.dtype.type
        negative = t(self.alpha) * xp.expm1(x / t(self.width))
        return t(self.scale) * xp.where(x > 0, x, negative)

    def backward(self, gy):
        x = self.inputs[0]
        positive = x.data > 0
        slope = exp(x * (1.0 / self.width)) * (self.scale * self.alpha / self.width)
        return where(positive, gy * self.scale, gy * slope)


class Softplus(Function):
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold`` (None: never)."""

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = _backend.get_array_module(x)
        t = x.dtype.type
        scaled = x * t(self.beta)
        y = (xp.maximum(scaled, t(0)) + xp.log1p(xp.exp(-xp.abs(scaled)))) / t(self.beta)
        return y if self.threshold is None else xp.where(scaled > self.threshold, x, y)

    def backward(self, gy):
        x = self.inputs[0]
        slope = gy * sigmoid(x * self.beta)
        if self.threshold is None:
            return slope
        return where(x.data * self.beta > self.threshold, gy, slope)


class _Clamped(_Masked):
    """``clip(scale * x + shift, low, high)``, its slope ``scale`` strictly inside (0 at the
    bounds, as both frameworks' hardtanh/relu6/clipped_relu/hard_sigmoid)."""

    def __init__(self, low, high, scale=1.0, shift=0.0):
        self.low, self.high, self.scale, self.shift = low, high, scale, shift

    def forward(self, x):
        t = x.dtype.type
        inner = x * t(self.scale) + t(self.shift) if (self.scale, self.shift) != (1.0, 0.0) else x
        return _backend.get_array_module(x).clip(inner, t(self.low), t(self.high))

    def slope(self, x):
        xp = _backend.get_array_module(x)
        inner = x * self.scale + self.shift
        return xp.where((inner > self.low) & (inner < self.high), x.dtype.type(self.scale),
                        x.dtype.type(0))


class SiLU(Function):
    """``x * sigmoid(x)``; d/dx = s (1 + x (1 - s)) with s = sigmoid(x) (torch silu_backward).
    Under the policy's ``sigmoid_form`` 'exp' these are torch's kernels, ``x / (1 + exp(-x))``
    and ``gy * s * (1 + x * (1 - s))``; under 'tanh', ``x * (tanh(x / 2) / 2 + 1 / 2)``."""

    def forward(self, x):
        if _semantics.current().sigmoid_form == "exp":  # torch's silu kernel: one division
            with numpy.errstate(over="ignore"):  # exp(-x) is inf for x < -88.7 (float32): y = -0
                return x / (x.dtype.type(1) + _backend.get_array_module(x).exp(-x))
        return x * sigmoid_values(x)

    def backward(self, gy):
        x = self.inputs[0]
        s = sigmoid(x)
        if _semantics.current().sigmoid_form == "exp":
            return gy * s * (x * (1.0 - s) + 1.0)
        return gy * (s * (x * (1.0 - s) + 1.0))


class LogSigmoid(Function):
    """``log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|))``; d/dx = sigmoid(-x)."""

    def forward(self, x):
        xp = _backend.get_array_module(x)
        return xp.minimum(x, x.dtype.type(0)) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * sigmoid(-self.inputs[0])


def elu(x, alpha=1.0):
    """``x`` where ``x > 0`` else ``alpha * (exp(x) - 1)`` (default alpha 1 in both)."""
    x = float_input(x, "elu", "kernel_dtype")
    return ELU(_number(alpha, "alpha", "elu"))(x)


def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalising constants alpha = 1.6733 and
    scale = 1.0507 (torch's fixed values, chainer's defaults)."""
    return ELU(SELU_ALPHA, SELU_SCALE)(float_input(x, "selu", "kernel_dtype"))


def celu(x, alpha=1.0):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; alpha must not be 0."""
    x = float_input(x, "celu", "kernel_dtype")
    alpha = _number(alpha, "alpha", "celu")
    if alpha == 0:
        raise argument_error("value", f"celu needs alpha != 0, got alpha={alpha!r}", "celu")
    return ELU(alpha, 1.0, alpha)(x)


def softplus(x, beta=1.0, threshold=None):
    """``log(1 + exp(beta * x)) / beta``. Where ``beta * x > threshold`` the result is ``x``
    itself and its gradient 1; ``threshold=None`` takes the policy's ``softplus_threshold``
    (torch 20; chainer: none, the formula everywhere)."""
    x = float_input(x, "softplus", "kernel_dtype")
    beta = _number(beta, "beta", "softplus")
    if beta == 0:
        raise ValueError(f"softplus needs beta != 0, got beta={beta!r}")
    if threshold is None:
        threshold = _semantics.current().softplus_threshold
    elif not isinstance(threshold, numbers.Real) or isinstance(threshold, bool):
        raise ValueError(f"softplus needs a real threshold or None, got threshold={threshold!r}")
    return Softplus(beta, None if threshold is None else float(threshold))(x)


def hard_sigmoid(x):
    """``clip(slope * x + 0.5, 0, 1)``; the slope is the policy's ``hard_sigmoid_slope``
    (chainer ``F.hard_sigmoid``: 0.2; torch ``F.hardsigmoid``: 1/6, i.e. relu6(x + 3) / 6)."""
    x = float_input(x, "hard_sigmoid", "kernel_dtype")
    return _Clamped(0.0, 1.0, _semantics.current().hard_sigmoid_slope, 0.5)(x)


def silu(x):
    """``x * sigmoid(x)`` (torch ``F.silu``; chainer ``F.swish`` with beta = 1)."""
    return SiLU()(float_input(x, "silu", "kernel_dtype"))


def relu6(x):
    """``clip(x, 0, 6)``; the gradient is 1 strictly inside (0 at 0 and 6)."""
    return _Clamped(0.0, 6.0)(float_input(x, "relu6", "kernel_dtype"))


def clipped_relu(x, z=20.0):
    """``clip(x, 0, z)`` (chainer ``F.clipped_relu``, default z 20; torch ``hardtanh(x, 0,
    z)``); the gradient is 1 strictly inside."""
    x = float_input(x, "clipped_relu")
    z = _number(z, "z", "clipped_relu")
    if z <= 0:
        raise ValueError(f"clipped_relu needs z > 0, got z={z!r}")
    return _Clamped(0.0, z)(x)


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """``clip(x, min_val, max_val)`` (torch ``F.hardtanh``); the gradient is 1 strictly
    inside, 0 at the bounds (unlike ``clip``, whose bounds pass it)."""
    x = float_input(x, "hardtanh")
    min_val = _number(min_val, "min_val", "hardtanh")
    max_val = _number(max_val, "max_val", "hardtanh")
    if max_val < min_val:
        raise ValueError(f"hardtanh needs min_val <= max_val, got min_val={min_val!r}, "
                         f"max_val={max_val!r}")
    return _Clamped(min_val, max_val)(x)


def log_sigmoid(x):
    """``log(sigmoid(x))``, without overflow for large negative ``x``."""
    return LogSigmoid()(float_input(x, "log_sigmoid", "kernel_dtype"))


def softsign(x):
    """``x / (1 + |x|)`` (torch composes it from abs, add and div, and so does refimpl)."""
    x = float_input(x, "softsign", "kernel_dtype")
    return x / (abs(x) + 1.0)


def tanhshrink(x):
    """``x - tanh(x)`` (a composition in torch and here)."""
    x = float_input(x, "tanhshrink")
    return x - tanh(x)


def rrelu(x, lower=0.125, upper=1.0 / 3.0, train=None, rng=None):
    """Randomized leaky ReLU (torch ``F.rrelu(x, lower, upper, training)``, ``nn.RReLU``;
    chainer ``F.rrelu(x, l, u)`` under ``chainer.config.train``; defaults 1/8 and 1/3 in both).

    In evaluation: ``leaky_relu`` with the mean slope ``(lower + upper) / 2``. In training:
    each negative element gets its own slope ``r`` drawn from U[lower, upper) (NumPy's
    ``uniform`` in float64, rounded to x's dtype, so ``upper`` itself can occur, as in both
    frameworks), the output is ``x * r`` there and ``x`` elsewhere, and the gradient is that
    same ``r`` (1 elsewhere); an input of exactly 0 follows ``rrelu_zero_input`` (torch: it
    draws a slope, its gradient is r; chainer: identity, gradient 1). ``train`` None follows
    ``rrelu_train_default`` (torch: evaluation; chainer: the global mode,
    ``normalization.train_mode``). ``rng``: an int seed or ``numpy.random.Generator`` for
    the slopes. A NaN input's gradient in training is not modelled (never drawn).
    """
    x = float_input(x, "rrelu", "kernel_dtype")
    lower, upper = _number(lower, "lower", "rrelu"), _number(upper, "upper", "rrelu")
    if not 0 <= lower <= upper:
        raise ValueError(f"rrelu needs 0 <= lower <= upper, got lower={lower!r}, upper={upper!r}")
    if train is None:
        train = (_global_train_mode.get() if _semantics.current().rrelu_train_default
                 == "global_train_mode" else False)
    if not train:
        return leaky_relu(x, (lower + upper) / 2.0)
    xp = _backend.get_array_module(x.data)
    generator = rng if isinstance(rng, numpy.random.Generator) else numpy.random.default_rng(rng)
    random_slopes = xp.asarray(generator.uniform(lower, upper, x.shape).astype(x.dtype))
    zero_draws = _semantics.current().rrelu_zero_input == "random_slope"
    negative = x.data <= 0 if zero_draws else x.data < 0
    return x * Variable._constant(xp.where(negative, random_slopes, x.dtype.type(1.0)))


def _single_axis(function_name, x, axis):
    """``axis`` of ``x`` as a non-negative int (shape_more's ``_one_axis``: TypeError for a
    non-int, the policy's 'axis' error out of range); a 0-d ``x`` has no axis to take."""
    if x.ndim == 0:
        raise argument_error("axis", f"{function_name} needs x of at least 1 dimension, got "
                                     f"x.shape={x.shape}, axis={axis!r}", function_name)
    return _one_axis(axis, x, function_name)


def crelu(x, axis=1):
    """Concatenated ReLU: ``concat([relu(x), relu(-x)], axis)`` (chainer ``F.crelu``, default
    axis 1; torch has none)."""
    x = float_input(x, "crelu")
    axis = _single_axis("crelu", x, axis)
    return concat([relu(x), relu(-x)], axis)


# --- torch's own activations (chainer 7.8.1 has none of them): values and derivatives are
# compositions of refimpl ops, so every order of derivative is exact ----------------------

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_SQRT_TWO_OVER_PI = math.sqrt(2.0 / math.pi)


def _gelu(x):
    return x * (erf(x * _SQRT_HALF) + 1.0) * 0.5


def _gelu_derivative(x):  # cdf + x pdf
    return (erf(x * _SQRT_HALF) + 1.0) * 0.5 + x * (exp(x * x * -0.5) * (0.5 * _SQRT_TWO_OVER_PI))


def _gelu_tanh(x):
    return x * (tanh((x + x * x * x * 0.044715) * _SQRT_TWO_OVER_PI) + 1.0) * 0.5


def _gelu_tanh_derivative(x):  # (1 + t) / 2 + x / 2 (1 - t^2) d(inner)/dx
    t = tanh((x + x * x * x * 0.044715) * _SQRT_TWO_OVER_PI)
    return ((t + 1.0) * 0.5
            + x * 0.5 * (1.0 - t * t) * ((x * x * (3 * 0.044715) + 1.0) * _SQRT_TWO_OVER_PI))


def gelu(x, approximate="none"):
    """``x Phi(x) = x (1 + erf(x / sqrt 2)) / 2`` (torch ``F.gelu``), or with
    ``approximate='tanh'`` ``x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2``; the
    gradient is ``gy`` times the derivative, as torch's ``gelu_backward``."""
    x = float_input(x, "gelu", "kernel_dtype")
    if approximate == "none":
        return OneProduct(_gelu, _gelu_derivative)(x)
    if approximate == "tanh":
        return OneProduct(_gelu_tanh, _gelu_tanh_derivative)(x)
    raise argument_error("value", f"gelu: approximate must be 'none' or 'tanh', got "
                                  f"approximate={approximate!r}", "gelu")


def _mish(x):
    return x * tanh(softplus(x))


def _mish_derivative(x):  # tanh(softplus(x)) + x sigmoid(x) (1 - tanh(softplus(x))^2)
    t = tanh(softplus(x))
    return t + x * sigmoid(x) * (1.0 - t * t)


def mish(x):
    """``x tanh(softplus(x))`` (torch ``F.mish``); the gradient is ``gy`` times the
    derivative, as torch's ``mish_backward``."""
    x = float_input(x, "mish", "kernel_dtype")
    return OneProduct(_mish, _mish_derivative)(x)


class HardSwish(Function):
    """torch's hardswish kernel, ``x * clip(x + 3, 0, 6) / 6``; its gradient is one node
    (``HardSwishGrad``), as torch's ``hardswish_backward``, not the product rule of the
    composite (which gives NaN for an infinite or NaN output gradient where torch selects 0,
    below -3, and inf - inf between -3 and 0)."""

    def forward(self, x):
        t = x.dtype.type
        return x * _backend.get_array_module(x).clip(x + t(3), t(0), t(6)) / t(6)

    def backward(self, gy):
        return HardSwishGrad()(gy, self.inputs[0])


class HardSwishGrad(Function):
    """torch's ``hardswish_backward(gy, x)``: 0 up to -3, ``gy (x / 3 + 0.5)`` strictly
    between, ``gy`` from 3 (the kinks as torch 2.13's kernel, observed); its own gradients as
    torch's derivatives.yaml: ``hardswish_backward`` in gy, and ``ggx gy / 3`` in x strictly
    between -3 and 3 (0 elsewhere)."""

    def forward(self, gy, x):
        xp, t = _backend.get_array_module(gy, x), x.dtype.type
        return xp.where(x <= t(-3), t(0), xp.where(x < t(3), gy * (x / t(3) + t(0.5)), gy))

    def backward(self, ggx):
        gy, x = self.inputs
        g_gy = HardSwishGrad()(ggx, x) if gy.requires_grad else None
        g_x = None
        if x.requires_grad:
            inside = (x.data > -3) & (x.data < 3)
            g_x = where(inside, ggx * gy / 3.0, x.dtype.type(0))
        return g_gy, g_x


def hardswish(x):
    """``x relu6(x + 3) / 6`` (torch ``F.hardswish``): 0 below -3, x above 3; its gradient
    ``x / 3 + 0.5`` between."""
    x = float_input(x, "hardswish", "kernel_dtype")
    return HardSwish()(x)


class _Shrink(_Masked):
    """torch's hardshrink (``soft`` False: x where ``|x| > lambd``) and softshrink (``soft``:
    x - lambd above lambd, x + lambd below -lambd), ``x * 0`` in between. The slope is 1
    where ``|x| > lambd``, else 0 (the closed interval, and NaN: torch's vectorised CPU
    kernels; its scalar tail, e.g. a tensor of 1 element, passes gy at NaN instead, seen on
    torch 2.9.1 to 2.15.0). As a ``_Masked`` node on x, a gradient made with create_graph
    requires grad even where it is constant, as torch's HardshrinkBackwardBackward does."""

    def __init__(self, lambd, soft):
        self.lambd, self.soft = lambd, soft

    def forward(self, x):
        xp, lambd, t = _backend.get_array_module(x), self.lambd, x.dtype.type
        with numpy.errstate(invalid="ignore"):  # inf * 0, in a branch where() drops
            inner = x * t(0)  # NaN stays NaN
        if not self.soft:
            return xp.where(xp.abs(x) > lambd, x, inner)
        return xp.where(x > lambd, x - t(lambd), xp.where(x < -lambd, x + t(lambd), inner))

    def slope(self, x):
        return _backend.get_array_module(x).abs(x) > self.lambd


def hardshrink(x, lambd=0.5):
    """``x`` where ``|x| > lambd`` else 0 (torch ``F.hardshrink``)."""
    x = float_input(x, "hardshrink")
    return _Shrink(_number(lambd, "lambd", "hardshrink"), soft=False)(x)


def softshrink(x, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between (torch
    ``F.softshrink``)."""
    x = float_input(x, "softshrink")
    lambd = _number(lambd, "lambd", "softshrink")
    if lambd < 0:
        raise argument_error("value", f"softshrink needs lambd >= 0, got lambd={lambd!r}",
                             "softshrink")
    return _Shrink(lambd, soft=True)(x)


def softmin(x, axis):
    """``softmax(-x, axis)`` (torch ``F.softmin``)."""
    return softmax(-float_input(x, "softmin"), axis)


def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``x`` along
    ``axis`` (torch ``F.glu``, default the last axis); its length must be even."""
    x = float_input(x, "glu")
    axis = _single_axis("glu", x, axis)
    if x.shape[axis] % 2:
        raise argument_error("value", f"glu halves axis={axis} of x.shape={x.shape}: its "
                                      f"length must be even", "glu")
    half = x.shape[axis] // 2
    before = (slice(None),) * axis
    return getitem(x, before + (slice(0, half),)) * sigmoid(getitem(x, before + (slice(half, None),)))


__all__ = ["celu", "clipped_relu", "crelu", "elu", "gelu", "glu", "hard_sigmoid", "hardshrink",
           "hardswish", "hardtanh", "log_sigmoid", "mish", "relu6", "rrelu", "selu", "silu",
           "softmin", "softplus", "softshrink", "softsign", "tanhshrink"]
