"""Shape and maths ops of the issue-17 breadth: diagonal, select_item, scatter_add, average,
normalize (L2), pad (constant, reflect, edge), depth2space / space2depth (pixel shuffle) and
im2col (unfold).

Compositions of refimpl ops where that is exact (so double backprop comes for free), and
small Function pairs where torch's saved-tensor behaviour must be modelled (``Diagonal``
saves nothing, as torch's view). Where torch and chainer differ, a policy field decides:
``normalize_eps_rule`` / ``normalize_eps``, ``depth2space_channel_order``, ``im2col_layout``.
"""
import numbers
from fractions import Fraction

import numpy

from .. import _backend, policies as _semantics
from .._mode import no_grad
from ..function import Function
from ..variable import Variable
from ._util import argument_error, as_variable, float_input, normalize_axis
from .activation import clip
from .indexing import GetItemGrad, getitem, where
from .math import sqrt
from .reduction import mean, sum as _sum
from .broadcast import broadcast_to
from .shape import Transpose, reshape, stack
from .shape_more import _Copy


# --------------------------------------------------------------------------------------
# diagonal
# --------------------------------------------------------------------------------------

def _diagonal_index(shape, offset, axis1, axis2, xp):
    """(rows, columns) of the diagonal ``offset`` of axes (axis1, axis2) of ``shape``."""
    rows, columns = shape[axis1], shape[axis2]
    length = max(0, min(rows - max(-offset, 0), columns - max(offset, 0)))
    index = xp.arange(length)
    return index + max(-offset, 0), index + max(offset, 0)


class Diagonal(Function):
    """``numpy.diagonal(x, offset, axis1, axis2)``: the other axes in order, the diagonal
    last. A view in torch (``DiagonalBackward0`` saves nothing)."""
    saves_tensors = False
    is_view = True

    def __init__(self, offset, axis1, axis2):
        self.offset, self.axis1, self.axis2 = offset, axis1, axis2

    def forward(self, x):
        xp = _backend.get_array_module(x)
        return xp.diagonal(x, self.offset, self.axis1, self.axis2).copy()

    def backward(self, gy):
        return DiagonalGrad(self.inputs[0].shape, self.offset, self.axis1, self.axis2)(gy)


class DiagonalGrad(Function):
    """Zeros of the input's shape with ``gy`` on the diagonal."""
    saves_tensors = False

    def __init__(self, shape, offset, axis1, axis2):
        self.shape, self.offset, self.axis1, self.axis2 = shape, offset, axis1, axis2

    def forward(self, gy):
        xp = _backend.get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        rows, columns = _diagonal_index(self.shape, self.offset, self.axis1, self.axis2, xp)
        xp.moveaxis(gx, (self.axis1, self.axis2), (-2, -1))[..., rows, columns] = gy
        return gx

    def backward(self, ggx):
        return Diagonal(self.offset, self.axis1, self.axis2)(ggx)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal ``offset`` (above the main one for > 0) of the axes ``axis1`` and
    ``axis2``, as a new last axis (torch ``torch.diagonal(x, offset, dim1, dim2)``, chainer
    ``F.diagonal(x, offset, axis1, axis2)``)."""
    x = as_variable(x)
    if not isinstance(offset, numbers.Integral) or isinstance(offset, bool):
        raise TypeError(f"diagonal needs an int offset, got offset={offset!r}")
    first, second = normalize_axis((axis1, axis2), x.ndim, "axis1/axis2")
    if first == second:  # torch RuntimeError, chainer (NumPy) ValueError
        raise argument_error("repeated_axis", f"diagonal needs two different axes, got "
                                              f"axis1={axis1}, axis2={axis2}", "Diagonal")
    return Diagonal(int(offset), first, second)(x)


# --------------------------------------------------------------------------------------
# select_item, scatter_add
# --------------------------------------------------------------------------------------

def _integer_array(name, value, like):
    """Integer labels or indices as an array on ``like``'s device (never differentiated)."""
    if isinstance(value, Variable):
        value = value.data
    value = _backend.get_array_module(like.data).asarray(value)
    if value.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got {name}.dtype={value.dtype}")
    return value


