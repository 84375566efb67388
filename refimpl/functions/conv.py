"""2-D convolution (NCHW) and its transpose, differentiable to any order.

Three Functions share one ``ConvGeometry`` and are each other's gradients, as Chainer's
``Convolution2DFunction`` / ``Deconvolution2DFunction`` / ``Convolution2DGradW``:

* ``Convolution2D(x, W[, b]) -> y``: gradients ``ConvTranspose2D(gy, W)`` for x,
  ``Convolution2DGradW(x, gy)`` for W and ``sum(gy, (0, 2, 3))`` for b;
* ``ConvTranspose2D(y, W) -> x-shaped``: gradients ``Convolution2D(gx, W)`` and
  ``Convolution2DGradW(gx, y)``;
* ``Convolution2DGradW(x, gy) -> W-shaped``: gradients ``ConvTranspose2D(gy, gW)`` and
  ``Convolution2D(x, gW)``.

The columns are gathered once, in one strided copy, channel-major: ``(C, kh, kw, N, oh, ow)``.
Each direction is then one matrix product per group over all the images at once: the
convolution ``W col``, its gradient in W ``gy col^T`` and the transposed convolution's columns
``W^T gy``, which a col2im of kh * kw slice-adds puts at the input pixels they read. No loop
over pixels or images. The forward's columns are kept for the gradient in W and dropped as soon
as it is computed, before the transposed convolution makes columns of its own (a second
backward through a retained graph gathers them again).

Why this layout: on the 2-core benchmark machine (AMD EPYC Zen 1, OpenBLAS sgemm at its default
2 threads, x (8, 16, 32, 32), W (32, 16, 3, 3), interleaved medians) the three large products
run at about 25 GFLOPS, where the earlier per-image batched products (8 small ones per
direction) and per-tap transposed convolution (72 small ones) ran at 12 to 15: the step took
0.60 to 0.83 of its earlier time in three side-by-side runs (e.g. 18.2 -> 15.1 ms), and its
peak memory went from 8.5 to 6.9 MB (Chainer's: 11.1 MB). For
``gy col^T`` against ``col gy^T``: 3.6 against 6.1 ms at 2 threads (with one thread the other
orientation wins, 5.1 against 7.3 ms). A full convolution of the padded gy with the flipped
kernel would need columns twice the forward's: peak memory above Chainer's.
"""
import numbers
from dataclasses import dataclass

from .. import _backend, policies as _semantics
from ..errors import InvalidType
from ..function import Function
from ._util import argument_error, as_variable
from .arithmetic import convert
from .reduction import sum as _sum
from .shape import reshape

__all__ = ["conv2d", "convolution_2d", "conv_transpose2d", "deconvolution_2d",
           "conv_outsize", "ConvGeometry"]


def _policy_value(name, given=None):
    """``given`` if not None, else the active policy's field ``name``."""
    return getattr(_semantics.current(), name) if given is None else given


@dataclass(frozen=True)
class ConvGeometry:
    """Which input pixel each kernel tap of each output pixel reads, per spatial axis (H, W).

    Output pixel ``o`` and tap ``k`` read input row ``o * stride + k * dilation - pad``;
    rows outside ``[0, in_size)`` read zero. ``pad`` is the padding before the first row;
    the padding after it is whatever ``out_size`` needs (this covers symmetric padding,
    chainer's ``cover_all`` and torch's asymmetric ``padding='same'``).
    """
    in_size: tuple
    out_size: tuple
    kernel: tuple
    stride: tuple
    dilation: tuple
    pad: tuple
    groups: int

    def padded_size(self):
        """(Hp, Wp): the zero-padded input extent that holds the input and every tap."""
        return tuple(max(p + n, (o - 1) * s + (k - 1) * d + 1)
                     for n, o, k, s, d, p in zip(self.in_size, self.out_size, self.kernel,
                                                 self.stride, self.dilation, self.pad))

    def tap_slices(self, ky, kx):
        """Slices of the padded input that tap (ky, kx) reads for all output pixels."""
        return tuple(slice(k * d, k * d + (o - 1) * s + 1, s)
                     for k, d, o, s in zip((ky, kx), self.dilation, self.out_size, self.stride))

    def interior(self):
        """Slices of the padded input that hold the input itself."""
        return tuple(slice(p, p + n) for p, n in zip(self.pad, self.in_size))


