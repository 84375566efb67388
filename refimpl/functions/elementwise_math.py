"""More elementwise maths: logarithms and exponentials (log1p, expm1, log2, log10), powers
(square, rsqrt, reciprocal), trigonometric and hyperbolic functions and their inverses,
special functions (erf, erfc, erfinv, lgamma, digamma, polygamma), steps (floor, ceil,
sign), and the binary maximum, minimum, fmod, arctan2 and lerp.

Each backward is written with refimpl ops, so it can be differentiated again; the special
functions' values come from ``_special`` (NumPy only, float64 inside).
"""
import math
import numbers

from .. import _backend, policies as _semantics
from ..function import Function
from ..variable import Variable
from . import _special
from ._util import argument_error, as_variable, float_input, prepare_operands
from .arithmetic import _apply
from .broadcast import unbroadcast
from .indexing import masked_gradient
from .math import exp

_LOG_2 = math.log(2.0)
_LOG_10 = math.log(10.0)
_HALF_SQRT_PI = math.sqrt(math.pi) / 2.0
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _xp(x):
    return _backend.get_array_module(x)


def _unary(make, x, name=None, kind="float_dtype"):
    """``make()(x)`` for a floating-point ``x``; other dtypes raise the policy's ``kind``
    error (``float_input``) naming the function."""
    return make()(float_input(x, name or make.__name__.lower(), kind))


class Log1p(Function):
    def forward(self, x):
        return _xp(x).log1p(x)

    def backward(self, gy):
        return gy / (self.inputs[0] + 1.0)


class Expm1(Function):
    def forward(self, x):
        return _xp(x).expm1(x)

    def backward(self, gy):
        return gy * (self.output() + 1.0)


class Log2(Function):
    def forward(self, x):
        return _xp(x).log2(x)

    def backward(self, gy):
        return gy / (self.inputs[0] * _LOG_2)


class Log10(Function):
    def forward(self, x):
        return _xp(x).log10(x)

    def backward(self, gy):
        return gy / (self.inputs[0] * _LOG_10)


class Square(Function):
    def forward(self, x):
        return _xp(x).square(x)

    def backward(self, gy):
        return gy * (self.inputs[0] * 2.0)


class Rsqrt(Function):
    def forward(self, x):
        one = x.dtype.type(1)
        return one / _xp(x).sqrt(x)

    def backward(self, gy):
        y = self.output()
        return gy * (y * y * y * -0.5)


class Reciprocal(Function):
    def forward(self, x):
        return _xp(x).reciprocal(x)

    def backward(self, gy):
        y = self.output()
        return -gy * (y * y)


class Tan(Function):
    def forward(self, x):
        return _xp(x).tan(x)

    def backward(self, gy):
        y = self.output()
        return gy * (y * y + 1.0)


