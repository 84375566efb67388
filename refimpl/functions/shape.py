"""Array manipulation: reshape, transpose/permute, squeeze, expand_dims/unsqueeze,
concat/cat, stack, split. (broadcast_to and sum_to live in arithmetic.)"""
import numbers

from .. import _backend, policies as _semantics
from ..errors import InvalidType
from ..function import Function
from ._util import (argument_error, as_variable, check_zero_dim_axis, normalize_axis,
                    prepare_operands, returns_input)
from .indexing import GetItemGrad


class Reshape(Function):
    saves_tensors = False
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


def reshape(x, *shape):
    """``x`` with a new shape (one entry may be -1), as ``numpy.reshape``."""
    x = as_variable(x)
    given = shape  # as passed: chainer's no-op test compares it, -1 unresolved, with x.shape
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        given = shape[0]
        shape = tuple(shape[0])
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"reshape needs a shape of ints, got shape={shape!r}")
    if list(shape).count(-1) > 1:
        raise argument_error("reshape_infer", f"only one entry of shape={shape} can be -1",
                             "Reshape")
    try:
        target = _backend.numpy.empty(x.shape, dtype=bool).reshape(shape).shape
    except ValueError:
        raise argument_error("shape", f"cannot reshape x of shape {x.shape} to shape={shape}",
                             "Reshape") from None
    if given == x.shape and returns_input("reshape"):  # chainer: reshape(x, (-1,)) of a
        return x  # 1-d x, or a list shape, still makes a Reshape node (`x.shape == shape`)
    return Reshape(target)(x)


class Transpose(Function):
    saves_tensors = False
    is_view = True

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return transpose(gy, inverse)


def transpose(x, axes=None):
    """Permute the axes of ``x``; ``axes=None`` reverses them (as numpy and chainer)."""
    x = as_variable(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(axes)
    if sorted(normalize_axis(axes, x.ndim, "axes", "permute_axis")) != list(range(x.ndim)):
        raise argument_error("value", f"axes={axes} is not a permutation of the {x.ndim} axes "
                                      f"of x", "Transpose")
    axes = normalize_axis(axes, x.ndim, "axes")
    if axes == tuple(range(x.ndim)) and returns_input("transpose"):
        return x
    return Transpose(axes)(x)


def permute(x, *dims):
    """torch's name: ``permute(x, 1, 0, 2)`` or ``permute(x, (1, 0, 2))``."""
    if len(dims) == 1 and not isinstance(dims[0], numbers.Integral):
        dims = tuple(dims[0])
    return transpose(x, dims)


def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged."""
    x = as_variable(x)
    if x.ndim == 0 and _semantics.current().zero_dim_axis == "raise":  # numpy's AxisError
        raise ValueError(f"axis1: axis {axis1} is out of bounds for array of dimension 0")
    axes = list(range(x.ndim))
    a, = normalize_axis(axis1, x.ndim, "axis1", "permute_axis")
    b, = normalize_axis(axis2, x.ndim, "axis2", "permute_axis")
    if x.ndim:  # else axis 0/-1 of a 0-d array, as torch
        axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, axes)


def squeeze(x, axis=None):
    """Remove axes of length 1 (all of them with ``axis=None``).

    Naming an axis whose length is not 1: policy field ``squeeze_non_unit_axis`` (torch
    keeps that axis, chainer raises ValueError).
    """
    x = as_variable(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        check_zero_dim_axis(x, axis, "Squeeze", "in_types[0].ndim > 0")
        axes = normalize_axis(axis, x.ndim) if x.ndim else ()
        if _semantics.current().squeeze_non_unit_axis == "ignore":  # torch keeps such an axis
            axes = tuple(a for a in axes if x.shape[a] == 1)
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"cannot squeeze axis={axis}: x.shape[{a}]={x.shape[a]} != 1")
    if not axes and returns_input("squeeze"):
        return x
    return Reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))(x)


def expand_dims(x, axis):
    """Insert an axis of length 1 at ``axis`` (chainer's name; torch calls it unsqueeze)."""
    x = as_variable(x)
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"expand_dims needs an int axis, got axis={axis!r}")
    if not -(x.ndim + 1) <= axis <= x.ndim:
        raise argument_error("axis", f"axis={axis!r} is out of range for expand_dims of "
                                     f"ndim={x.ndim}", "ExpandDims")
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


unsqueeze = expand_dims


class Concat(Function):
    """Join along ``axis``; inputs flagged in ``skipped`` (legacy (0,) tensors, policy
    ``concat_skips_legacy_empty``) take no part and get an empty gradient."""
    saves_tensors = False

    def __init__(self, axis, skipped=()):
        self.axis, self.skipped = axis, skipped

    def forward(self, *xs):
        kept = [x for x, skip in zip(xs, self.skipped or (False,) * len(xs)) if not skip]
        return _backend.get_array_module(*xs).concatenate(kept, axis=self.axis)

    def backward(self, gy):
        skipped = self.skipped or (False,) * len(self.inputs)
        kept = [x for x, skip in zip(self.inputs, skipped) if not skip]
        pieces = iter(split(gy, [x.shape[self.axis] for x in kept], axis=self.axis, _sizes=True))
        return tuple(reshape(gy, (-1,))[:0] if skip else next(pieces) for skip in skipped)


def concat(xs, axis=None):
    """Join Variables along an existing axis.

    The default axis differs: torch.cat uses 0, chainer F.concat uses 1 (policy field
    ``concat_default_axis``). Shapes must agree except along ``axis``.
    """
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"xs must be a list or tuple of Variables, got xs={xs!r}")
    xs = [as_variable(x, "xs[]") for x in xs]
    if not xs:
        raise ValueError("concat needs at least one array; got xs=[]")
    if axis is None:
        axis = _semantics.current().concat_default_axis
    if len({x.dtype for x in xs}) > 1:
        xs = prepare_operands(xs, "Concat")
    skipped = ()
    if _semantics.current().concat_skips_legacy_empty and any(x.ndim > 1 for x in xs):
        skipped = tuple(x.shape == (0,) for x in xs)  # torch skips legacy (0,) tensors
        if any(skipped):
            kept = [x for x, skip in zip(xs, skipped) if not skip]
            _check_concat_shapes(kept, normalize_axis(axis, kept[0].ndim)[0])
            return Concat(normalize_axis(axis, kept[0].ndim)[0], skipped)(*xs)
    ndim = xs[0].ndim
    axis = normalize_axis(axis, ndim)[0]
    _check_concat_shapes(xs, axis)
    function = Concat(axis)
    # chainer 7.8.1's Concat.backward returns its output gradients as they are for one input,
    # so a missing (None) gradient passes through (policy 'none_seed': y.backward() on a
    # non-scalar F.concat([x]) is silently nothing); for two or more it splits them and fails.
    function.passes_none_grad = len(xs) == 1
    return function(*xs)


