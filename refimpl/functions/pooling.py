"""2-D max and average pooling (NCHW), differentiable to any order.

Max pooling picks one input pixel per window (``indices``); its gradient scatters ``gy`` to
those pixels (``MaxPoolingScatter``, linear in ``gy``) and the gradient of that scatter is the
gather at the same pixels (``MaxPoolingGather``), whose gradient is the scatter again.
Average pooling is linear: its gradient spreads ``gy / divisor`` over each window
(``AveragePooling2DGrad``), whose gradient is the average pooling again.

Both loop over the kernel offsets only (each offset is one strided slice of the padded input
for every output pixel at once); no loop over pixels.
"""
import numbers

from .. import _backend, policies as _policies
from ..function import Function
from ._util import argument_error, as_variable
from .conv import ConvGeometry, _pair, _padded, _policy_value, conv_outsize
from .shape import reshape

__all__ = ["max_pooling_2d", "average_pooling_2d", "max_pool2d", "avg_pool2d", "pool_outsize"]

# --------------------------------------------------------------------------------------
# Array kernels
# --------------------------------------------------------------------------------------

def _taps(geometry):
    """(tap number, slices of the padded input it reads) for every kernel offset."""
    kh, kw = geometry.kernel
    return [(i * kw + j, (Ellipsis,) + geometry.tap_slices(i, j))
            for i in range(kh) for j in range(kw)]


def _pad_with(x, geometry, value):
    """``x`` inside a buffer of the padded size filled with ``value``."""
    if value == 0:
        return _padded(x, geometry)
    xp = _backend.get_array_module(x)
    buffer = xp.full(x.shape[:2] + geometry.padded_size(), value, dtype=x.dtype)
    buffer[(Ellipsis,) + geometry.interior()] = x
    return buffer


def _crop(padded, geometry):
    """The input-sized part of a padded-size array (contiguous)."""
    if padded.shape[2:] == geometry.in_size:
        return padded
    xp = _backend.get_array_module(padded)
    return xp.ascontiguousarray(padded[(Ellipsis,) + geometry.interior()])


def _window_max(x, geometry, nan_index):
    """(max over each window, tap number of the chosen element). Ties go to the first tap in
    row-major order (torch and chainer); a window holding NaN gives NaN and the first or last
    NaN (``nan_index``); padding is -inf, so it is chosen only by a window entirely in it."""
    xp = _backend.get_array_module(x)
    padded = _pad_with(x, geometry, -xp.inf)
    taps = _taps(geometry)
    y = padded[taps[0][1]].copy()
    index = xp.zeros(y.shape, dtype=xp.int32)
    for tap, window in taps[1:]:
        candidate = padded[window]
        if nan_index == "last":
            better = (candidate > y) | xp.isnan(candidate)
        else:
            better = (candidate > y) | (xp.isnan(candidate) & ~xp.isnan(y))
        xp.copyto(y, candidate, where=better)
        index[better] = tap
    return y, index


def _scatter(gy, indices, geometry):
    """Zeros of the input's shape with each ``gy`` added at its window's chosen pixel."""
    xp = _backend.get_array_module(gy)
    padded = xp.zeros(gy.shape[:2] + geometry.padded_size(), dtype=gy.dtype)
    for tap, window in _taps(geometry):
        padded[window] += xp.where(indices == tap, gy, gy.dtype.type(0))
    return _crop(padded, geometry)


def _gather(x, indices, geometry):
    """Each window's chosen pixel of ``x`` (zero where it was padding)."""
    xp = _backend.get_array_module(x)
    padded = _padded(x, geometry)
    out = xp.zeros(x.shape[:2] + geometry.out_size, dtype=x.dtype)
    for tap, window in _taps(geometry):
        xp.copyto(out, padded[window], where=indices == tap)
    return out


def _window_sum(x, geometry):
    """The sum of each window (padding reads 0)."""
    padded = _padded(x, geometry)
    taps = _taps(geometry)
    total = padded[taps[0][1]].copy()
    for _, window in taps[1:]:
        total += padded[window]
    return total