def select_item(x, t):
    """``x[n, t[n]]`` for x of shape (N, C) and integer t of shape (N,): chainer
    ``F.select_item(x, t)``, torch ``x.gather(1, t[:, None])[:, 0]``. A label outside [0, C)
    raises the policy's 'gather_index' error naming it."""
    x = as_variable(x)
    labels = _integer_array("t", t, x)
    if x.ndim != 2 or labels.shape != x.shape[:1]:
        raise argument_error("shape", f"select_item needs x of shape (N, C) and t of shape "
                                      f"(N,), got x.shape={x.shape}, t.shape={labels.shape}",
                             "SelectItem")
    xp = _backend.get_array_module(x.data)
    if bool(((labels < 0) | (labels >= x.shape[1])).any()):
        raise argument_error("gather_index", f"select_item: a label of t={labels.tolist()} "
                                             f"is outside [0, {x.shape[1]})", "SelectItem")
    return getitem(x, (xp.arange(x.shape[0]), labels.astype(xp.int64)))


def scatter_add(a, b, indices):
    """``a`` with the rows of ``b`` added at ``a[indices]`` along axis 0, repeated indices
    adding up: chainer ``F.scatter_add(a, indices, b)``, torch ``a.index_add(0, indices,
    b)``. Both a and b are differentiated (``d/db`` gathers the output gradient at
    ``indices``)."""
    a, b = as_variable(a, "a"), as_variable(b, "b")
    rows = _integer_array("indices", indices, a)
    if a.ndim == 0 or rows.ndim != 1 or b.shape != rows.shape + a.shape[1:]:
        raise argument_error("unchecked_shape", f"scatter_add needs b of shape (len(indices),) "
                                                f"+ a.shape[1:], got a.shape={a.shape}, "
                                                f"indices.shape={rows.shape}, b.shape={b.shape}",
                             "ScatterAdd")
    if bool(((rows < -a.shape[0]) | (rows >= a.shape[0])).any()):
        raise IndexError(f"scatter_add: indices={rows.tolist()} out of range for "
                         f"{a.shape[0]} rows")
    return a + IndexAdd((rows % a.shape[0],), a.shape)(b)


class IndexAdd(GetItemGrad):
    """``GetItemGrad`` that saves its index (torch's IndexAddBackward0 saves it, so a second
    backward raises under 'free')."""
    saves_tensors = True


# --------------------------------------------------------------------------------------
# average, normalize
# --------------------------------------------------------------------------------------

def average(x, axis=None, weights=None, keepdims=False):
    """The weighted mean ``sum(x w, axis) / sum(w)``: chainer ``F.average(x, axis=None,
    weights=None, keepdims=False)`` (weights of x's shape for axis None, of shape
    (x.shape[axis],) for an int axis; both differentiated). Without weights: ``mean``.
    torch has no weighted mean: its port is ``(x * w).sum(axis) / w.sum()``."""
    x = float_input(x, "average")
    if weights is None:
        return mean(x, axis, keepdims)
    weights = as_variable(weights, "weights")
    if axis is None:
        if weights.shape != x.shape:
            raise argument_error("shape", f"average: weights must have x's shape for "
                                          f"axis=None, got weights.shape={weights.shape}, "
                                          f"x.shape={x.shape}", "Average")
        spread = weights
    else:
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise ValueError(f"average: weights take one int axis, got axis={axis!r}")
        (axis,) = normalize_axis(axis, x.ndim)
        if weights.shape != (x.shape[axis],):
            raise argument_error("shape", f"average: weights must have shape "
                                          f"({x.shape[axis]},), got weights.shape="
                                          f"{weights.shape}", "Average")
        shape = tuple(n if i == axis else 1 for i, n in enumerate(x.shape))
        spread = broadcast_to(reshape(weights, shape), x.shape)
    return _sum(x * spread, axis, keepdims) / _sum(weights)