def _check_concat_shapes(xs, axis):
    ndim = xs[0].ndim
    for index, x in enumerate(xs):
        for dim, (size, first) in enumerate(zip(x.shape, xs[0].shape)):
            if dim != axis and size != first or x.ndim != ndim:
                _concat_shape_error(index, dim, first, size, axis, ndim, x.ndim)


cat = concat


def _concat_shape_error(index, dim, expected, actual, axis, ndim, actual_ndim):
    """torch: RuntimeError; chainer: InvalidType, each with its framework's message."""
    if _semantics.current().invalid_argument_errors == "chainer_type_check":
        if actual_ndim != ndim:
            raise InvalidType(f"in_types[{index}].ndim == in_types[0].ndim", f"{actual_ndim} != {ndim}", "Concat")
        raise InvalidType(f"in_types[0].shape[{dim}] == in_types[{index}].shape[{dim}]",
                          f"{expected} != {actual}", "Concat")
    if _semantics.current().invalid_argument_errors == "numpy":
        if actual_ndim != ndim:
            raise ValueError(f"all the input arrays must have same number of dimensions, but the "
                             f"array at index 0 has {ndim} dimension(s) and the array at index "
                             f"{index} has {actual_ndim} dimension(s)")
        raise ValueError(f"all the input array dimensions except for the concatenation axis must "
                         f"match exactly, but along dimension {dim}, the array at index 0 has "
                         f"size {expected} and the array at index {index} has size {actual}")
    if actual_ndim != ndim:
        raise RuntimeError(f"Tensors must have same number of dimensions: got {ndim} and {actual_ndim}")
    raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size "
                       f"{expected} but got size {actual} for tensor number {index} in the list.")


