"""Elementwise functions: exp, log, sqrt, sin, cos, tanh, sigmoid, abs.

Each backward is written with refimpl ops, so it can be differentiated again.
"""
from .. import _backend, policies as _semantics
from ..function import Function
from ._util import argument_error, as_variable


class Exp(Function):
    def forward(self, x):
        return _backend.get_array_module(x).exp(x)

    def backward(self, gy):
        return gy * self.output()


class Log(Function):
    def forward(self, x):
        return _backend.get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    def forward(self, x):
        return _backend.get_array_module(x).sqrt(x)

    def backward(self, gy):
        return gy / (2 * self.output())


class Sin(Function):
    def forward(self, x):
        return _backend.get_array_module(x).sin(x)

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    def forward(self, x):
        return _backend.get_array_module(x).cos(x)

    def backward(self, gy):
        return -gy * sin(self.inputs[0])


class Tanh(Function):
    def forward(self, x):
        return _backend.get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.output()
        return gy * (1 - y * y)


class Sigmoid(Function):
    def forward(self, x):
        xp = _backend.get_array_module(x)
        # tanh form: exact for large |x| in both directions, no overflow warning.
        half = x.dtype.type(0.5)
        return xp.tanh(x * half) * half + half

    def backward(self, gy):
        y = self.output()
        return gy * y * (1 - y)


class Abs(Function):
    def forward(self, x):
        return _backend.get_array_module(x).abs(x)

    def backward(self, gy):
        # policy slope_in_graph: sign(x) as a node on x (zero derivative), as torch's
        # sgn(self): a create_graph gradient then requires grad even for a zero seed
        sign = _Sign()
        if _semantics.current().slope_in_graph:
            return gy * sign(self.inputs[0])
        return gy * sign.forward(self.inputs[0].data)


class _Sign(Function):
    """sign(x), derivative zero; at NaN per the policy's ``abs_nan_gradient``."""

    def forward(self, x):
        xp = _backend.get_array_module(x)
        sign = xp.sign(x)
        if _semantics.current().abs_nan_gradient == "zero":  # torch: sgn(nan) is 0
            sign = xp.where(xp.isnan(x), x.dtype.type(0), sign)
        return sign

    def backward(self, gy):
        return gy * gy.dtype.type(0)


def _unary(function_class, x, name="x"):
    x = as_variable(x, name)
    if x.dtype.kind not in "fc":
        raise argument_error("dtype", f"{function_class.__name__.lower()} needs a floating-point "
                                      f"input, got x.dtype={x.dtype}", function_class.__name__)
    return function_class()(x)


def exp(x):
    """Elementwise ``e ** x``."""
    return _unary(Exp, x)


def log(x):
    """Elementwise natural logarithm (``-inf`` at 0, ``nan`` below, as NumPy)."""
    return _unary(Log, x)


def sqrt(x):
    """Elementwise square root."""
    return _unary(Sqrt, x)


def sin(x):
    """Elementwise sine."""
    return _unary(Sin, x)


def cos(x):
    """Elementwise cosine."""
    return _unary(Cos, x)


def tanh(x):
    """Elementwise hyperbolic tangent."""
    return _unary(Tanh, x)


def sigmoid(x):
    """Elementwise logistic function ``1 / (1 + exp(-x))``."""
    return _unary(Sigmoid, x)


def abs(x):
    """Elementwise absolute value; its gradient at 0 is 0 (sign(0)), in both frameworks."""
    return _unary(Abs, x)
