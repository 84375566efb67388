"""Reductions: sum, mean, max, min (with indices), argmax, argmin, topk, logsumexp."""
import numbers

from .. import _backend, _mode, policies as _semantics
from ..function import Function, unrecorded
from ..variable import Variable
from ._util import argument_error, as_variable, check_zero_dim_axis, normalize_axis
from .broadcast import broadcast_to
from .indexing import masked_gradient
from .math import exp
from .shape import reshape


def _reduction_axes(axis, x, function_name, kind="axis"):
    """``normalize_axis`` for a reduction: a 0-d input accepts axis 0/-1 (as torch) and has no
    axis to reduce, unless the policy's ``zero_dim_axis`` says it raises. A str axis raises
    the policy's 'name_axis' class (TypeError, or torch 2.9's named-dimension RuntimeError)."""
    if isinstance(axis, str):
        raise argument_error("name_axis", f"axis must be an int, a tuple of ints or None, got "
                                          f"axis={axis!r}", function_name)
    if x.ndim:
        return normalize_axis(axis, x.ndim, kind=kind)
    if (kind != "axis" and axis not in (None, ()) and kind in dict(
            _semantics.current().error_classes)):  # the op indexes x.shape first (chainer 5's mean)
        raise argument_error(kind, f"{function_name}: axis={axis!r} is out of range for a 0-d x",
                             function_name)
    check_zero_dim_axis(x, axis, function_name)
    normalize_axis(axis, 0, kind=kind)
    return ()


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand_back(gy, shape, axes):
    """Broadcast the gradient of a reduction over ``axes`` back to ``shape`` (no node for a
    step that changes nothing: this is a gradient, not a user's op). Without a graph it is
    the same view made from the arrays, without the two ops' calls and checks."""
    kept = _keepdims_shape(shape, axes)
    if kept != shape and not _mode.is_grad_enabled():
        xp = _backend.get_array_module(gy.data)
        return unrecorded(xp.broadcast_to(gy.data.reshape(kept), shape), gy)
    if gy.shape != kept:
        gy = reshape(gy, kept)
    return gy if kept == shape else broadcast_to(gy, shape)


class Sum(Function):
    saves_tensors = False
    retained_outputs = ()  # and no input: the backward reads x's shape only

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return _backend.get_array_module(x).asarray(x.sum(axis=self.axes, keepdims=self.keepdims))

    def backward(self, gy):
        return _expand_back(gy, self.inputs[0].shape, self.axes)


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (an int, a tuple, or None for all axes)."""
    x = as_variable(x)
    return Sum(_reduction_axes(axis, x, "Sum"), bool(keepdims))(x)


class Mean(Function):
    """The mean over ``axes``. It saves no tensor: torch's MeanBackward keeps only the shape
    and the count, so a second backward through it does not raise."""
    saves_tensors = False

    def __init__(self, axes, keepdims, count):
        self.axes, self.keepdims, self.count = axes, keepdims, count

    def forward(self, x):
        xp = _backend.get_array_module(x)
        if not self.count:  # nan, as the frameworks (0 / 0), without NumPy's warning
            return xp.full(self._shape(x.shape), xp.nan, dtype=x.dtype)
        return xp.asarray(x.mean(axis=self.axes, keepdims=self.keepdims))

    def _shape(self, shape):
        if self.keepdims:
            return _keepdims_shape(shape, self.axes)
        return tuple(n for i, n in enumerate(shape) if i not in self.axes)

    def backward(self, gy):
        # count == 0 means x (and so its gradient) has no element: any scale will do.
        return _expand_back(gy * (1.0 / (self.count or 1)), self.inputs[0].shape, self.axes)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis`` (an int, a tuple, or None for all axes)."""
    x = as_variable(x)
    axes = _reduction_axes(axis, x, "Mean", "mean_axis")
    count = 1
    for a in axes:
        count *= x.shape[a]
    if x.dtype.kind not in "fc":
        if _semantics.current().integer_arithmetic != "numpy":
            raise argument_error("float_dtype", f"mean needs a floating-point input, got "
                                                f"x.dtype={x.dtype}", "Mean")
        x = Variable._constant(x.data.astype("float64"))  # NumPy: the mean of integers is float64
    if not count and _semantics.current().empty_mean_axis == "raise":
        raise ZeroDivisionError(f"mean: axis={axis!r} of x.shape={x.shape} holds no element "
                                f"(float division by zero)")
    return Mean(axes, bool(keepdims), count)(x)