class Arcsin(Function):
    def forward(self, x):
        return _xp(x).arcsin(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * rsqrt(1.0 - x * x)


class Arccos(Function):
    def forward(self, x):
        return _xp(x).arccos(x)

    def backward(self, gy):
        x = self.inputs[0]
        return -gy * rsqrt(1.0 - x * x)


class Arctan(Function):
    def forward(self, x):
        return _xp(x).arctan(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / (x * x + 1.0)


class Sinh(Function):
    def forward(self, x):
        return _xp(x).sinh(x)

    def backward(self, gy):
        return gy * cosh(self.inputs[0])


class Cosh(Function):
    def forward(self, x):
        return _xp(x).cosh(x)

    def backward(self, gy):
        return gy * sinh(self.inputs[0])


class Arcsinh(Function):
    def forward(self, x):
        return _xp(x).arcsinh(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * rsqrt(x * x + 1.0)


class Arccosh(Function):
    def forward(self, x):
        return _xp(x).arccosh(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * rsqrt(x * x - 1.0)


class Arctanh(Function):
    def forward(self, x):
        return _xp(x).arctanh(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / (1.0 - x * x)


class _Special(Function):
    """A special function from ``_special``, computed in float64, returned in x's dtype."""

    def forward(self, x):
        return self.compute(x).astype(x.dtype, copy=False)


class Erf(_Special):
    compute = staticmethod(_special.erf)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class Erfc(_Special):
    compute = staticmethod(_special.erfc)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * (exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


class Erfinv(_Special):
    compute = staticmethod(_special.erfinv)

    def backward(self, gy):
        y = self.output()
        return gy * (exp(y * y) * _HALF_SQRT_PI)


class Lgamma(_Special):
    compute = staticmethod(_special.lgamma)

    def backward(self, gy):
        return gy * digamma(self.inputs[0])


class Polygamma(_Special):
    """The n-th derivative of digamma (n = 0: digamma itself)."""

    def __init__(self, n):
        self.n = n

    def compute(self, x):
        return _special.polygamma(self.n, x)

    def backward(self, gy):
        return gy * Polygamma(self.n + 1)(self.inputs[0])


class _Step(Function):
    """A piecewise-constant function: its derivative is 0 wherever it exists (torch's
    floor/ceil/sign give zeros; chainer's F.floor/ceil/sign record no graph at all)."""

    saves_tensors = False

    def backward(self, gy):
        # torch's FloorBackward etc.: zeros_like(grad), 0 whatever gy holds (NaN, inf) and
        # outside the graph even under create_graph (not gy * 0)
        xp = _xp(gy.data)
        return Variable._constant(xp.zeros(gy.shape, dtype=gy.dtype))


class Floor(_Step):
    def forward(self, x):
        return _xp(x).floor(x)


class Ceil(_Step):
    def forward(self, x):
        return _xp(x).ceil(x)


class Sign(_Step):
    def forward(self, x):
        return _xp(x).sign(x)


class Trunc(_Step):  # fmod's quotient (torch: div(rounding_mode='trunc'); chainer: F.fix)
    def forward(self, x):
        return _xp(x).trunc(x)


def log1p(x):
    """Elementwise ``log(1 + x)``, accurate for small ``x``."""
    return _unary(Log1p, x)


def expm1(x):
    """Elementwise ``exp(x) - 1``, accurate for small ``x``."""
    return _unary(Expm1, x)


def log2(x):
    """Elementwise base-2 logarithm."""
    return _unary(Log2, x)


def log10(x):
    """Elementwise base-10 logarithm."""
    return _unary(Log10, x)


def square(x):
    """Elementwise ``x * x``."""
    return _unary(Square, x)


def rsqrt(x):
    """Elementwise ``1 / sqrt(x)``."""
    return _unary(Rsqrt, x)


def reciprocal(x):
    """Elementwise ``1 / x``."""
    return _unary(Reciprocal, x)


def tan(x):
    """Elementwise tangent."""
    return _unary(Tan, x)


def arcsin(x):
    """Elementwise inverse sine (NaN outside [-1, 1])."""
    return _unary(Arcsin, x)


def arccos(x):
    """Elementwise inverse cosine (NaN outside [-1, 1])."""
    return _unary(Arccos, x)


def arctan(x):
    """Elementwise inverse tangent."""
    return _unary(Arctan, x)


def sinh(x):
    """Elementwise hyperbolic sine."""
    return _unary(Sinh, x)


def cosh(x):
    """Elementwise hyperbolic cosine."""
    return _unary(Cosh, x)


def arcsinh(x):
    """Elementwise inverse hyperbolic sine."""
    return _unary(Arcsinh, x)


def arccosh(x):
    """Elementwise inverse hyperbolic cosine (NaN below 1)."""
    return _unary(Arccosh, x)


def arctanh(x):
    """Elementwise inverse hyperbolic tangent (NaN outside [-1, 1])."""
    return _unary(Arctanh, x)


def erf(x):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    # torch has no complex kernel of erf ... digamma (an integer x it promotes: not modelled)
    return _unary(Erf, x, kind="kernel_dtype")


def erfc(x):
    """The complementary error function ``1 - erf(x)``, accurate where erf(x) is near 1."""
    return _unary(Erfc, x, kind="kernel_dtype")


def erfinv(x):
    """The inverse of erf on (-1, 1); +-inf at +-1, NaN outside."""
    return _unary(Erfinv, x, kind="kernel_dtype")


def lgamma(x):
    """``log |Gamma(x)|``; +inf at 0, -1, -2, ..."""
    return _unary(Lgamma, x, kind="kernel_dtype")


def digamma(x):
    """The logarithmic derivative of Gamma, ``d/dx lgamma(x)``; NaN at 0, -1, -2, ..."""
    return _unary(lambda: Polygamma(0), x, "digamma", "kernel_dtype")


def polygamma(n, x):
    """The ``n``-th derivative of digamma (``n`` a non-negative int)."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"polygamma needs an int n, got n={n!r}")
    if n < 0:
        raise argument_error("value", f"polygamma needs n >= 0, got n={n!r}", "polygamma")
    return _unary(lambda: Polygamma(int(n)), x, "polygamma", "kernel_dtype")


def _step(make, x):
    """A step function's output: a node with gradient 0, or (policy
    ``step_functions_in_graph`` False) a constant outside the graph."""
    if _semantics.current().step_functions_in_graph:
        return _unary(make, x)
    x = float_input(x, make.__name__.lower())
    # chainer.as_variable(array): a Variable (not a converted constant) that needs no grad
    xp = _backend.get_array_module(x.data)  # a 0-d result stays an array, not a NumPy scalar
    return Variable._make_output(xp.asarray(make().forward(x.data)), None, False)


def floor(x):
    """Elementwise floor; its gradient is 0 (policy ``step_functions_in_graph``)."""
    return _step(Floor, x)


def ceil(x):
    """Elementwise ceiling; its gradient is 0 (policy ``step_functions_in_graph``)."""
    return _step(Ceil, x)


def sign(x):
    """Elementwise sign (-1, 0 or 1); its gradient is 0 (policy ``step_functions_in_graph``)."""
    return _step(Sign, x)


# --- binary ----------------------------------------------------------------------------------

class _Extremum(Function):
    """maximum/minimum of two broadcastable arrays. Where they tie, the policy's
    ``binary_extremum_tie_gradient`` splits the gradient ('split') or gives it to ``a``
    ('first'); where an operand is not the extreme its gradient is 0 or ``gy * 0`` (policy
    ``extremum_gradient_selects``)."""

    def __init__(self, largest):
        self.largest = largest

    def forward(self, a, b):
        xp = _xp(a)
        return xp.maximum(a, b) if self.largest else xp.minimum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        xp = _xp(gy.data)
        a_wins = a.data > b.data if self.largest else a.data < b.data
        b_wins = b.data > a.data if self.largest else b.data < a.data
        tie = ~(a_wins | b_wins)
        one, half, zero = (gy.dtype.type(v) for v in (1, 0.5, 0))
        if _semantics.current().binary_extremum_tie_gradient == "split":
            a_share = xp.where(a_wins, one, xp.where(tie, half, zero))
            b_share = xp.where(b_wins, one, xp.where(tie, half, zero))
        else:  # 'first': a takes the tie (chainer: x1 >= x2 for maximum, x1 <= x2 minimum)
            a_share = xp.where(a_wins | tie, one, zero)
            b_share = xp.where(b_wins, one, zero)
        selects = ("maximum" if self.largest else "minimum") in (
            _semantics.current().extremum_gradient_selects)
        ga = (unbroadcast(masked_gradient(gy * a_share, a_share, selects), a.shape)
              if a.requires_grad else None)
        gb = (unbroadcast(masked_gradient(gy * b_share, b_share, selects), b.shape)
              if b.requires_grad else None)
        return ga, gb


class Fmod(Function):
    """``a - trunc(a / b) * b`` (C's fmod: the result has a's sign)."""

    def forward(self, a, b):
        return _xp(a).fmod(a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy, a.shape) if a.requires_grad else None
        if not b.requires_grad:
            return ga, None
        # the quotient is a step function of a and b (policy ``step_functions_in_graph``):
        # in torch's graph, so that b's gradient made with create_graph requires grad
        quotient = _step(Trunc, a / b)
        return ga, unbroadcast(gy * -quotient, b.shape)


class Arctan2(Function):
    """The angle of the point (b, a): ``arctan(a / b)`` in the right quadrant."""

    def forward(self, a, b):
        return _xp(a).arctan2(a, b)

    def backward(self, gy):
        a, b = self.inputs
        scale = gy / (a * a + b * b)
        ga = unbroadcast(scale * b, a.shape) if a.requires_grad else None
        gb = unbroadcast(-scale * a, b.shape) if b.requires_grad else None
        return ga, gb


def _binary_floats(a, b, name):
    for operand, value in (("a", a), ("b", b)):
        if isinstance(value, str):  # TypeError in every framework, also chainer 5.4.0, whose
            # arithmetic operators raise ValueError for a str (the 'str_operand' kind)
            raise TypeError(f"{name.lower()} operands must be Variables, arrays or numbers, "
                            f"got {operand}={value!r}")
    a, b = prepare_operands((a, b), name)
    if a.dtype.kind != "f":
        raise argument_error("dtype", f"{name.lower()} needs floating-point operands, got "
                                      f"a.dtype={a.dtype}, b.dtype={b.dtype}", name)
    return a, b


def maximum(a, b):
    """Elementwise larger of ``a`` and ``b`` (broadcasting). At ties the gradient follows
    the policy's ``binary_extremum_tie_gradient`` (torch: half each; chainer: all to a)."""
    a, b = _binary_floats(a, b, "Maximum")
    return _apply(_Extremum(True), a, b, "Maximum")


def minimum(a, b):
    """Elementwise smaller of ``a`` and ``b``; ties as ``maximum``."""
    a, b = _binary_floats(a, b, "Minimum")
    return _apply(_Extremum(False), a, b, "Minimum")


def fmod(a, b):
    """``a - trunc(a / b) * b``, elementwise; d/db is ``-trunc(a / b)``."""
    a, b = _binary_floats(a, b, "Fmod")
    return _apply(Fmod(), a, b, "Fmod", "unchecked_shape")


def arctan2(a, b):
    """Elementwise angle of the point (b, a) in (-pi, pi]."""
    a, b = _binary_floats(a, b, "Arctan2")
    return _apply(Arctan2(), a, b, "Arctan2", "unchecked_shape")


class Lerp(Function):
    """``start + weight * (end - start)``, with the gradients as the frameworks write them
    (torch's lerp derivatives, chainer's LinearInterpolateGrad): ``gy * weight`` in end,
    ``gy * (end - start)`` in weight, and in start the policy's ``lerp_start_gradient``:
    ``gy * (1 - weight)`` (torch), or ``gy - gy * weight`` (chainer: inf - inf, NaN, for an
    infinite output gradient)."""

    def forward(self, start, end, weight):
        return start + weight * (end - start)

    def backward(self, gy):
        start, end, weight = self.inputs
        factored = _semantics.current().lerp_start_gradient == "factored"
        g_start = gy * (1 - weight) if factored else gy - gy * weight
        return (unbroadcast(g_start, start.shape) if start.requires_grad else None,
                unbroadcast(gy * weight, end.shape) if end.requires_grad else None,
                unbroadcast(gy * (end - start), weight.shape) if weight.requires_grad else None)


def lerp(start, end, weight):
    """``start + weight * (end - start)`` (torch.lerp; chainer's ``linear_interpolate(p, x,
    y)`` is ``lerp(y, x, p)``), broadcasting all three."""
    start, end = _binary_floats(start, end, "Lerp")
    if isinstance(weight, numbers.Real) and not isinstance(weight, bool):
        # a Python weight keeps the dtype (torch)
        weight = Variable._constant(_xp(start.data).asarray(float(weight), dtype=start.dtype))
        return Lerp()(start, end, weight)
    weight = as_variable(weight, "weight")
    if weight.dtype.kind != "f":
        raise argument_error("dtype", f"lerp needs a floating-point weight, got "
                                      f"weight.dtype={weight.dtype}", "Lerp")
    try:
        _backend.numpy.broadcast_shapes(start.shape, end.shape, weight.shape)
    except ValueError:
        raise argument_error("shape", f"lerp: start.shape={start.shape}, end.shape={end.shape} "
                                      f"and weight.shape={weight.shape} do not broadcast",
                             "Lerp") from None
    if weight.dtype != start.dtype:  # the composite promotes as the policy's arithmetic does
        return start + weight * (end - start)
    return Lerp()(start, end, weight)


__all__ = ["arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "ceil",
           "cosh", "digamma", "erf", "erfc", "erfinv", "expm1", "floor", "fmod", "lerp",
           "lgamma", "log10", "log1p", "log2", "maximum", "minimum", "polygamma", "reciprocal",
           "rsqrt", "sign", "sinh", "square", "tan"]
