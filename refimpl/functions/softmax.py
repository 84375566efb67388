"""softmax and log_softmax along one axis."""
import warnings

from .. import _backend, policies as _semantics
from ..function import Function
from ._util import argument_error, as_variable
from .math import exp
from .reduction import sum as _sum

IMPLICIT_DIM_WARNING = ("Implicit dimension choice for {name} has been deprecated. Change the call "
                        "to include dim=X as an argument.")


def _softmax_axis(x, axis, name):
    if axis is None:
        axis = _semantics.current().softmax_default_axis
        if axis == "implicit":  # torch.nn.functional._get_softmax_dim
            warnings.warn(IMPLICIT_DIM_WARNING.format(name=name), UserWarning, stacklevel=3)
            axis = 0 if x.ndim in (0, 1, 3) else 1
    if x.ndim == 0:
        return 0
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"{name}: axis must be an int, got axis={axis!r}")
    if not -x.ndim <= axis < x.ndim:
        rule = _semantics.current().invalid_argument_errors
        if rule == "chainer_type_check":  # raises RuntimeError
            raise RuntimeError(f"{name}: axis={axis} is out of range for an input of ndim={x.ndim}")
        if rule == "numpy":
            raise argument_error("axis", f"axis {axis} is out of bounds for array of dimension "
                                         f"{x.ndim}", name)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-x.ndim}, "
                         f"{x.ndim - 1}], but got {axis})")
    return axis % x.ndim


def _check_0d(name, axis):
    """A 0-d input: chainer's type check raises RuntimeError (policy field ``zero_dim_axis``)."""
    if _semantics.current().zero_dim_axis == "raise":
        raise RuntimeError(f"{name}: x of shape () has no axis {axis!r} (chainer's type check "
                           f"raises 'An Expr instance cannot be evaluated as bool')")


def _shifted(x, axis):
    """``x - max(x, axis)``; an axis of length 0 has nothing to shift (torch gives the empty
    result; under ``empty_softmax_axis='raise'`` the op raised before)."""
    if axis is not None and x.shape[axis] == 0:
        return x.copy()
    return x - x.max(axis=axis, keepdims=True)


def _check_empty_axis(x, axis, name):
    rule = _semantics.current().empty_softmax_axis
    if x.shape[axis] == 0 and (rule == "raise" or rule == "log_raise" and name != "softmax"):
        raise ValueError(f"{name}: axis={axis} of x.shape={x.shape} has length 0: zero-size "
                         f"array to reduction operation maximum which has no identity")
    return axis


class Softmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = _backend.get_array_module(x)
        e = xp.exp(_shifted(x, self.axis))
        e /= e.sum(axis=self.axis, keepdims=True)
        return e

    def backward(self, gy):
        y = self.output()
        gx = y * gy
        return gx - y * _sum(gx, self.axis, keepdims=True)


class LogSoftmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = _backend.get_array_module(x)
        shifted = _shifted(x, self.axis)
        with _backend.numpy.errstate(divide="ignore"):  # log(0) of an empty axis: no element uses it
            return shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, gy):
        return gy - exp(self.output()) * _sum(gy, self.axis, keepdims=True)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x), axis)``. Default axis: policy ``softmax_default_axis``."""
    x = as_variable(x)
    if x.ndim == 0:
        _check_0d("softmax", axis)
        return Softmax(None)(x)
    return Softmax(_check_empty_axis(x, _softmax_axis(x, axis, "softmax"), "softmax"))(x)


def log_softmax(x, axis=None):
    """``x - logsumexp(x, axis)``. Default axis: policy ``softmax_default_axis``."""
    x = as_variable(x)
    if x.ndim == 0:
        _check_0d("log_softmax", axis)
        return LogSoftmax(None)(x)
    return LogSoftmax(_check_empty_axis(x, _softmax_axis(x, axis, "log_softmax"), "log_softmax"))(x)