def _spread(gy, geometry):
    """The adjoint of ``_window_sum``: each ``gy`` added to every pixel of its window."""
    xp = _backend.get_array_module(gy)
    padded = xp.zeros(gy.shape[:2] + geometry.padded_size(), dtype=gy.dtype)
    for _, window in _taps(geometry):
        padded[window] += gy
    return _crop(padded, geometry)


def _divisor(geometry, count_include_pad, dtype, xp):
    """(oh, ow) window sizes to divide by: the window pixels inside the padded input
    (``count_include_pad``) or inside the input itself; window parts beyond the padding
    (chainer ``cover_all``, torch ``ceil_mode``) never count."""
    counted = xp.zeros((1, 1) + geometry.padded_size(), dtype=dtype)
    if count_include_pad:
        counted[..., :geometry.in_size[0] + 2 * geometry.pad[0],
                :geometry.in_size[1] + 2 * geometry.pad[1]] = 1
    else:
        counted[(Ellipsis,) + geometry.interior()] = 1
    inside = ConvGeometry(geometry.padded_size(), geometry.out_size, geometry.kernel,
                          geometry.stride, (1, 1), (0, 0), 1)
    return _window_sum(counted, inside)[0, 0]


# --------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------

class MaxPooling2D(Function):
    """``y = max over each window of x``; remembers which pixel each window chose."""

    def __init__(self, geometry, nan_index):
        self.geometry, self.nan_index = geometry, nan_index

    def forward(self, x):
        y, self.indices = _window_max(x, self.geometry, self.nan_index)
        return y

    def backward(self, gy):
        return MaxPoolingScatter(self.geometry, self.indices)(gy)


class MaxPoolingScatter(Function):
    """``gx``: zeros of the input's shape with ``gy`` added at each window's chosen pixel."""
    saves_tensors = False

    def __init__(self, geometry, indices):
        self.geometry, self.indices = geometry, indices

    def forward(self, gy):
        return _scatter(gy, self.indices, self.geometry)

    def backward(self, ggx):
        return MaxPoolingGather(self.geometry, self.indices)(ggx)


class MaxPoolingGather(Function):
    """Each window's chosen pixel of the input (the adjoint of ``MaxPoolingScatter``)."""
    saves_tensors = False

    def __init__(self, geometry, indices):
        self.geometry, self.indices = geometry, indices

    def forward(self, x):
        return _gather(x, self.indices, self.geometry)

    def backward(self, gy):
        return MaxPoolingScatter(self.geometry, self.indices)(gy)


class AveragePooling2D(Function):
    """``y = sum over each window of x / divisor`` (divisor per output pixel)."""
    saves_tensors = False

    def __init__(self, geometry, divisor):
        self.geometry, self.divisor = geometry, divisor

    def forward(self, x):
        total = _window_sum(x, self.geometry)
        total /= self.divisor
        return total

    def backward(self, gy):
        return AveragePooling2DGrad(self.geometry, self.divisor)(gy)


class AveragePooling2DGrad(Function):
    """``gx``: each ``gy / divisor`` spread over its window (the adjoint of the average)."""
    saves_tensors = False

    def __init__(self, geometry, divisor):
        self.geometry, self.divisor = geometry, divisor

    def forward(self, gy):
        return _spread(gy / self.divisor, self.geometry)

    def backward(self, ggx):
        return AveragePooling2D(self.geometry, self.divisor)(ggx)


# --------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------

def pool_outsize(size, ksize, stride, pad, rule="floor"):
    """Output length of a pooling along one axis.

    ``rule``: 'floor': ``(size + 2 pad - ksize) // stride + 1`` (torch's default, chainer's
    ``cover_all=False``, chainer's average pooling); 'cover_all': ``(size + 2 pad - ksize +
    stride - 1) // stride + 1`` (chainer's ``cover_all=True``: windows may start in the
    right padding and beyond); 'ceil_mode': the same ceiling, minus one when the last
    window would start at or after ``size + pad`` (torch's ``ceil_mode=True``: the last
    window must start inside the input or the left padding).
    """
    if rule == "floor":
        return conv_outsize(size, ksize, stride, pad)
    out = conv_outsize(size, ksize, stride, pad, cover_all=True)
    if rule == "ceil_mode" and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _one_element(value):
    """A one-element tuple or list as its element, under the policy's
    ``pooling_one_element_tuple`` (torch); anything else unchanged."""
    if (isinstance(value, (tuple, list)) and len(value) == 1
            and _policy_value("pooling_one_element_tuple")):
        return value[0]
    return value