def normalize(x, eps=None, axis=1):
    """``x`` divided by its L2 norm along ``axis``: torch ``F.normalize(x, p=2, dim=1,
    eps=1e-12)`` is ``x / max(||x||, eps)``; chainer ``F.normalize(x, eps=1e-5, axis=1)``
    is ``x / (||x|| + eps)`` (policy fields ``normalize_eps_rule`` and ``normalize_eps``,
    the default eps)."""
    x = float_input(x, "normalize")
    policy = _semantics.current()
    eps = policy.normalize_eps if eps is None else float(eps)
    (axis,) = normalize_axis(axis, x.ndim)
    norm = sqrt(_sum(x * x, axis=axis, keepdims=True))
    if policy.normalize_eps_rule == "clamp":
        return x / broadcast_to(clip(norm, eps, None), x.shape)
    return x / broadcast_to(norm + eps, x.shape)


# --------------------------------------------------------------------------------------
# pad
# --------------------------------------------------------------------------------------

PAD_MODES = ("constant", "reflect", "edge")


def _pad_pairs(pad_width, ndim):
    """``pad_width`` (an int, one (before, after) pair, or one pair per axis) as a tuple of
    ``ndim`` pairs of non-negative ints."""
    if isinstance(pad_width, numbers.Integral):
        pairs = ((int(pad_width), int(pad_width)),) * ndim
    else:
        pairs = tuple(tuple(int(p) for p in pair) for pair in pad_width) \
            if len(pad_width) and not isinstance(pad_width[0], numbers.Integral) \
            else (tuple(int(p) for p in pad_width),) * ndim
    if len(pairs) != ndim:
        raise argument_error("value", f"pad_width must give a (before, after) pair for each of "
                                      f"the {ndim} axes, got pad_width={pad_width!r}", "pad")
    if any(len(pair) != 2 or min(pair) < 0 for pair in pairs):
        raise ValueError(f"pad_width must give a (before, after) pair of non-negative ints "
                         f"for each of the {ndim} axes, got pad_width={pad_width!r}")
    return pairs


class ConstantPad(Function):
    """``numpy.pad(x, pairs, 'constant', constant_values=value)``; the gradient is the
    interior of the output gradient (torch's ConstantPadNd saves nothing)."""
    saves_tensors = False

    def __init__(self, pairs, value):
        self.pairs, self.value = pairs, value

    def forward(self, x):
        xp = _backend.get_array_module(x)
        return xp.pad(x, self.pairs, mode="constant", constant_values=x.dtype.type(self.value))

    def backward(self, gy):
        return getitem(gy, tuple(slice(before, before + n) for (before, _), n
                                 in zip(self.pairs, self.inputs[0].shape)))


def pad(x, pad_width, mode="constant", constant_values=0):
    """``numpy.pad(x, pad_width, mode)`` for the modes 'constant' (with
    ``constant_values``), 'reflect' (mirrored without repeating the edge) and 'edge' (the
    edge repeated); ``pad_width`` in NumPy's form, one (before, after) pair per axis from the
    first. chainer ``F.pad(x, pad_width, mode, constant_values=...)``; torch ``F.pad(x, pad,
    mode, value)`` takes the pairs flattened from the *last* axis and calls 'edge'
    'replicate'. Gradients add up the copies (chainer 7.8.1 passes only the interior: a known
    issue)."""
    x = float_input(x, "pad")
    if x.ndim == 0:
        raise ValueError(f"pad needs x of 1 or more dimensions, got x.shape={x.shape}")
    pairs = _pad_pairs(pad_width, x.ndim)
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {PAD_MODES}, got mode={mode!r}")
    if mode == "constant":
        return ConstantPad(pairs, float(constant_values))(x)
    xp = _backend.get_array_module(x.data)
    indices = []
    for (before, after), n in zip(pairs, x.shape):
        if (before or after) and (n == 0 or (mode == "reflect" and max(before, after) >= n)):
            raise argument_error("value", f"pad: mode={mode!r} needs padding smaller than the "
                                          f"axis, got pad_width={pad_width!r} for x.shape="
                                          f"{x.shape}", "pad")
        indices.append(xp.pad(xp.arange(n), (before, after), mode=mode))
    # one node, also for no padding (a copy that saves, as torch's ReflectionPad/ReplicationPad)
    return IndexPad(xp.ix_(*indices))(x)