# --------------------------------------------------------------------------------------
# Array kernels
# --------------------------------------------------------------------------------------

def _padded(x, geometry):
    """``x`` inside a zero buffer of the padded size (``x`` itself when no padding is needed)."""
    xp = _backend.get_array_module(x)
    padded_size = geometry.padded_size()
    if padded_size == geometry.in_size and geometry.pad == (0, 0):
        return x
    buffer = xp.zeros(x.shape[:2] + padded_size, dtype=x.dtype)
    buffer[(Ellipsis,) + geometry.interior()] = x
    return buffer


def im2col(x, geometry):
    """Columns ``(C, kh, kw, N, oh, ow)``: ``col[c, i, j, n, p, q]`` is the input pixel that
    tap (i, j) of output pixel (p, q) of image n reads. Contiguous and channel-major, so that
    each direction is one matrix product per group over all the images at once."""
    xp = _backend.get_array_module(x)
    padded = _padded(x, geometry)
    n, c, row, column = padded.strides
    (dy, dx), (sy, sx) = geometry.dilation, geometry.stride
    # A read-only view of every (tap, output pixel) pair inside the padded buffer, copied once.
    windows = xp.lib.stride_tricks.as_strided(
        padded, x.shape[1:2] + geometry.kernel + x.shape[:1] + geometry.out_size,
        (c, row * dy, column * dx, n, row * sy, column * sx))
    return xp.ascontiguousarray(windows)


