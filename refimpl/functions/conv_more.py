"""1-D and 3-D convolution, and the depthwise convolution, built on ``conv2d``.

Each is a composition of refimpl ops (reshape, transpose, getitem, concat, ``conv2d``,
add), so it is differentiable to any order:

* ``conv1d``: the 1-D input ``(N, C, L)`` as a 2-D one of height 1, ``(N, C, 1, L)``, with the
  kernel ``(O, C/g, 1, k)``.
* ``conv3d``: one ``conv2d`` per kernel tap along the depth: tap ``t`` reads the depth slices
  ``d s + t dil - pad`` of every output depth ``d`` (one strided slice of the zero-padded
  input), folded into the batch axis; the taps' outputs are summed. The loop runs over the
  kernel's depth (at most a few taps), never over pixels.
* ``depthwise_conv2d``: chainer's ``F.depthwise_convolution_2d``; its weight layout is the
  policy field ``depthwise_weight_layout``.

==========================  =========================================  ===================================
refimpl                     torch                                      chainer
==========================  =========================================  ===================================
``conv1d(x, W, b, ...)``    ``F.conv1d(x, W, b, stride, padding,       ``F.convolution_1d(x, W, b, stride,
                            dilation, groups)``                        pad, cover_all, dilate, groups)``
``conv3d(x, W, b, ...)``    ``F.conv3d`` (same arguments)              ``F.convolution_3d`` (same)
``depthwise_conv2d``        ``F.conv2d(x, W, b, stride, padding,       ``F.depthwise_convolution_2d(x, W,
                            groups=C)``, W ``(C*m, 1, kh, kw)``        b, stride, pad)``, W ``(m, C, kh, kw)``
==========================  =========================================  ===================================
"""
import numbers

from .. import _backend, policies as _policies
from ._util import as_variable
from .conv import conv2d, conv_outsize
from .indexing import getitem
from .shape import concat, reshape, transpose

__all__ = ["conv1d", "conv3d", "convolution_1d", "convolution_3d", "depthwise_conv2d",
           "depthwise_convolution_2d"]

DEPTHWISE_LAYOUTS = ("grouped", "multiplier_first")


def _tuple(value, name, function_name, length, minimum):
    """``value`` (an int or a tuple of ``length`` ints) as a tuple, each ``>= minimum``."""
    values = (value,) * length if isinstance(value, numbers.Integral) else value
    if (not isinstance(values, (tuple, list)) or len(values) != length
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                       for v in values)):
        raise ValueError(f"{function_name}: {name} must be an int or a tuple of {length} ints, "
                         f"got {name}={value!r}")
    if any(v < minimum for v in values):
        bound = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{function_name}: {name} must be {bound}, got {name}={value!r}")
    return tuple(int(v) for v in values)


def _check_ndim(function_name, x, W, spatial):
    if x.ndim != spatial + 2:
        raise ValueError(f"{function_name}: x must be {spatial + 2}-D (N, C, {spatial} spatial "
                         f"axes), got x.shape={x.shape}")
    if W.ndim != spatial + 2:
        raise ValueError(f"{function_name}: W must be {spatial + 2}-D (out_channels, "
                         f"in_channels / groups, {spatial} kernel axes), got W.shape={W.shape}")