class IndexPad(Function):
    """``x[key]`` for an open mesh of index arrays (``ix_``): the reflect/edge pad. Its
    gradient adds the copies back (``GetItemGrad``). Under the policy's ``slope_in_graph``
    (torch: ``reflection_pad_backward(grad, self, padding)`` takes x) the gradient is a node
    on x as well, so a ``create_graph`` gradient requires grad even for a constant seed."""
    saves_tensors = True

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        return x[self.key]

    def backward(self, gy):
        x = self.inputs[0]
        gx = GetItemGrad(self.key, x.shape)(gy)
        return _TiedToInput()(gx, x) if _semantics.current().slope_in_graph else gx


class _TiedToInput(Function):
    """``a``, with ``b`` (of a's shape) an input of the node too, its derivative zero: a
    gradient formula that takes the forward input, as torch's do (so the second derivative
    with respect to x is zeros, not absent)."""
    saves_tensors = False

    def forward(self, a, b):
        return a.copy()

    def backward(self, gy):
        return gy, gy * gy.dtype.type(0)


# --------------------------------------------------------------------------------------
# depth2space / space2depth, im2col
# --------------------------------------------------------------------------------------

def _factor(r, name):
    if not isinstance(r, numbers.Integral) or isinstance(r, bool) or r < 1:
        raise ValueError(f"{name} needs a positive int factor, got r={r!r}")
    return int(r)


def depth2space(x, r):
    """(N, C r^2, H, W) -> (N, C, H r, W r): torch ``F.pixel_shuffle(x, r)``, chainer
    ``F.depth2space(x, r)``; which input channel goes where is the policy's
    ``depth2space_channel_order``."""
    x = as_variable(x)
    r = _factor(r, "depth2space")
    if x.ndim != 4 or x.shape[1] % (r * r):  # torch RuntimeError, chainer ValueError
        raise argument_error("value", f"depth2space needs x of shape (N, C r^2, H, W), got "
                                      f"x.shape={x.shape}, r={r}", "Depth2Space")
    n, depth, h, w = x.shape
    c = depth // (r * r)
    if _semantics.current().depth2space_channel_order == "channel_major":
        blocks = Transpose((0, 1, 4, 2, 5, 3))(reshape(x, (n, c, r, r, h, w)))
    else:
        blocks = Transpose((0, 3, 4, 1, 5, 2))(reshape(x, (n, r, r, c, h, w)))
    return _Copy()(reshape(blocks, (n, c, h * r, w * r)))  # torch's kernel: a new tensor


def space2depth(x, r):
    """(N, C, H r, W r) -> (N, C r^2, H, W), the inverse of ``depth2space``: torch
    ``F.pixel_unshuffle(x, r)``, chainer ``F.space2depth(x, r)``."""
    x = as_variable(x)
    r = _factor(r, "space2depth")
    if x.ndim != 4 or x.shape[2] % r or x.shape[3] % r:  # torch RuntimeError, chainer ValueError
        raise argument_error("value", f"space2depth needs x of shape (N, C, H r, W r), got "
                                      f"x.shape={x.shape}, r={r}", "Space2Depth")
    n, c, hr, wr = x.shape
    h, w = hr // r, wr // r
    blocks = reshape(x, (n, c, h, r, w, r))
    if _semantics.current().depth2space_channel_order == "channel_major":
        blocks = Transpose((0, 1, 3, 5, 2, 4))(blocks)
    else:
        blocks = Transpose((0, 3, 5, 1, 2, 4))(blocks)
    return _Copy()(reshape(blocks, (n, c * r * r, h, w)))  # torch's kernel: a new tensor


def _pair(value, name):
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) for v in pair):
        raise ValueError(f"im2col: {name} must be an int or a pair of ints, got {name}={value!r}")
    return tuple(int(v) for v in pair)