class _Extreme(Function):
    """max/min with the gradient at ties given by ``tie``: 'all' or 'distribute'; at the
    other elements, over all of x (``whole``), 0 or ``gy * 0`` (policy
    ``extremum_gradient_selects``), else ``gy * 0``."""

    def __init__(self, axes, keepdims, tie, largest, whole=False):
        self.axes, self.keepdims, self.tie, self.largest = axes, keepdims, tie, largest
        self.whole = whole  # all elements, no axis, no keepdims (torch ``max(x)``, not ``amax``)

    def forward(self, x):
        reduce = x.max if self.largest else x.min
        return _backend.get_array_module(x).asarray(reduce(axis=self.axes, keepdims=self.keepdims))

    def backward(self, gy):
        x = self.inputs[0].data
        xp = _backend.get_array_module(x)
        y = self.output().data.reshape(_keepdims_shape(x.shape, self.axes))
        if self.tie == "distribute":  # torch's evenly_distribute_backward: NaN picks the NaNs
            mask = xp.where(xp.isnan(y), xp.isnan(x), x == y).astype(gy.dtype)
            mask /= mask.sum(axis=self.axes, keepdims=True)
        elif self.tie == "first":  # NumPy's argmax: the first extreme (or NaN) element
            mask = _first_true((x == y) | (xp.isnan(x) & xp.isnan(y)), self.axes).astype(gy.dtype)
        else:
            mask = (x == y).astype(gy.dtype)
        selects = self.whole and ("max" if self.largest else "min") in (
            _semantics.current().extremum_gradient_selects)
        mask = xp.asarray(mask)
        return masked_gradient(_expand_back(gy, x.shape, self.axes) * mask, mask, selects)


def _first_true(hit, axes):
    """``hit`` with only its first True kept over ``axes`` (row-major order among them)."""
    xp = _backend.get_array_module(hit)
    kept = [a for a in range(hit.ndim) if a not in axes]
    order = kept + list(axes)
    moved = xp.transpose(hit, order)
    flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
    first = flat & (xp.cumsum(flat, axis=-1) == 1)
    return xp.transpose(first.reshape(moved.shape), [order.index(a) for a in range(hit.ndim)])


class GatherAlongAxis(Function):
    """``take_along_axis(x, indices, axis)``; its gradient scatters back."""

    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        return _backend.get_array_module(x).take_along_axis(x, self.indices, self.axis)

    def backward(self, gy):
        return ScatterAlongAxis(self.indices, self.axis, self.inputs[0].shape)(gy)


class ScatterAlongAxis(Function):
    """Zeros of ``shape`` with ``y`` added at ``indices`` along ``axis`` (duplicates add up)."""
    saves_tensors = False

    def __init__(self, indices, axis, shape):
        self.indices, self.axis, self.shape = indices, axis, shape

    def forward(self, y):
        xp = _backend.get_array_module(y)
        out = xp.zeros(self.shape, dtype=y.dtype)
        ndim = self.indices.ndim
        index = [xp.arange(n).reshape([-1 if d == i else 1 for d in range(ndim)])
                 for i, n in enumerate(self.indices.shape)]
        index[self.axis] = self.indices
        xp.add.at(out, tuple(index), y)
        return out

    def backward(self, gx):
        return GatherAlongAxis(self.indices, self.axis)(gx)


def _real_input(x, name, kind="dtype"):
    """A complex ``x`` raises the policy's ``kind`` error (the op orders its elements): torch
    raises NotImplementedError for max/min ('complex'), RuntimeError for argmax and topk."""
    if x.dtype.kind == "c":
        raise argument_error(kind, f"{name} does not support complex input, got "
                                      f"x.dtype={x.dtype}", name)