def conv1d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1, cover_all=False):
    """1-D convolution (cross-correlation) of ``x (N, C, L)`` with ``W (O, C/groups, k)``.

    ``y[n, o, p] = b[o] + sum_{c, i} W[o, c, i] x[n, g(o) C/G + c, p s + i d - pad]`` (see
    ``conv2d``; ``cover_all`` is chainer's ceiling output size). Computed as ``conv2d`` of
    ``(N, C, 1, L)`` with ``(O, C/G, 1, k)``.

    Torch: ``F.conv1d(x, W, b, stride, padding, dilation, groups)``. Chainer:
    ``F.convolution_1d(x, W, b, stride, pad, cover_all, dilate, groups)``. Only batched
    inputs (torch also reads a 2-D ``(C, L)`` as one sample; not modelled: refimpl raises).
    """
    x, W = as_variable(x, "x"), as_variable(W, "W")
    _check_ndim("conv1d", x, W, 1)
    (stride,), (pad,), (dilation,) = (_tuple(stride, "stride", "conv1d", 1, 1),
                                      _tuple(pad, "pad", "conv1d", 1, 0),
                                      _tuple(dilation, "dilation", "conv1d", 1, 1))
    y = conv2d(reshape(x, x.shape[:2] + (1, x.shape[2])),
               reshape(W, W.shape[:2] + (1, W.shape[2])), b, stride=(1, stride),
               pad=(0, pad), dilation=(1, dilation), groups=groups, cover_all=cover_all,
               allow_unbatched=False)
    return reshape(y, y.shape[:2] + (y.shape[3],))


def convolution_1d(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1, groups=1):
    """Chainer's name and argument order for ``conv1d``."""
    return conv1d(x, W, b, stride, pad, dilate, groups, cover_all)


def conv3d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1, cover_all=False):
    """3-D convolution (cross-correlation) of ``x (N, C, D, H, W)`` with
    ``W (O, C/groups, kd, kh, kw)``.

    ``y[n, o, p, q, r] = b[o] + sum_{c, t, i, j} W[o, c, t, i, j]
    x[n, g(o) C/G + c, p s_d + t d_d - pad_d, q s_h + i d_h - pad_h, r s_w + j d_w - pad_w]``;
    pixels outside the input read 0 (see ``conv2d`` for groups and ``cover_all``).

    Computed as a sum over the kernel's depth taps ``t`` of ``conv2d`` of the depth slices
    that tap reads (folded into the batch axis) with ``W[:, :, t]``.

    Torch: ``F.conv3d(x, W, b, stride, padding, dilation, groups)``. Chainer:
    ``F.convolution_3d(x, W, b, stride, pad, cover_all, dilate, groups)``.
    """
    x, W = as_variable(x, "x"), as_variable(W, "W")
    _check_ndim("conv3d", x, W, 3)
    stride = _tuple(stride, "stride", "conv3d", 3, 1)
    pad = _tuple(pad, "pad", "conv3d", 3, 0)
    dilation = _tuple(dilation, "dilation", "conv3d", 3, 1)
    if min(W.shape[2:]) < 1:
        raise ValueError(f"conv3d: the kernel must not be empty, got W.shape={W.shape}")
    batch, channels, depth = x.shape[:3]
    taps = W.shape[2]
    out_depth = conv_outsize(depth, taps, stride[0], pad[0], dilation[0], cover_all)
    if out_depth < 1:
        raise ValueError(f"conv3d: the dilated kernel depth {(taps - 1) * dilation[0] + 1} "
                         f"(W.shape={W.shape}, dilation={dilation}) is larger than the padded "
                         f"input depth {depth + 2 * pad[0]} (x.shape={x.shape}, pad={pad})")
    padded = _pad_depth(x, pad[0], (out_depth - 1) * stride[0] + (taps - 1) * dilation[0] + 1)
    y = None
    for t in range(taps):
        start = t * dilation[0]
        key = (slice(None), slice(None),
               slice(start, start + (out_depth - 1) * stride[0] + 1, stride[0]))
        slices = transpose(getitem(padded, key), (0, 2, 1, 3, 4))  # (N, od, C, H, W)
        slices = reshape(slices, (batch * out_depth, channels) + x.shape[3:])
        term = conv2d(slices, getitem(W, (slice(None), slice(None), t)), None,
                      stride=stride[1:], pad=pad[1:], dilation=dilation[1:], groups=groups,
                      cover_all=cover_all, allow_unbatched=False)
        y = term if y is None else y + term
    y = transpose(reshape(y, (batch, out_depth) + y.shape[1:]), (0, 2, 1, 3, 4))
    if b is not None:
        b = as_variable(b, "b")
        if b.ndim != 1 or b.shape[0] != W.shape[0]:
            raise ValueError(f"conv3d: b must have shape ({W.shape[0]},), got b.shape={b.shape}")
        y = y + reshape(b, (1, -1, 1, 1, 1))
    return y