def im2col(x, ksize, stride=1, pad=0, dilate=1):
    """The kh x kw patches of a (N, C, H, W) input at each output position (no cover_all),
    channels ordered (c, ki, kj): torch ``F.unfold(x, kernel_size, dilation, padding,
    stride)`` gives (N, C kh kw, oh ow), chainer ``F.im2col(x, ksize, stride, pad,
    dilate=...)`` (N, C kh kw, oh, ow) (policy ``im2col_layout``). One strided slice per
    kernel offset (kh kw of them), stacked."""
    x = float_input(x, "im2col")
    if x.ndim != 4:
        raise ValueError(f"im2col needs x of shape (N, C, H, W), got x.shape={x.shape}")
    (kh, kw), (sy, sx), (ph, pw), (dy, dx) = (_pair(v, name) for v, name in (
        (ksize, "ksize"), (stride, "stride"), (pad, "pad"), (dilate, "dilate")))
    if min(kh, kw, sy, sx, dy, dx) < 1 or min(ph, pw) < 0:
        raise ValueError(f"im2col: ksize, stride and dilate must be positive and pad "
                         f"non-negative, got ksize={ksize!r}, stride={stride!r}, pad={pad!r}, "
                         f"dilate={dilate!r}")
    n, c, h, w = x.shape
    oh = (h + 2 * ph - dy * (kh - 1) - 1) // sy + 1
    ow = (w + 2 * pw - dx * (kw - 1) - 1) // sx + 1
    if oh < 1 or ow < 1:
        raise argument_error("empty_output", f"im2col: the kernel does not fit x.shape="
                                             f"{x.shape} (output {oh} x {ow})", "Im2Col")
    padded = ConstantPad(((0, 0), (0, 0), (ph, ph), (pw, pw)), 0.0)(x) if ph or pw else x
    patches = [getitem(padded, (slice(None), slice(None),
                                slice(i * dy, i * dy + sy * (oh - 1) + 1, sy),
                                slice(j * dx, j * dx + sx * (ow - 1) + 1, sx)))
               for i in range(kh) for j in range(kw)]
    columns = stack(patches, axis=2)  # (N, C, kh kw, oh, ow)
    if _semantics.current().im2col_layout == "flat":
        return reshape(columns, (n, c * kh * kw, oh * ow))
    return reshape(columns, (n, c * kh * kw, oh, ow))


# --------------------------------------------------------------------------------------
# resize_images (bilinear)
# --------------------------------------------------------------------------------------

def _interpolation_taps(size_in, size_out, align_corners, dtype):
    """torch's ``compute_source_index_and_lambda`` along one axis, in ``dtype`` (its opmath
    for float32 and float64): per output index i, the two input indices and their weights
    ``(low, high, 1 - f, f)``. The source coordinate is ``s = i scale``, scale = (in - 1) /
    (out - 1), with ``align_corners`` (0 for one output pixel), else ``max(scale (i + 0.5) -
    0.5, 0)``, scale = in / out, one fused multiply-add (torch 2.13's AVX2/AVX512 CPU kernels
    contract it: ``s`` just above an integer keeps a weight ``f`` above 0); ``low = floor(s)``
    (as float32: torch's ``floorf``) clipped to the last pixel, ``high = low + 1`` clipped too,
    ``f = clip(s - low, 0, 1)``. Equal sizes copy: ``low = high = i``, ``f = 0``."""
    index = numpy.arange(size_out)
    if size_out == size_in:
        return index, index, numpy.ones(size_out, dtype), numpy.zeros(size_out, dtype)
    if align_corners:
        scale = (dtype.type(size_in - 1) / dtype.type(size_out - 1) if size_out > 1
                 else dtype.type(0))
        source = scale * index.astype(dtype)
    else:
        scale = Fraction(float(dtype.type(size_in) / dtype.type(size_out)))
        source = numpy.array([float(scale * Fraction(2 * i + 1, 2) - Fraction(1, 2))
                              for i in index]).astype(dtype)
        source = numpy.maximum(source, dtype.type(0))
    low = numpy.minimum(numpy.floor(source.astype(numpy.float32)), size_in - 1).astype(int)
    fraction = numpy.clip(source - low.astype(dtype), 0, 1).astype(dtype)
    return low, numpy.minimum(low + 1, size_in - 1), (1 - fraction).astype(dtype), fraction


