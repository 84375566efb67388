"""Piecewise-linear activations: relu, leaky_relu, clip. Their gradients are masks, so their
second derivatives are zero (the mask is a constant)."""
from .. import _backend, _mode, policies as _semantics
from ..function import Function, same_float_dtype, unrecorded
from ._util import argument_error, as_variable, result_dtype
from .arithmetic import convert
from .indexing import masked_gradient


class _Masked(Function):
    """y = f(x) with dy/dx a constant per element: ``self.slope(x_array)``.

    With ``slope_tracks_input`` and the policy's ``slope_in_graph`` the slope is itself a node
    on x (with a zero derivative), as torch's ``threshold_backward(grad, self)`` is: a
    gradient made with ``create_graph`` then requires grad even for a constant zero seed.
    torch's clamp builds its mask outside the graph (``slope_tracks_input`` False).

    With ``selects`` and the policy's ``zero_slope_gradient`` 'zero' the gradient is 0 where
    the slope is, whatever the output gradient (NaN and inf included), as torch's backward
    kernels select; otherwise it is the product ``gy * slope``."""

    slope_tracks_input = True
    selects = True

    def backward(self, gy):
        x = self.inputs[0]
        policy = _semantics.current()
        in_graph = self.slope_tracks_input and policy.slope_in_graph
        selects = self.selects and policy.zero_slope_gradient == "zero"
        slope = self.slope(x.data)
        if not _mode.is_grad_enabled() and same_float_dtype(gy, x):  # no graph: arrays
            inputs = (gy, x) if in_graph else (gy,)
            if not selects:  # a bool slope multiplies as its 0/1 of gy's dtype
                return unrecorded(gy.data * slope, *inputs)
            if slope.dtype.kind == "b":  # a mask: the gradient itself where it passes
                return unrecorded(_backend.select(slope, gy.data), *inputs)
            return unrecorded(_backend.select(slope != 0, gy.data * slope), *inputs)
        gx = gy * (_Slope(self)(x) if in_graph else slope.astype(gy.dtype, copy=False))
        return masked_gradient(gx, slope, selects)


class _Slope(Function):
    """The slope of a ``_Masked`` function at x, as a function of x: derivative zero."""

    def __init__(self, masked):
        self.masked = masked

    def forward(self, x):
        return self.masked.slope(x).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * gy.dtype.type(0)


class ReLU(_Masked):
    retained_outputs = ()  # and x (saved_inputs), from which the slope is computed

    def forward(self, x):
        return _backend.get_array_module(x).maximum(x, x.dtype.type(0))

    def slope(self, x):
        # the gradient at 0 is 0 in torch and chainer; at NaN, policy ``relu_nan_gradient``
        if _semantics.current().relu_nan_gradient:
            return ~(x <= 0)  # torch: threshold_backward zeroes where x <= 0 only
        return x > 0


class LeakyReLU(_Masked):
    selects = False  # torch's leaky_relu_backward multiplies too: ``grad * negval``

    def __init__(self, negative_slope):
        self.negative_slope = negative_slope

    def forward(self, x):
        xp = _backend.get_array_module(x)
        return xp.where(x > 0, x, x * x.dtype.type(self.negative_slope))

    def slope(self, x):
        xp = _backend.get_array_module(x)
        one, negative = x.dtype.type(1), x.dtype.type(self.negative_slope)
        if _semantics.current().leaky_relu_nan_gradient == "one":  # chainer: NaN passes
            return xp.where(x <= 0, negative, one)
        return xp.where(x > 0, one, negative)  # torch: NaN takes the slope


class Clip(_Masked):
    slope_tracks_input = False

    def __init__(self, x_min, x_max):
        self.x_min, self.x_max = x_min, x_max

    def forward(self, x):
        x_min, x_max = self.x_min, self.x_max
        if x.dtype.kind == "f":  # NumPy would promote a 0-d x with a Python bound to float64
            x_min = None if x_min is None else x.dtype.type(x_min)
            x_max = None if x_max is None else x.dtype.type(x_max)
        return _backend.get_array_module(x).clip(x, x_min, x_max)

    def slope(self, x):
        inside = True
        closed = _semantics.current().clip_boundary_gradient == "pass"  # 'zero': chainer 5
        if self.x_min is not None:
            inside = inside & ((x >= self.x_min) if closed else (x > self.x_min))
        if self.x_max is not None:
            inside = inside & ((x <= self.x_max) if closed else (x < self.x_max))
        return inside


def _real(x, name):
    """``x`` as a Variable; complex input raises the policy's 'dtype' error."""
    x = as_variable(x)
    if x.dtype.kind == "c":
        raise argument_error("complex", f"{name} is not supported for complex input, got "
                                      f"x.dtype={x.dtype}", name)
    return x


def relu(x):
    """``max(x, 0)``; the gradient at 0 is 0, at NaN the policy's ``relu_nan_gradient``."""
    return ReLU()(_real(x, "relu"))


def leaky_relu(x, negative_slope=None):
    """``x`` where ``x > 0`` else ``negative_slope * x``.

    The default slope differs: torch ``negative_slope=0.01``, chainer ``slope=0.2``
    (policy field ``leaky_relu_default_slope``).
    """
    if negative_slope is None:
        negative_slope = _semantics.current().leaky_relu_default_slope
        if negative_slope is None:
            raise TypeError("leaky_relu: negative_slope=None, and the semantics policy "
                            f"{_semantics.current().name!r} has no default slope")
    return LeakyReLU(float(negative_slope))(_real(x, "leaky_relu"))


def clip(x, x_min=None, x_max=None):
    """Clamp ``x`` to ``[x_min, x_max]``; the gradient passes where ``x_min <= x <= x_max``.
    A None bound is no bound on that side, unless the policy's ``clip_none_bound`` is 'raise'
    (chainer 5 and 6: TypeError)."""
    if x_min is None and x_max is None:
        raise ValueError("clip needs x_min or x_max; got x_min=None, x_max=None")
    if _semantics.current().clip_none_bound == "raise" and None in (x_min, x_max):
        raise TypeError(f"clip needs both bounds under the semantics policy "
                        f"{_semantics.current().name!r} (clip_none_bound='raise'); got "
                        f"x_min={x_min}, x_max={x_max}")
    if x_min is not None and x_max is not None and x_min > x_max:
        raise ValueError(f"clip needs x_min <= x_max; got x_min={x_min}, x_max={x_max}")
    x = _real(x, "clip")
    if _semantics.current().mixed_dtypes == "numpy":  # NumPy's clip: the bounds take part
        dtype = result_dtype([x] + [b for b in (x_min, x_max) if b is not None], "clip")
        if dtype != x.dtype:
            x = convert(x, dtype)
    return Clip(x_min, x_max)(x)