def _grouped_weight(W, groups):
    """W ``(O, C/g, kh, kw)`` as ``(g, O/g, C/g * kh * kw)``."""
    return W.reshape(groups, W.shape[0] // groups, -1)


def _channel_major(y, groups):
    """``(N, O, oh, ow)`` as a contiguous ``(g, O/g, N * oh * ow)``."""
    xp = _backend.get_array_module(y)
    return xp.ascontiguousarray(y.swapaxes(0, 1)).reshape(groups, y.shape[1] // groups, -1)


def _image_major(y_cm, n, geometry):
    """A channel-major ``(..., N * oh * ow)`` product as a contiguous ``(N, O, oh, ow)``."""
    xp = _backend.get_array_module(y_cm)
    return xp.ascontiguousarray(y_cm.reshape((-1, n) + geometry.out_size).swapaxes(0, 1))


def _conv_forward(col, W, geometry):
    """``y[n, o] = sum_{c, i, j} W[o, c, i, j] x[n, c, tap]`` per group: one matrix product
    ``(O/g, C/g kh kw) @ (C/g kh kw, N oh ow)`` per group over the columns ``col = im2col(x)``."""
    xp = _backend.get_array_module(col, W)
    groups, n = geometry.groups, col.shape[3]
    col = col.reshape(groups, -1, n * _prod(geometry.out_size))
    return _image_major(xp.matmul(_grouped_weight(xp.ascontiguousarray(W), groups), col), n,
                        geometry)


def _conv_transpose_forward(y, W, geometry):
    """The adjoint of ``_conv_forward`` in x: the columns ``W^T y`` per group (one matrix
    product over all the images), rows ordered (tap, channel) so that each tap's block is
    contiguous, each added at the input pixels that tap reads (col2im)."""
    xp = _backend.get_array_module(y, W)
    groups, n = geometry.groups, y.shape[0]
    out_channels, in_per_group, kh, kw = W.shape
    taps = xp.ascontiguousarray(  # (g, kh kw C/g, O/g)
        W.reshape(groups, out_channels // groups, in_per_group, kh, kw).transpose(0, 3, 4, 2, 1)
    ).reshape(groups, -1, out_channels // groups)
    col = xp.matmul(taps, _channel_major(y, groups)).reshape(
        (groups, kh, kw, in_per_group, n) + geometry.out_size)
    padded = xp.zeros((groups, in_per_group, n) + geometry.padded_size(), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[(Ellipsis,) + geometry.tap_slices(i, j)] += col[:, i, j]
    padded = padded.reshape((groups * in_per_group, n) + geometry.padded_size())
    return xp.ascontiguousarray(padded[(Ellipsis,) + geometry.interior()].swapaxes(0, 1))


def _conv_grad_w_forward(col, gy, geometry):
    """``gW[o, c, i, j] = sum_{n, p, q} gy[n, o, p, q] x[n, c, tap]`` per group: one matrix
    product ``(O/g, N oh ow) @ (N oh ow, C/g kh kw)`` per group over ``col = im2col(x)``."""
    xp = _backend.get_array_module(col, gy)
    groups, channels = geometry.groups, col.shape[0]
    col = col.reshape(groups, -1, gy.shape[0] * _prod(geometry.out_size))
    gW = xp.matmul(_channel_major(gy, groups), col.swapaxes(1, 2))  # (g, O/g, C/g kh kw)
    return gW.reshape((gy.shape[1], channels // groups) + geometry.kernel)


def _prod(values):
    result = 1
    for v in values:
        result *= v
    return result


# --------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------

class _ColumnsCache:
    """Keeps ``im2col(x)`` of the first input, which the gradient in W needs again."""

    def _columns(self, x):
        if self.columns is None:
            self.columns = im2col(x, self.geometry)
        return self.columns


class Convolution2D(_ColumnsCache, Function):
    """``y = conv(x, W) + b`` over ``geometry``; inputs (x, W) or (x, W, b). ``columns``:
    ``im2col(x)`` when the caller already has it."""

    def __init__(self, geometry, columns=None):
        self.geometry, self.columns = geometry, columns

    def forward(self, x, W, b=None):
        _backend.get_array_module(x, W, *(() if b is None else (b,)))  # one device, or raise
        y = _conv_forward(self._columns(x), W, self.geometry)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def backward(self, gy):
        x, W = self.inputs[:2]
        # The gradient in W first, then the columns go: the transposed convolution's own
        # columns are as large, and a second backward (retain_graph) gathers them again.
        columns, self.columns = self.columns, None
        gW = Convolution2DGradW(self.geometry, columns)(x, gy) if W.requires_grad else None
        del columns
        gx = ConvTranspose2D(self.geometry)(gy, W) if x.requires_grad else None
        if len(self.inputs) == 2:
            return gx, gW
        gb = _sum(gy, (0, 2, 3)) if self.inputs[2].requires_grad else None
        return gx, gW, gb


class ConvTranspose2D(Function):
    """The transposed convolution ``x = conv^T(y, W)`` over ``geometry`` (y is conv-output
    shaped, the result conv-input shaped); inputs (y, W) or (y, W, b), b per output channel."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, y, W, b=None):
        _backend.get_array_module(y, W, *(() if b is None else (b,)))  # one device, or raise
        x = _conv_transpose_forward(y, W, self.geometry)
        if b is not None:
            x += b.reshape(1, -1, 1, 1)
        return x

    def backward(self, gx):
        y, W = self.inputs[:2]
        gy = Convolution2D(self.geometry)(gx, W) if y.requires_grad else None
        gW = Convolution2DGradW(self.geometry)(gx, y) if W.requires_grad else None
        if len(self.inputs) == 2:
            return gy, gW
        gb = _sum(gx, (0, 2, 3)) if self.inputs[2].requires_grad else None
        return gy, gW, gb


class Convolution2DGradW(_ColumnsCache, Function):
    """``gW = d<gy, conv(x, W)>/dW`` as a function of (x, gy); linear in each. ``columns``:
    ``im2col(x)`` when the caller already has it."""

    def __init__(self, geometry, columns=None):
        self.geometry, self.columns = geometry, columns

    def forward(self, x, gy):
        return _conv_grad_w_forward(self._columns(x), gy, self.geometry)

    def backward(self, ggW):
        x, gy = self.inputs
        gx = ConvTranspose2D(self.geometry)(gy, ggW) if x.requires_grad else None
        ggy = (Convolution2D(self.geometry, self.columns)(x, ggW) if gy.requires_grad
               else None)
        return gx, ggy


# --------------------------------------------------------------------------------------
# Argument checking
# --------------------------------------------------------------------------------------

def _pair(value, name, function_name, minimum):
    """``value`` (an int or a pair of ints) as a pair, each ``>= minimum``."""
    pair = (value, value) if isinstance(value, numbers.Integral) else value
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair)):
        raise ValueError(f"{function_name}: {name} must be an int or a pair of ints, "
                         f"got {name}={value!r}")
    if any(v < minimum for v in pair):
        bound = "positive" if minimum == 1 else "non-negative"
        raise argument_error("value", f"{function_name}: {name} must be {bound}, got "
                                      f"{name}={value!r}", function_name)
    return tuple(int(v) for v in pair)


def conv_outsize(size, kernel, stride, pad, dilation=1, cover_all=False):
    """Output length of a convolution (or pooling) along one axis.

    ``floor((size + 2 pad - dk) / stride) + 1`` with the dilated kernel extent
    ``dk = (kernel - 1) dilation + 1``; with ``cover_all`` (Chainer) the ceiling instead,
    ``(size + 2 pad - dk + stride - 1) // stride + 1``, so that the last window reaches the
    last input pixel (chainer.utils.conv.get_conv_outsize).
    """
    extent = (kernel - 1) * dilation + 1
    if cover_all:
        return (size + 2 * pad - extent + stride - 1) // stride + 1
    return (size + 2 * pad - extent) // stride + 1


def _check_dtypes(function_name, x, W, b):
    """Real dtypes, one for x and b; returns W, cast to x's dtype where chainer does that.
    Integer operands only where the policy allows integer arithmetic (torch)."""
    operands = [("x", x), ("W", W)] + ([("b", b)] if b is not None else [])
    float_only = _semantics.current().integer_arithmetic == "float_only"
    for index, (name, v) in enumerate(operands):
        if v.dtype.kind not in "iuf":
            raise TypeError(f"{function_name}: {name} must have a real dtype, got "
                            f"{name}.dtype={v.dtype}")
        if float_only and v.dtype.kind != "f":  # chainer's type check
            raise InvalidType(f"in_types[{index}].dtype.kind == f", f"{v.dtype.kind} != f",
                              "Convolution2DFunction")
    mixed = _policy_value("conv_mixed_dtypes")
    if b is not None and b.dtype != x.dtype:  # both frameworks raise: torch RuntimeError, chainer InvalidType
        if mixed == "cast_weight":
            raise InvalidType("b.dtype == x.dtype", f"{b.dtype} != {x.dtype}", "Convolution2DFunction")
        raise RuntimeError(f"{function_name}: b must have x's dtype, got x.dtype={x.dtype}, "
                           f"b.dtype={b.dtype}")
    if W.dtype == x.dtype:
        return W
    if mixed == "cast_weight":
        return convert(W, x.dtype)
    raise RuntimeError(f"{function_name}: expected scalar type of x for W (torch: 'expected scalar "
                       f"type Float but found Double'), got x.dtype={x.dtype}, W.dtype={W.dtype}")


def _check_shapes(function_name, x, W, b, groups, weight_axis_names):
    """x (N, C, H, W), W 4-D with C == W.shape[1] * groups, W.shape[0] % groups == 0."""
    if x.ndim != 4:
        raise ValueError(f"{function_name}: x must be 4-D (N, C, H, W), got x.shape={x.shape}")
    if W.ndim != 4:
        raise ValueError(f"{function_name}: W must be 4-D {weight_axis_names}, got "
                         f"W.shape={W.shape}")
    if min(W.shape[2:]) < 1:
        raise ValueError(f"{function_name}: the kernel must not be empty, got W.shape={W.shape}")
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{function_name}: groups must be a positive int, got groups={groups!r}")
    if x.shape[1] % groups:
        raise ValueError(f"{function_name}: the {x.shape[1]} input channels (x.shape={x.shape}) "
                         f"are not divisible by groups={groups}")
    if W.shape[0] % groups:
        raise ValueError(f"{function_name}: W.shape[0]={W.shape[0]} (W.shape={W.shape}) is not "
                         f"divisible by groups={groups}")
    if b is not None and (b.ndim != 1 or b.shape[0] != W.shape[0]):
        raise ValueError(f"{function_name}: b must have shape ({W.shape[0]},), got "
                         f"b.shape={b.shape}")


def _resolve_padding(pad, kernel, dilation, stride):
    """(pad before, or None for 'same') from an int, a pair, 'same' or 'valid'."""
    if isinstance(pad, str):
        if pad == "valid":
            return (0, 0)
        if pad != "same":
            raise ValueError(f"conv2d: pad must be an int, a pair, 'same' or 'valid', got "
                             f"pad={pad!r}")
        if stride != (1, 1):
            raise ValueError(f"conv2d: pad='same' is not supported for strided convolutions "
                             f"(torch raises too), got stride={stride}")
        # torch: total padding d (k - 1) per axis, the odd extra one after (bottom/right).
        return tuple((d * (k - 1)) // 2 for k, d in zip(kernel, dilation))
    return _pair(pad, "pad", "conv2d", 0)


def _unbatch(x, allow_unbatched):
    """(x as 4-D, whether a batch axis was added) for torch's unbatched (C, H, W) input."""
    if x.ndim == 3 and _policy_value("conv_unbatched_input", allow_unbatched):
        return reshape(x, (1,) + x.shape), True
    return x, False


# --------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------

def conv2d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1, cover_all=False, *,
           allow_unbatched=None):
    """2-D convolution (cross-correlation) of NCHW ``x`` with ``W``, plus ``b``.

    ``y[n, o, p, q] = b[o] + sum_{c, i, j} W[o, c, i, j] x[n, g(o) C/G + c,
    p sy + i dy - py, q sx + j dx - px]`` where ``G = groups``, ``g(o) = o // (O/G)`` is the
    group of output channel ``o``, and pixels outside the input read 0.

    Args:
        x: (N, C, H, W).
        W: (O, C / groups, kh, kw); O must be divisible by ``groups``.
        b: None or (O,).
        stride, dilation: an int or a pair (sy, sx), positive.
        pad: an int or a pair (py, px), non-negative, added on both sides; or torch's
            ``'valid'`` (no padding) or ``'same'`` (output size = input size; stride must be
            1; total padding ``d (k - 1)`` per axis, with the odd extra one after, i.e. at
            the bottom/right, as torch 2.13 does).
        groups: positive; ``groups == C`` is a depthwise convolution.
        cover_all: Chainer's output-size rule: ``(H + 2p - dk + s - 1) // s + 1`` instead of
            ``(H + 2p - dk) // s + 1`` (dk = (k - 1) d + 1), so the last window reaches the last
            pixel; the extra rows read zero padding.
        allow_unbatched: accept a 3-D (C, H, W) ``x`` and return (O, oh, ow); None takes the
            framework's behaviour (torch accepts, chainer raises; proposed policy field
            ``conv_unbatched_input``).

    Raises ValueError for a bad geometry (output size < 1, channel/group mismatch,
    non-positive stride/dilation/groups, negative pad, wrong ndim; torch raises
    RuntimeError, chainer AssertionError, InvalidType, ValueError or ZeroDivisionError).
    dtypes: x and W of different dtypes raise TypeError under torch (RuntimeError there);
    chainer computes with W cast to x's dtype (proposed field ``conv_mixed_dtypes``); a b of
    another dtype than x raises TypeError. Integer operands are allowed under the torch
    policy (torch computes integer convolutions) and raise ``InvalidType`` under chainer's
    (``integer_arithmetic == 'float_only'``).

    Torch: ``torch.nn.functional.conv2d(x, W, b, stride, padding, dilation, groups)`` (no
    ``cover_all``). Chainer: ``F.convolution_2d(x, W, b, stride, pad, cover_all,
    dilate=dilation, groups=groups)`` (no string padding).
    """
    x, W = as_variable(x, "x"), as_variable(W, "W")
    b = None if b is None else as_variable(b, "b")
    x, unbatched = _unbatch(x, allow_unbatched)
    _check_shapes("conv2d", x, W, b, groups, "(out_channels, in_channels / groups, kh, kw)")
    if x.shape[1] != W.shape[1] * groups:
        raise argument_error("shape", f"conv2d: x has {x.shape[1]} channels (x.shape="
                                      f"{x.shape}) but W.shape={W.shape} with groups={groups} "
                                      f"expects W.shape[1] * groups = {W.shape[1] * groups}",
                             "Convolution2DFunction")
    W = _check_dtypes("conv2d", x, W, b)
    stride = _pair(stride, "stride", "conv2d", 1)
    dilation = _pair(dilation, "dilation", "conv2d", 1)
    kernel = W.shape[2:]
    same = isinstance(pad, str) and pad == "same"
    pad = _resolve_padding(pad, kernel, dilation, stride)
    if same:
        out_size = x.shape[2:]
    else:
        out_size = tuple(conv_outsize(n, k, s, p, d, cover_all) for n, k, s, p, d
                         in zip(x.shape[2:], kernel, stride, pad, dilation))
        if min(out_size) < 1:
            extents = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
            padded = tuple(n + 2 * p for n, p in zip(x.shape[2:], pad))
            raise ValueError(f"conv2d: the dilated kernel {extents} (W.shape={W.shape}, "
                             f"dilation={dilation}) is larger than the padded input {padded} "
                             f"(x.shape={x.shape}, pad={pad}): output size {out_size}")
    geometry = ConvGeometry(x.shape[2:], out_size, kernel, stride, dilation, pad, int(groups))
    inputs = (x, W) if b is None else (x, W, b)
    y = Convolution2D(geometry)(*inputs)
    return reshape(y, y.shape[1:]) if unbatched else y


def convolution_2d(x, W, b=None, stride=1, pad=0, cover_all=False, *, dilate=1, groups=1):
    """Chainer's name and argument order for ``conv2d`` (``dilate`` is ``dilation``)."""
    return conv2d(x, W, b, stride, pad, dilate, groups, cover_all)


def conv_transpose2d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1, output_padding=0,
                     outsize=None, *, allow_unbatched=None):
    """Transposed 2-D convolution: the gradient of ``conv2d`` with respect to its input.

    ``y = conv2d^T(x, W) + b``: every input pixel ``x[n, c, p, q]`` adds ``W[c, o, i, j]
    x[n, c, p, q]`` to output pixel ``(p sy + i dy - py, q sx + j dx - px)``.

    Args:
        x: (N, C, H, W).
        W: (C, O / groups, kh, kw) (torch's and Chainer's layout); C divisible by groups.
        b: None or (O,).
        stride, pad, dilation, groups: as ``conv2d`` (pad an int or a pair).
        output_padding: torch's extra rows/columns at the bottom/right, each smaller than
            stride or dilation: ``H_out = (H - 1) s - 2p + (k - 1) d + 1 + output_padding``.
        outsize: Chainer's explicit (H_out, W_out) instead: any size whose convolution gives
            back H by the floor or the cover_all rule (chainer's type check); taps that land
            past it are dropped.

    Torch: ``torch.nn.functional.conv_transpose2d(x, W, b, stride, padding, output_padding,
    groups, dilation)``. Chainer: ``F.deconvolution_2d(x, W, b, stride, pad, outsize,
    dilate=dilation, groups=groups)``.
    """
    x, W = as_variable(x, "x"), as_variable(W, "W")
    b = None if b is None else as_variable(b, "b")
    x, unbatched = _unbatch(x, allow_unbatched)
    _check_shapes("conv_transpose2d", x, W, None, groups,
                  "(in_channels, out_channels / groups, kh, kw)")
    if x.shape[1] != W.shape[0]:
        raise ValueError(f"conv_transpose2d: x has {x.shape[1]} channels (x.shape={x.shape}) but "
                         f"W.shape[0]={W.shape[0]} (W.shape={W.shape})")
    out_channels = W.shape[1] * groups
    if b is not None and (b.ndim != 1 or b.shape[0] != out_channels):
        raise ValueError(f"conv_transpose2d: b must have shape ({out_channels},), got "
                         f"b.shape={b.shape}")
    W = _check_dtypes("conv_transpose2d", x, W, b)
    stride = _pair(stride, "stride", "conv_transpose2d", 1)
    dilation = _pair(dilation, "dilation", "conv_transpose2d", 1)
    pad = _pair(pad, "pad", "conv_transpose2d", 0)
    kernel = W.shape[2:]
    smallest = tuple((n - 1) * s - 2 * p + (k - 1) * d + 1 for n, s, p, k, d
                     in zip(x.shape[2:], stride, pad, kernel, dilation))
    out_size = _transpose_out_size(x.shape[2:], smallest, kernel, stride, pad, dilation,
                                   output_padding, outsize)
    geometry = ConvGeometry(out_size, x.shape[2:], kernel, stride, dilation, pad, int(groups))
    inputs = (x, W) if b is None else (x, W, b)
    y = ConvTranspose2D(geometry)(*inputs)
    return reshape(y, y.shape[1:]) if unbatched else y


def _transpose_out_size(in_size, smallest, kernel, stride, pad, dilation, output_padding,
                        outsize):
    """The output size of a transposed convolution, validated."""
    output_padding = _pair(output_padding, "output_padding", "conv_transpose2d", 0)
    if outsize is not None:
        if output_padding != (0, 0):
            raise ValueError(f"conv_transpose2d: give output_padding or outsize, not both; got "
                             f"output_padding={output_padding}, outsize={outsize!r}")
        outsize = _pair(outsize, "outsize", "conv_transpose2d", 1)
        # chainer's check: the convolution of an outsize image gives the input size, by the
        # floor rule or by the cover_all rule
        fits = all(conv_outsize(o, k, s, p, d) <= n <= conv_outsize(o, k, s, p, d, True)
                   for o, n, k, s, p, d in zip(outsize, in_size, kernel, stride, pad, dilation))
        if not fits:
            raise ValueError(f"conv_transpose2d: outsize={outsize} does not convolve back to the "
                             f"input size {in_size} (kernel={kernel}, stride={stride}, pad={pad}, "
                             f"dilation={dilation}); the natural size is {smallest}")
        return outsize
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding must be smaller than stride or "
                         f"dilation, got output_padding={output_padding}, stride={stride}, "
                         f"dilation={dilation}")
    out_size = tuple(m + op for m, op in zip(smallest, output_padding))
    if min(out_size) < 1:
        raise ValueError(f"conv_transpose2d: output size {out_size} is not positive "
                         f"(pad={pad} too large for the input and kernel)")
    return out_size


def deconvolution_2d(x, W, b=None, stride=1, pad=0, outsize=None, *, dilate=1, groups=1):
    """Chainer's name and argument order for ``conv_transpose2d``."""
    return conv_transpose2d(x, W, b, stride, pad, dilate, groups, outsize=outsize)