def resize_images(x, output_shape, align_corners):
    """Bilinear resize of (N, C, H, W) to (N, C, out_h, out_w): each output pixel the sum
    over its four taps (``_interpolation_taps`` along H times along W) of weight times input
    pixel. torch ``F.interpolate(x, size=output_shape, mode='bilinear', align_corners=...)``
    (default False: half-pixel centres), chainer ``F.resize_images(x, output_shape,
    align_corners=...)`` (default True; chainer 7.8.1's fails on NumPy 1.24 and later: it
    calls ``numpy.float``). Both defaults are passed explicitly here, so ``align_corners`` is
    required. The gradient scatters ``weight * gy`` to every tap (torch's
    ``upsample_bilinear2d_backward``), a zero weight included: an infinite gy gives NaN
    there (0 * inf), also where a tap repeats the other one's pixel."""
    x = float_input(x, "resize_images")
    if x.ndim != 4:
        raise argument_error("spatial_shape", f"resize_images needs x of shape (N, C, H, W), "
                                              f"got x.shape={x.shape}", "ResizeImages")
    out_h, out_w = (int(v) for v in output_shape)
    if min(out_h, out_w) < 1:
        raise ValueError(f"resize_images needs a positive output size, got "
                         f"output_shape={output_shape!r}")
    xp = _backend.get_array_module(x.data)
    opmath = numpy.dtype(numpy.float32 if x.dtype.itemsize < 4 else x.dtype)  # as torch's
    rows = _interpolation_taps(x.shape[2], out_h, bool(align_corners), opmath)
    columns = _interpolation_taps(x.shape[3], out_w, bool(align_corners), opmath)
    taps = [tuple(xp.asarray(a) for a in (row[:, None], column[None, :],
                                          row_weight[:, None] * column_weight[None, :]))
            for row, row_weight in ((rows[0], rows[2]), (rows[1], rows[3]))
            for column, column_weight in ((columns[0], columns[2]), (columns[1], columns[3]))]
    return BilinearTaps(taps)(x)


class BilinearTaps(Function):
    """``y[..., i, j] = sum over taps (row, column, weight) of weight[i, j] x[..., row[i, j],
    column[i, j]]`` for constant taps (summed in the weights' dtype, float32 for float16):
    its gradient scatters ``weight * gy`` to the taps, the same map transposed, so it saves
    no tensor (torch's upsample_bilinear2d backward keeps only sizes)."""
    saves_tensors = False

    def __init__(self, taps):
        self.taps = taps

    def forward(self, x):
        self.shape, y = x.shape, None
        for row, column, weight in self.taps:
            term = weight * x[..., row, column]
            y = term if y is None else y + term
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        return BilinearTapsGrad(self.taps, self.shape)(gy)


class BilinearTapsGrad(Function):
    """The gradient of ``BilinearTaps``: zeros of the input's shape with ``weight * gy``
    added at each tap (repeated pixels add up; a zero weight adds 0 * gy, NaN for an infinite
    gy, as torch's upsample_bilinear2d backward); its gradient is ``BilinearTaps`` again."""
    saves_tensors = False

    def __init__(self, taps, shape):
        self.taps, self.shape = taps, shape

    def forward(self, gy):
        xp = _backend.get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=self.taps[0][2].dtype)
        for row, column, weight in self.taps:
            xp.add.at(gx, (Ellipsis, row, column), weight * gy)
        return gx.astype(gy.dtype, copy=False)

    def backward(self, ggx):
        return BilinearTaps(self.taps)(ggx)


# --------------------------------------------------------------------------------------
# spatial transformer: affine_grid, grid_sample
# --------------------------------------------------------------------------------------

def _normalised_coordinates(size, align_corners, xp, dtype):
    """The coordinates in [-1, 1] of ``size`` pixel centres: ``linspace(-1, 1, size)`` with
    ``align_corners`` (the corner pixels' centres at -+1), else ``(2 i + 1) / size - 1``
    (the image's edges at -+1)."""
    if align_corners:  # chainer's linspace: [-1] for one pixel (torch's aligned grid: [0])
        return xp.linspace(-1.0, 1.0, size).astype(dtype)
    return ((2.0 * xp.arange(size) + 1.0) / size - 1.0).astype(dtype)


class AffineGrid(Function):
    """``base @ theta^T`` for a constant ``base`` (H W, 3) and theta (N, 2, 3): (N, H W, 2).
    Its gradient ``gy^T @ base`` is linear in gy, so it saves no tensor (torch's
    affine_grid_generator_backward keeps only sizes)."""
    saves_tensors = False

    def __init__(self, base):
        self.base = base

    def forward(self, theta):
        return self.base @ theta.transpose(0, 2, 1)

    def backward(self, gy):
        return AffineGridGrad(self.base)(gy)