def stack(xs, axis=0):
    """Join Variables of one shape along a new axis (default 0 in both frameworks)."""
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"xs must be a list or tuple of Variables, got xs={xs!r}")
    xs = [as_variable(x, "xs[]") for x in xs]
    if not xs:
        raise ValueError("stack needs at least one array; got xs=[]")
    for index, x in enumerate(xs):
        if x.shape != xs[0].shape:
            raise argument_error("shape", f"stack expects each array to be equal size: "
                                          f"xs[0].shape={xs[0].shape}, xs[{index}].shape={x.shape}",
                                 "Stack")
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"stack needs an int axis, got axis={axis!r}")
    if not -(xs[0].ndim + 1) <= axis <= xs[0].ndim:
        raise argument_error("axis", f"axis={axis!r} is out of range for stack of "
                                     f"ndim={xs[0].ndim} arrays", "Stack")
    y = concat([expand_dims(x, axis) for x in xs], axis=axis % (xs[0].ndim + 1))
    if y.creator is not None:
        # chainer 7.8.1's F.stack is one node (Stack) whose backward separates the output
        # gradient: a missing (None) one fails even for one input, where concat of one input
        # passes it through (policy 'none_seed').
        y.creator.passes_none_grad = False
    return y


class Split(Function):
    saves_tensors = False
    is_view = True
    none_grad_as_zeros = True  # chainer's SplitAxis fills missing output gradients with zeros

    def __init__(self, bounds, axis):
        self.bounds, self.axis = bounds, axis

    def _keys(self, ndim):
        index = [slice(None)] * ndim
        for start, stop in zip(self.bounds[:-1], self.bounds[1:]):
            index[self.axis] = slice(start, stop)
            yield tuple(index)

    def forward(self, x):
        return tuple(x[key] for key in self._keys(x.ndim))

    def backward(self, *gys):
        if all(a <= b for a, b in zip(self.bounds[:-1], self.bounds[1:])):
            return concat(list(gys), axis=self.axis)
        # Unsorted split points (numpy.split allows them) give overlapping pieces: scatter
        # each piece's gradient back to its slice and add.
        shape = self.inputs[0].shape
        pieces = [GetItemGrad(key, shape)(gy) for key, gy in zip(self._keys(len(shape)), gys)]
        total = pieces[0]
        for piece in pieces[1:]:
            total = total + piece
        return total


def split(x, indices_or_sections, axis=0, _sizes=False):
    """Split ``x`` along ``axis`` into a tuple of Variables.

    An int or a list means different things (policy field ``split_semantics``):
    'sizes' (torch.split): an int is the size of every piece (the last may be smaller), a
    list gives each piece's size. 'indices' (chainer F.split_axis, numpy.split): an int is
    the number of equal pieces, a list gives the split points.
    """
    x = as_variable(x)
    if x.ndim == 0:
        raise ValueError(f"split needs x of at least 1 dimension, got x.shape={x.shape}")
    axis = normalize_axis(axis, x.ndim)[0]
    length = x.shape[axis]
    mode = "sizes" if _sizes else _semantics.current().split_semantics
    spec = indices_or_sections
    if isinstance(spec, numbers.Integral):
        if spec <= 0:
            raise argument_error("split_zero" if spec == 0 else "value",
                                 f"indices_or_sections must be positive, got "
                                 f"indices_or_sections={spec}", "Split")
        if mode == "sizes":
            bounds = list(range(0, length, spec)) + [length]
        else:
            if length % spec:  # chainer's type check: InvalidType (the 'shape' class)
                raise argument_error("shape", f"array split does not result in an equal "
                                              f"division: x.shape[{axis}]={length}, "
                                              f"sections={spec}", "Split")
            bounds = [i * (length // spec) for i in range(spec + 1)]
    else:
        spec = [int(s) for s in spec]
        if mode == "sizes":
            if sum(spec) != length or any(s < 0 for s in spec):
                raise argument_error("shape", f"split sizes {spec} must be non-negative and sum "
                                              f"to x.shape[{axis}]={length}", "Split")
            bounds = [0]
            for size in spec:
                bounds.append(bounds[-1] + size)
        else:
            # numpy.split slices x[bounds[i]:bounds[i+1]]: normalise as Python slicing does.
            bounds = [0] + [min(max(i + length if i < 0 else i, 0), length) for i in spec] + [length]
    pieces = Split(bounds, axis)(x)
    return pieces if isinstance(pieces, tuple) else (pieces,)