def _check_nonempty_axes(x, axis, name, all_kind="value"):
    """Reducing an axis of length 0 with an op that has no identity (max, argmax) raises
    the policy's 'empty_axis' error; all of an empty array its ``all_kind`` error (torch:
    max RuntimeError, argmax IndexError)."""
    if x.size:
        return
    if axis is None:
        if all_kind == "empty_axis":
            raise argument_error("empty_axis", f"{name}: x of shape {x.shape} has no elements",
                                 name)
        raise argument_error("value", f"{name}: x of shape {x.shape} has no elements; give "
                                      f"an axis (got axis=None)", name)
    for a in normalize_axis(axis, x.ndim):
        if x.shape[a] == 0:
            raise argument_error("empty_axis", f"{name}: axis={axis!r} of x.shape={x.shape} "
                                               f"has length 0", name)


def _extreme(x, axis, keepdims, largest):
    x = as_variable(x)
    name = "Max" if largest else "Min"
    _real_input(x, name.lower(), "complex")
    if x.ndim:
        _check_nonempty_axes(x, axis, name.lower())
    policy = _semantics.current()
    if axis is None or not isinstance(axis, numbers.Integral):
        return _Extreme(_reduction_axes(axis, x, name), bool(keepdims), policy.max_tie_gradient,
                        largest, whole=axis is None and not keepdims)(x)
    axis = normalize_axis(axis, x.ndim)[0]
    if x.ndim == 0:  # torch.max(scalar, 0) is (scalar, 0)
        check_zero_dim_axis(x, axis, name)
        values = _Extreme((), bool(keepdims), policy.max_axis_tie_gradient, largest)(x)
        if policy.max_returns_indices:
            xp = _backend.get_array_module(x.data)
            return values, Variable._make_output(xp.zeros((), dtype="int64"), None, False)
        return values
    if policy.max_axis_tie_gradient == "index" or policy.max_returns_indices:
        indices = _arg_extreme(x.data, axis, True, largest)
        if policy.max_axis_tie_gradient == "index":
            values = GatherAlongAxis(indices, axis)(x)
            if not keepdims:
                values = reshape(values, values.shape[:axis] + values.shape[axis + 1:])
        else:
            values = _Extreme((axis,), bool(keepdims), policy.max_axis_tie_gradient, largest)(x)
        if policy.max_returns_indices:
            if not keepdims:
                indices = indices.reshape(indices.shape[:axis] + indices.shape[axis + 1:])
            return values, Variable._make_output(indices, None, False)
        return values
    return _Extreme((axis,), bool(keepdims), policy.max_axis_tie_gradient, largest)(x)


def max(x, axis=None, keepdims=False):
    """Largest element over ``axis``.

    With an int ``axis`` under torch semantics, returns ``(values, indices)`` as
    ``torch.max(x, dim)``; under chainer semantics only values (policy field
    ``max_returns_indices``). The gradient at ties follows ``max_tie_gradient`` (no axis or
    a tuple of axes) and ``max_axis_tie_gradient`` (an int axis).
    """
    return _extreme(x, axis, keepdims, True)


def min(x, axis=None, keepdims=False):
    """Smallest element over ``axis``; as ``max`` otherwise."""
    return _extreme(x, axis, keepdims, False)


def _arg_extreme(array, axis, keepdims, largest):
    xp = _backend.get_array_module(array)
    find = xp.argmax if largest else xp.argmin
    if axis is None:
        index = find(array)
        return index.reshape((1,) * array.ndim) if keepdims else xp.asarray(index)
    index = find(array, axis=axis)
    return xp.expand_dims(index, axis) if keepdims else index


class ArgExtreme(Function):
    """Returns precomputed indices; not differentiable. It exists so that the index output
    follows the policy's ``outputs_require_grad`` (chainer records F.argmax in the graph)."""
    saves_tensors = False

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return self.index

    def backward(self, gy):
        return None