class AffineGridGrad(Function):
    saves_tensors = False

    def __init__(self, base):
        self.base = base

    def forward(self, gy):
        return gy.transpose(0, 2, 1) @ self.base

    def backward(self, ggtheta):
        return AffineGrid(self.base)(ggtheta)


def affine_grid(theta, output_shape):
    """The sampling grid of the affine maps ``theta`` (N, 2, 3) over an output of
    ``output_shape`` (H, W): each output pixel's normalised (x, y) mapped by theta. torch
    ``F.affine_grid(theta, (N, C, H, W), align_corners=False)`` gives (N, H, W, 2); chainer
    ``F.spatial_transformer_grid(theta, (H, W))`` (N, 2, H, W), pixel centres at linspace(-1,
    1) (policy fields ``spatial_grid_layout``, ``spatial_align_corners``)."""
    theta = float_input(theta, "affine_grid")
    if theta.ndim != 3 or theta.shape[1:] != (2, 3):
        raise argument_error("spatial_shape", f"affine_grid needs theta of shape (N, 2, 3), "
                                              f"got theta.shape={theta.shape}", "AffineGrid")
    height, width = (int(v) for v in output_shape)
    policy = _semantics.current()
    xp = _backend.get_array_module(theta.data)
    xs = _normalised_coordinates(width, policy.spatial_align_corners, xp, theta.dtype)
    ys = _normalised_coordinates(height, policy.spatial_align_corners, xp, theta.dtype)
    base = xp.stack([xp.broadcast_to(xs[None, :], (height, width)),
                     xp.broadcast_to(ys[:, None], (height, width)),
                     xp.ones((height, width), dtype=theta.dtype)], axis=-1).reshape(-1, 3)
    grid = reshape(AffineGrid(base)(theta), (theta.shape[0], height, width, 2))
    if policy.spatial_grid_layout == "channels_first":
        return Transpose((0, 3, 1, 2))(grid)
    return grid


def grid_sample(x, grid):
    """Bilinear sampling of x (N, C, H, W) at the normalised points of ``grid``, zero outside
    the image: torch ``F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros',
    align_corners=False)`` with grid (N, Ho, Wo, 2); chainer ``F.spatial_transformer_sampler(x,
    grid)`` with grid (N, 2, Ho, Wo) and -+1 at the corner pixels' centres (policy fields
    ``spatial_grid_layout``, ``spatial_align_corners``). The pixel coordinate is ``u = (g +
    1) (W - 1) / 2`` (aligned) or ``((g + 1) W - 1) / 2``; both x and grid are
    differentiated (the weights are linear in u within a cell), as the frameworks' backward
    kernels compute it (policy field ``grid_sample_gradient``): gy times each tap weight for
    x, and per channel gy times the coordinate derivative for the grid."""
    x, grid = float_input(x, "grid_sample"), float_input(grid, "grid_sample")
    policy = _semantics.current()
    last = policy.spatial_grid_layout == "channels_last"
    if x.ndim != 4 or grid.ndim != 4 or grid.shape[0] != x.shape[0] or \
            grid.shape[3 if last else 1] != 2:
        layout = "(N, Ho, Wo, 2)" if last else "(N, 2, Ho, Wo)"
        raise argument_error("shape", f"grid_sample needs x (N, C, H, W) and a grid of 2 "
                                      f"coordinates per point ({layout}), got x.shape="
                                      f"{x.shape}, grid.shape={grid.shape}", "GridSample")
    if not last:
        grid = Transpose((0, 2, 3, 1))(grid)
    return GridSample(policy.spatial_align_corners, policy.grid_sample_gradient)(x, grid)