def _pad_depth(x, pad, extent):
    """``x`` with ``pad`` zero slices before its depth axis and as many after as make the
    depth ``max(extent, D + 2 pad)`` (chainer's ``cover_all`` may need more than ``pad``)."""
    after = max(extent - x.shape[2] - pad, pad)
    if pad == 0 and after == 0:
        return x
    xp = _backend.get_array_module(x.data)
    parts = []
    if pad:
        parts.append(xp.zeros(x.shape[:2] + (pad,) + x.shape[3:], dtype=x.dtype))
    parts.append(x)
    if after:
        parts.append(xp.zeros(x.shape[:2] + (after,) + x.shape[3:], dtype=x.dtype))
    return concat([as_variable(part, "x") for part in parts], axis=2)


def convolution_3d(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1, groups=1):
    """Chainer's name and argument order for ``conv3d``."""
    return conv3d(x, W, b, stride, pad, dilate, groups, cover_all)


def depthwise_conv2d(x, W, b=None, stride=1, pad=0, *, layout=None):
    """Depthwise 2-D convolution: each input channel convolved with its own ``m`` filters
    (the channel multiplier), ``C * m`` output channels; output channel ``c m + j`` is input
    channel ``c``'s ``j``-th filter (both frameworks' order).

    The weight's layout is the policy field ``depthwise_weight_layout`` (or ``layout``):

    - ``'grouped'`` (torch: ``F.conv2d(x, W, b, stride, padding, groups=C)``): W
      ``(C * m, 1, kh, kw)``, row ``c m + j`` filter ``j`` of channel ``c``;
    - ``'multiplier_first'`` (chainer ``F.depthwise_convolution_2d(x, W, b, stride, pad)``):
      W ``(m, C, kh, kw)``, ``W[j, c]`` filter ``j`` of channel ``c`` (chainer computes
      ``conv2d`` with ``W.transpose(1, 0, 2, 3).reshape(C * m, 1, kh, kw)``, groups=C).

    Args: x ``(N, C, H, W)``; b None or ``(C * m,)``; stride and pad as ``conv2d``.
    """
    layout = _policies.current().depthwise_weight_layout if layout is None else layout
    if layout not in DEPTHWISE_LAYOUTS:
        raise ValueError(f"depthwise_conv2d: layout must be one of {DEPTHWISE_LAYOUTS}, got "
                         f"layout={layout!r}")
    x, W = as_variable(x, "x"), as_variable(W, "W")
    if x.ndim != 4:
        raise ValueError(f"depthwise_conv2d: x must be 4-D (N, C, H, W), got x.shape={x.shape}")
    channels = x.shape[1]
    if layout == "multiplier_first":
        if W.ndim != 4 or W.shape[1] != channels:
            raise ValueError(f"depthwise_conv2d: W must be (multiplier, C, kh, kw) with C = "
                             f"{channels} (x.shape={x.shape}), got W.shape={W.shape}")
        multiplier = W.shape[0]
        W = reshape(transpose(W, (1, 0, 2, 3)), (channels * multiplier, 1) + W.shape[2:])
    elif W.ndim != 4 or W.shape[1] != 1 or W.shape[0] % channels:
        raise ValueError(f"depthwise_conv2d: W must be (C * multiplier, 1, kh, kw) with C = "
                         f"{channels} (x.shape={x.shape}), got W.shape={W.shape}")
    return conv2d(x, W, b, stride=stride, pad=pad, groups=channels, allow_unbatched=False)


def depthwise_convolution_2d(x, W, b=None, stride=1, pad=0):
    """Chainer's ``F.depthwise_convolution_2d``: ``depthwise_conv2d`` with W
    ``(multiplier, C, kh, kw)`` whatever the policy."""
    return depthwise_conv2d(x, W, b, stride, pad, layout="multiplier_first")
