"""Elementwise functions: exp, log, sqrt, sin, cos, tanh, sigmoid, abs.

Each backward is written with refimpl ops, so it can be differentiated again.
"""
from .. import _backend, _mode, policies as _semantics
from ..function import Function, same_float_dtype, unrecorded
from ._util import argument_error, as_variable


class Exp(Function):
    retained_outputs = (0,)  # the backward reads y, not x

    def retained_inputs(self):
        return ()

    def forward(self, x):
        return _backend.get_array_module(x).exp(x)

    def backward(self, gy):
        y = self.output()
        if not _mode.is_grad_enabled() and same_float_dtype(gy, y):  # no graph: arrays
            return unrecorded(gy.data * y.data, gy, y)
        return gy * y


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


# The fused array paths below compute the same operations in the same order as the refimpl
# ops beside them (so the same values), into one temporary updated with ``out=``; the
# gradient's layout follows gy's (contiguous ones are computed in place).


def _fused(gy, like):
    """Whether a backward may compute its gradient as arrays updated in place: no graph is
    wanted, one float dtype, and gy and ``like`` laid out alike."""
    return (not _mode.is_grad_enabled() and same_float_dtype(gy, like) and like.data.ndim
            and gy.data.strides == like.data.strides)


class Sin(Function):
    retained_outputs = ()  # and x (saved_inputs)

    def forward(self, x):
        return _backend.get_array_module(x).sin(x)

    def backward(self, gy):
        x = self.inputs[0]
        if _fused(gy, x):  # gy * cos(x)
            xp = _backend.get_array_module(x.data)
            gx = xp.cos(x.data)
            return unrecorded(xp.multiply(gy.data, gx, out=gx), gy, x)
        return gy * cos(x)


class Cos(Function):
    retained_outputs = ()  # and x (saved_inputs)

    def forward(self, x):
        return _backend.get_array_module(x).cos(x)

    def backward(self, gy):
        x = self.inputs[0]
        if _fused(gy, x):  # -gy * sin(x) == -(gy * sin(x)): rounding is sign-symmetric
            xp = _backend.get_array_module(x.data)
            gx = xp.sin(x.data)
            xp.multiply(gy.data, gx, out=gx)
            return unrecorded(xp.negative(gx, out=gx), gy, x)
        return -gy * sin(x)


class Tanh(Function):
    retained_outputs = (0,)  # the backward reads y, not x

    def retained_inputs(self):
        return ()

    def forward(self, x):
        return _backend.get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.output()
        if _fused(gy, y):  # gy * (1 - y * y)
            xp = _backend.get_array_module(y.data)
            gx = xp.multiply(y.data, y.data)
            xp.subtract(gx.dtype.type(1), gx, out=gx)
            return unrecorded(xp.multiply(gy.data, gx, out=gx), gy, y)
        return gy * (1 - y * y)


def sigmoid_values(x):
    """sigmoid of the array ``x`` in the policy's ``sigmoid_form``: 'exp', ``1 / (1 +
    exp(-x))`` (torch's kernel), or 'tanh', ``tanh(x / 2) / 2 + 1 / 2`` (chainer's)."""
    xp = _backend.get_array_module(x)
    if _semantics.current().sigmoid_form == "exp":
        with _backend.numpy.errstate(over="ignore"):  # exp(-x) = inf below -88.7 (float32): y = 0
            e = xp.exp(xp.negative(x))
        one = x.dtype.type(1)
        if type(e) is not type(x):  # a 0-d x gives a scalar
            return one / (one + e)
        xp.add(e, one, out=e)
        return xp.reciprocal(e, out=e)
    half = x.dtype.type(0.5)
    y = xp.multiply(x, half)
    if type(y) is not type(x):
        return xp.tanh(y) * half + half
    xp.tanh(y, out=y)
    xp.multiply(y, half, out=y)
    return xp.add(y, half, out=y)


class Sigmoid(Function):
    """``sigmoid_values`` (the policy's ``sigmoid_form``), with the gradient ``gy * (1 - y) *
    y`` under 'exp' (torch's kernels) and ``gy * y * (1 - y)`` under 'tanh' (chainer's)."""

    retained_outputs = (0,)

    def retained_inputs(self):
        return ()

    def forward(self, x):
        return sigmoid_values(x)

    def backward(self, gy):
        y = self.output()
        exp_form = _semantics.current().sigmoid_form == "exp"
        if _fused(gy, y):
            xp = _backend.get_array_module(y.data)
            one_minus_y = xp.subtract(y.dtype.type(1), y.data)
            if exp_form:  # gy * (1 - y) * y
                gx = xp.multiply(gy.data, one_minus_y, out=one_minus_y)
                return unrecorded(xp.multiply(gx, y.data, out=gx), gy, y)
            gx = xp.multiply(gy.data, y.data)  # gy * y * (1 - y)
            return unrecorded(xp.multiply(gx, one_minus_y, out=gx), gy, y)
        return gy * (1 - y) * y if exp_form else gy * y * (1 - y)


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


def _unary(function_class, x, name="x", kind="dtype"):
    x = as_variable(x, name)
    if x.dtype.kind not in "fc":
        raise argument_error(kind, f"{function_class.__name__.lower()} needs a floating-point "
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
    return _unary(Abs, x, kind="kernel_dtype")  # torch: no bool kernel (an int: not modelled)