class GridSample(Function):
    """grid_sample of x (N, C, H, W) at grid (N, Ho, Wo, 2), with the gradients of the
    frameworks' kernels, written with refimpl ops (so differentiable again): x's adds gy
    times each tap weight at the tap (torch ``grid_sampler_2d_backward``: in-image taps only;
    chainer SpatialTransformerSampler: all four taps of the clipped coordinate, a zero weight
    included), the grid's is ``sum_c gy D_c`` times the coordinate scale, D_c the finite
    derivative of the sample in u (or v) (chainer: times its 0/1 mask of u in the padded
    image too)."""

    def __init__(self, aligned, form):
        self.aligned, self.form = aligned, form

    def _axis(self, g, size):
        """Along one axis: the lower tap's index (may lie outside), the weights of the lower
        and upper taps (Variables of g) and the constant scale of the coordinate gradient."""
        xp = _backend.get_array_module(g.data)
        if self.form == "clipped":  # chainer: in the image padded by 1, clipped to it
            padded = (g + 1.0) * (size - 1) / 2.0 + 1.0
            clipped = clip(padded, 0.0, size + 1.0)
            low = xp.clip(xp.floor(clipped.data), 0, size)
            inside = (padded.data > 0) & (padded.data < size + 1)
            return (low.astype(int) - 1, -(clipped - (low + 1).astype(g.dtype)),
                    clipped - low.astype(g.dtype), (inside * ((size - 1) / 2.0)).astype(g.dtype))
        if self.aligned:
            u, scale = (g + 1.0) * ((size - 1) / 2.0), (size - 1) / 2.0
        else:
            u, scale = ((g + 1.0) * size - 1.0) * 0.5, size / 2.0
        low = xp.floor(u.data)
        upper = u - low.astype(g.dtype)
        return low.astype(int), 1.0 - upper, upper, g.dtype.type(scale)

    def _taps(self, x, grid):
        """The four taps nw, ne, sw, se: their values (N, Ho, Wo, C; 0 outside the image),
        their weights, the axes' weights and scales, and the keys into (N, H, W, C) pixels."""
        xp = _backend.get_array_module(x.data)
        n, _, height, width = x.shape
        column, west, east, scale_u = self._axis(getitem(grid, (Ellipsis, 0)), width)
        row, north, south, scale_v = self._axis(getitem(grid, (Ellipsis, 1)), height)
        pixels = Transpose((0, 2, 3, 1))(x)  # (N, H, W, C)
        batch = xp.arange(n)[:, None, None]
        values, weights, keys = [], [], []
        for r, row_weight in ((row, north), (row + 1, south)):
            for c, column_weight in ((column, west), (column + 1, east)):
                inside = ((r >= 0) & (r < height) & (c >= 0) & (c < width))[..., None]
                key = (batch, xp.clip(r, 0, height - 1), xp.clip(c, 0, width - 1))
                values.append(where(inside, getitem(pixels, key), x.dtype.type(0)))
                weights.append(reshape(row_weight * column_weight, row.shape + (1,)))
                keys.append((key, inside))
        return values, weights, (west, east, north, south, scale_u, scale_v), keys

    def forward(self, x, grid):
        with no_grad():
            values, weights, _, _ = self._taps(Variable._constant(x), Variable._constant(grid))
            y = values[0] * weights[0]
            for value, weight in zip(values[1:], weights[1:]):
                y = y + value * weight
            return y.data.transpose(0, 3, 1, 2)

    def backward(self, gy):
        x, grid = self.inputs
        values, weights, axes, keys = self._taps(x, grid)
        g = Transpose((0, 2, 3, 1))(gy)  # (N, Ho, Wo, C)
        gx = ggrid = None
        if x.requires_grad:
            shape = (x.shape[0], x.shape[2], x.shape[3], x.shape[1])
            pixels = None
            for weight, (key, inside) in zip(weights, keys):
                added = GetItemGrad(key, shape)(where(inside, g * weight, x.dtype.type(0)))
                pixels = added if pixels is None else pixels + added
            gx = Transpose((0, 3, 1, 2))(pixels)
        if grid.requires_grad:
            nw, ne, sw, se = values
            west, east, north, south, scale_u, scale_v = (
                reshape(a, a.shape + (1,)) if isinstance(a, Variable) else a for a in axes)
            du = (ne - nw) * north + (se - sw) * south
            dv = (sw - nw) * west + (se - ne) * east
            ggrid = stack([_sum(du * g, axis=3) * scale_u, _sum(dv * g, axis=3) * scale_v],
                          axis=3)
        return gx, ggrid


__all__ = ["affine_grid", "average", "depth2space", "diagonal", "grid_sample", "im2col",
           "normalize", "pad", "resize_images", "scatter_add", "select_item", "space2depth"]