def _arg_extreme_op(x, axis, keepdims, largest):
    name = "argmax" if largest else "argmin"
    x = as_variable(x)
    _real_input(x, name)
    check_zero_dim_axis(x, axis, "ArgMax" if largest else "ArgMin", "in_types[0].ndim > 0")
    axis = None if axis is None else normalize_axis(axis, x.ndim)[0]
    if x.ndim:
        _check_nonempty_axes(x, axis, name, "empty_axis")
    else:  # a 0-d input: the index is 0-d, with keepdims too (torch)
        keepdims = False
    index = _arg_extreme(x.data, axis, keepdims, largest)
    return ArgExtreme(index.astype(_semantics.current().index_dtype, copy=False))(x)


def argmax(x, axis=None, keepdims=False):
    """Index of the largest element (the first one at ties, or the first NaN), with no
    graph; its dtype is the policy's ``index_dtype`` (torch int64, chainer int32). A 0-d
    ``x`` gives a 0-d index, also with ``keepdims``."""
    return _arg_extreme_op(x, axis, keepdims, True)


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest element (the first one at ties, or the first NaN); as argmax."""
    return _arg_extreme_op(x, axis, keepdims, False)


def topk(x, k, axis=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``axis`` and their indices, as torch.topk.

    Ties are broken towards the lower index. The gradient flows to the selected elements
    only. Chainer has no topk.
    """
    x = as_variable(x)
    _real_input(x, "topk")
    axis = normalize_axis(axis, x.ndim)[0]
    length = x.shape[axis] if x.ndim else 1
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"k must be an int, got k={k!r}")
    if not 0 <= k <= length:
        raise argument_error("value", f"k={k!r} must be in [0, {length}] (x.shape={x.shape}, "
                                      f"axis={axis})", "topk")
    if x.ndim == 0:  # as a 1-element vector; k=1 gives 0-d results, as torch.topk
        values, indices = topk(reshape(x, (1,)), k, 0, largest, sorted)
        if k == 0:
            return values, indices
        return reshape(values, ()), Variable._make_output(indices.data.reshape(()), None, False)
    xp = _backend.get_array_module(x.data)
    nan = xp.isnan(x.data)
    keys = xp.where(nan, -xp.inf, -x.data) if largest else x.data  # NumPy sorts NaN last
    order = xp.argsort(keys, axis=axis, kind="stable")
    if largest:  # NaN counts as the largest (torch): move the NaNs first, stably
        order = xp.take_along_axis(order, xp.argsort(
            ~xp.take_along_axis(nan, order, axis), axis=axis, kind="stable"), axis)
    indices = xp.take(order, xp.arange(k), axis=axis)
    values = GatherAlongAxis(indices, axis)(x)
    return values, Variable._make_output(indices.astype("int64", copy=False), None, False)


class LogSumExp(Function):
    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = _backend.get_array_module(x)
        if not x.size:  # -inf, the identity of a log-sum (torch); see empty_softmax_axis
            shift = xp.zeros(_keepdims_shape(x.shape, self.axes), dtype=x.dtype)
        else:
            shift = x.max(axis=self.axes, keepdims=True)
        # x's zero, not a Python 0: NumPy promotes an all-0-d where() with int 0 to float64.
        shift = xp.where(xp.isfinite(shift), shift, x.dtype.type(0))
        with _backend.numpy.errstate(divide="ignore"):  # log(0) = -inf for an empty axis
            y = xp.log(xp.exp(x - shift).sum(axis=self.axes, keepdims=True)) + shift
        return y if self.keepdims else y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, gy):
        x = self.inputs[0]
        y = _expand_back(self.output(), x.shape, self.axes)
        return _expand_back(gy, x.shape, self.axes) * exp(x - y)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))``, computed stably."""
    x = as_variable(x)
    axes = _reduction_axes(axis, x, "LogSumExp")
    if any(x.shape[a] == 0 for a in axes) and _semantics.current().empty_softmax_axis in ("raise",
                                                                                "log_raise"):
        raise ValueError(f"logsumexp: x of shape {x.shape} is empty (axis={axis!r}): zero-size "
                         f"array to reduction operation maximum which has no identity")
    return LogSumExp(axes, bool(keepdims))(x)