def _geometry(function_name, x, ksize, stride, pad, rule, pad_limit):
    """The pooling's ConvGeometry, its arguments validated."""
    if x.ndim != 4:
        raise ValueError(f"{function_name}: x must be 4-D (N, C, H, W), got x.shape={x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{function_name}: x must have a floating-point dtype, got "
                        f"x.dtype={x.dtype}")
    for name, value in (("ksize", ksize), ("stride", stride), ("pad", pad)):  # issue 15
        if (isinstance(value, (tuple, list)) and len(value) == 1
                and not _policy_value("pooling_one_element_tuple")):
            raise argument_error(f"{function_name}_one_element", (
                f"{function_name}: {name} must be an int or a pair of ints (the policy "
                f"{_policies.current().name!r} does not read a one-element tuple as both "
                f"axes), got {name}={value!r}"), function_name)
    ksize = _pair(_one_element(ksize), "ksize", function_name, 1)
    stride = ksize if stride is None else _pair(_one_element(stride), "stride", function_name, 1)
    pad = _pair(_one_element(pad), "pad", function_name, 0)
    if pad_limit == "half_kernel" and any(p > k // 2 for p, k in zip(pad, ksize)):
        raise RuntimeError(f"{function_name}: pad should be at most half of the kernel size (as "
                         f"torch requires), got pad={pad}, ksize={ksize}")
    out_size = tuple(pool_outsize(n, k, s, p, rule)
                     for n, k, s, p in zip(x.shape[2:], ksize, stride, pad))
    if min(out_size) < 1:
        raise ValueError(f"{function_name}: ksize={ksize} is larger than the padded input "
                         f"(x.shape={x.shape}, pad={pad}): output size {out_size}")
    return ConvGeometry(x.shape[2:], out_size, ksize, stride, (1, 1), pad, 1)


def _size_rule(function_name, cover_all, ceil_mode):
    """'floor', 'cover_all' or 'ceil_mode' from chainer's and torch's flags."""
    if cover_all and ceil_mode:
        raise ValueError(f"{function_name}: give cover_all (chainer) or ceil_mode (torch), not "
                         f"both; got cover_all={cover_all}, ceil_mode={ceil_mode}")
    if ceil_mode:
        return "ceil_mode"
    return "cover_all" if cover_all else "floor"


def _pool(function_name, x, make_function, geometry_args, allow_unbatched):
    """Apply the pooling Function ``make_function(geometry, x)`` to x (3-D x unbatched)."""
    x = as_variable(x, "x")
    unbatched = x.ndim == 3 and _policy_value("conv_unbatched_input", allow_unbatched)
    if unbatched:
        x = reshape(x, (1,) + x.shape)
    geometry = _geometry(function_name, x, *geometry_args)
    y = make_function(geometry, x)(x)
    return reshape(y, y.shape[1:]) if unbatched else y


def _check_pad_limit(function_name, pad_limit):
    """The pad limit to apply: ``pad_limit``, or the framework's when None."""
    pad_limit = _policy_value("pooling_pad_limit", pad_limit)
    if pad_limit not in ("half_kernel", "unlimited"):
        raise ValueError(f"{function_name}: pad_limit must be 'half_kernel' or 'unlimited', got "
                         f"pad_limit={pad_limit!r}")
    return pad_limit


def _check_flag(function_name, name, value):
    """Raise unless ``value`` is a bool (or None)."""
    if value is not None and not isinstance(value, (bool, numbers.Integral)):
        raise ValueError(f"{function_name}: {name} must be a bool or None, got {name}={value!r}")


# --------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------

def max_pooling_2d(x, ksize, stride=None, pad=0, cover_all=None, *, ceil_mode=False,
                   nan_index=None, pad_limit=None, allow_unbatched=None):
    """Max over each ``ksize`` window of NCHW ``x``.

    ``y[n, c, p, q] = max_{i, j} x[n, c, p sy + i - py, q sx + j - px]``, pixels outside the
    input being -inf. The gradient goes to one element per window: the first maximum in
    row-major order (torch and chainer), summed where windows overlap.

    Args:
        x: (N, C, H, W) floating point; (C, H, W) where unbatched inputs are accepted.
        ksize: an int or a pair (kh, kw).
        stride: an int or a pair; None means ``ksize`` (both frameworks).
        pad: an int or a pair, non-negative, added on both sides.
        cover_all: chainer's output-size rule (see ``pool_outsize``): None takes the policy's
            ``max_pooling_cover_all`` (torch False, chainer True). With it, windows starting
            in the right padding exist and are -inf where entirely padding.
        ceil_mode: torch's rule: the ceiling size, but no window starting at or after the
            end of the input's right edge plus pad. Exclusive with ``cover_all=True``.
        nan_index: which NaN of a window gets the gradient: 'first' (chainer) or 'last'
            (torch); None takes the framework's (proposed policy field
            ``max_pooling_nan_index``).
        pad_limit: 'half_kernel' rejects pad > ksize // 2 (torch), 'unlimited' allows any pad
            (chainer); None takes the framework's (proposed policy field ``pooling_pad_limit``).
        allow_unbatched: accept a 3-D x (torch); None takes the framework's.

    Torch: ``F.max_pool2d(x, kernel_size, stride, padding, dilation=1, ceil_mode)``.
    Chainer: ``F.max_pooling_2d(x, ksize, stride, pad, cover_all=True)``.
    Raises ValueError for a non-positive ksize or stride, a negative pad, an output size
    below 1 or a wrong ndim; TypeError for a non-float x.
    """
    _check_flag("max_pooling_2d", "cover_all", cover_all)
    if cover_all is None and not ceil_mode:
        cover_all = _policies.current().max_pooling_cover_all
    rule = _size_rule("max_pooling_2d", cover_all, ceil_mode)
    nan_index = _policy_value("max_pooling_nan_index", nan_index)
    if nan_index not in ("first", "last"):
        raise ValueError(f"max_pooling_2d: nan_index must be 'first' or 'last', got "
                         f"nan_index={nan_index!r}")
    pad_limit = _check_pad_limit("max_pooling_2d", pad_limit)
    return _pool("max_pooling_2d", x, lambda geometry, x: MaxPooling2D(geometry, nan_index),
                 (ksize, stride, pad, rule, pad_limit), allow_unbatched)


def average_pooling_2d(x, ksize, stride=None, pad=0, *, ceil_mode=False,
                       count_include_pad=True, pad_limit=None, allow_unbatched=None):
    """Mean over each ``ksize`` window of NCHW ``x``.

    ``y[n, c, p, q] = sum_{i, j} x[n, c, p sy + i - py, q sx + j - px] / divisor[p, q]``,
    pixels outside the input reading 0. ``divisor`` is ``kh * kw`` (padding counts; chainer
    always, torch's default ``count_include_pad=True``) except that with torch's
    ``ceil_mode`` a window part beyond the right padding does not count, and with
    ``count_include_pad=False`` only the pixels inside the input count.

    Args:
        x, ksize, stride, pad, pad_limit, allow_unbatched: as ``max_pooling_2d``.
        ceil_mode: torch's output-size rule (``pool_outsize``); chainer's average pooling
            has no ``cover_all``: its size is the floor rule.
        count_include_pad: torch's flag (chainer: True).

    Torch: ``F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)``.
    Chainer: ``F.average_pooling_2d(x, ksize, stride, pad)``.
    """
    rule = _size_rule("average_pooling_2d", False, ceil_mode)
    pad_limit = _check_pad_limit("average_pooling_2d", pad_limit)

    def make_function(geometry, x):
        xp = _backend.get_array_module(x.data)
        return AveragePooling2D(geometry, _divisor(geometry, count_include_pad, x.dtype, xp))

    return _pool("average_pooling_2d", x, make_function, (ksize, stride, pad, rule, pad_limit),
                 allow_unbatched)


def max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """torch's name and arguments for ``max_pooling_2d`` (``cover_all`` False)."""
    return max_pooling_2d(x, kernel_size, stride, padding, cover_all=False, ceil_mode=ceil_mode)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """torch's name and arguments for ``average_pooling_2d``."""
    return average_pooling_2d(x, kernel_size, stride, padding, ceil_mode=ceil_mode,
                              count_include_pad=count_include_pad)
