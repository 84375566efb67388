"""Layer functions with parameters: PReLU, Maxout and the bilinear form.

Compositions of refimpl ops (where, mul, reshape, max, einsum, linear), so differentiable
to any order. Where the frameworks differ, the active policy decides:

==============================  ===========================================  ===========================================
refimpl                         torch                                        chainer
==============================  ===========================================  ===========================================
``prelu(x, W)``                 ``F.prelu(x, weight)``: W of 1 or C          ``F.prelu(x, W)``: W.shape ==
                                elements (``prelu_slope_shape``);            x.shape[1:1 + W.ndim]; gradient 1 at 0
                                gradient w at x == 0                         (``prelu_zero_gradient``)
``maxout(x, pool_size, axis)``  (none: ``x.unflatten(1, (C // p, p))         ``F.maxout(x, pool_size, axis=1)``
                                .amax(2)``)
``bilinear(x1, x2, W, b,        ``F.bilinear(x1, x2, W, b)``, W (out, in1,   ``F.bilinear(e1, e2, W, V1, V2, b)``, W
V1, V2)``                       in2) (``bilinear_weight_layout``)            (in1, in2, out); V1, V2, b all or none
==============================  ===========================================  ===========================================
"""
from .. import policies as _policies
from ._util import as_variable
from .indexing import where
from .matmul import matmul
from .reduction import max as _max
from .shape import reshape
from .shape_more import einsum

__all__ = ["bilinear", "maxout", "prelu"]

PRELU_SLOPE_SHAPES = ("channels", "leading_axes")
PRELU_ZERO_GRADIENTS = ("slope", "one")
BILINEAR_LAYOUTS = ("out_in1_in2", "in1_in2_out")


def _float(value, name, function_name):
    variable = as_variable(value, name)
    if variable.dtype.kind != "f":
        raise TypeError(f"{function_name}: {name} must have a floating-point dtype, got "
                        f"{name}.dtype={variable.dtype}")
    return variable


def _slope_shape(x, W, rule):
    """The shape W broadcasts to against x under the slope-shape ``rule``, or ValueError."""
    if rule == "channels":
        channels = x.shape[1] if x.ndim >= 2 else 1
        if W.size == 1:
            return (1,) * x.ndim
        if W.ndim == 1 and W.shape[0] == channels:
            return (1, channels) + (1,) * (x.ndim - 2)
        raise ValueError(f"prelu: W must have 1 element or one per channel ({channels} for "
                         f"x.shape={x.shape}), got W.shape={W.shape}")
    if x.ndim < W.ndim + 1 or tuple(x.shape[1:1 + W.ndim]) != tuple(W.shape):
        raise ValueError(f"prelu: W.shape must equal x.shape[1:1 + W.ndim], got "
                         f"W.shape={W.shape} for x.shape={x.shape}")
    return (1,) + tuple(W.shape) + (1,) * (x.ndim - W.ndim - 1)


def prelu(x, W):
    """Parametric ReLU: ``y = x`` where x > 0, ``W x`` where x < 0 (0 at 0).

    Args:
        x: a float array.
        W: the slopes, broadcast per the policy field ``prelu_slope_shape``: 'channels'
            (torch): one element, or one per channel (``x.shape[1]``); 'leading_axes'
            (chainer): ``W.shape == x.shape[1:1 + W.ndim]``.

    The gradient in x at x == 0 is the policy field ``prelu_zero_gradient``: the slope W
    (torch: ``x > 0`` selects x) or 1 (chainer: ``x >= 0`` selects x).
    """
    x, W = _float(x, "x", "prelu"), _float(W, "W", "prelu")
    policy = _policies.current()
    if W.dtype != x.dtype:
        raise TypeError(f"prelu: W must have x's dtype, got x.dtype={x.dtype}, W.dtype={W.dtype}")
    slopes = reshape(W, _slope_shape(x, W, policy.prelu_slope_shape))
    passes = x.data > 0 if policy.prelu_zero_gradient == "slope" else x.data >= 0
    return where(passes, x, slopes * x)


def maxout(x, pool_size, axis=1):
    """Maxout: the largest of each run of ``pool_size`` consecutive entries along ``axis``.

    ``y[..., k, ...] = max_{j < pool_size} x[..., k * pool_size + j, ...]`` (chainer
    ``F.maxout``; torch has no maxout). The gradient at ties follows ``max_tie_gradient``.
    Raises ValueError for a ``pool_size`` that is not a positive divisor of
    ``x.shape[axis]``.
    """
    x = _float(x, "x", "maxout")
    if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size <= 0:
        raise ValueError(f"maxout: pool_size must be a positive int, got pool_size={pool_size!r}")
    if not isinstance(axis, int) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"maxout: axis must be an int in [{-x.ndim}, {x.ndim}), got "
                         f"axis={axis!r} for x.shape={x.shape}")
    axis %= x.ndim
    if x.shape[axis] % pool_size:
        raise ValueError(f"maxout: x.shape[{axis}]={x.shape[axis]} (x.shape={x.shape}) is not "
                         f"divisible by pool_size={pool_size}")
    shape = x.shape[:axis] + (x.shape[axis] // pool_size, pool_size) + x.shape[axis + 1:]
    return _max(reshape(x, shape), (axis + 1,))


def bilinear(x1, x2, W, b=None, V1=None, V2=None, *, layout=None):
    """The bilinear form ``y[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j]
    (+ sum_i x1[n, i] V1[i, o] + sum_j x2[n, j] V2[j, o]) (+ b[o])``.

    Args:
        x1: ``(N, in1)``. x2: ``(N, in2)``.
        W: in the layout of the policy field ``bilinear_weight_layout`` (or ``layout``):
            'out_in1_in2' (torch) or 'in1_in2_out' (chainer).
        b: None or ``(out,)``.
        V1, V2: chainer's linear terms, ``(in1, out)`` and ``(in2, out)``, given together.
    """
    layout = _policies.current().bilinear_weight_layout if layout is None else layout
    if layout not in BILINEAR_LAYOUTS:
        raise ValueError(f"bilinear: layout must be one of {BILINEAR_LAYOUTS}, got "
                         f"layout={layout!r}")
    x1, x2 = _float(x1, "x1", "bilinear"), _float(x2, "x2", "bilinear")
    W = _float(W, "W", "bilinear")
    if x1.ndim != 2 or x2.ndim != 2 or x1.shape[0] != x2.shape[0]:
        raise ValueError(f"bilinear: x1 and x2 must be (N, in1) and (N, in2), got "
                         f"x1.shape={x1.shape}, x2.shape={x2.shape}")
    expected = ((None, x1.shape[1], x2.shape[1]) if layout == "out_in1_in2"
                else (x1.shape[1], x2.shape[1], None))
    if W.ndim != 3 or any(e is not None and e != n for e, n in zip(expected, W.shape)):
        shown = ("(out, in1, in2)" if layout == "out_in1_in2" else "(in1, in2, out)")
        raise ValueError(f"bilinear: W must be {shown} with in1={x1.shape[1]}, "
                         f"in2={x2.shape[1]} (layout {layout!r}), got W.shape={W.shape}")
    if (V1 is None) != (V2 is None):
        raise ValueError(f"bilinear: give V1 and V2 together, got V1 {'None' if V1 is None else 'given'}"
                         f" and V2 {'None' if V2 is None else 'given'}")
    w = "oij" if layout == "out_in1_in2" else "ijo"
    if _policies.current().bilinear_x2_gradient == "contracted":
        # torch's _trilinear: x1 W first, so the x2 gradient is gy times that finite sum
        y = einsum("noj,nj->no", einsum(f"ni,{w}->noj", x1, W), x2)
    else:  # chainer: each gy entry meets each product x1[n, i] W (inf - inf = NaN)
        y = einsum(f"ni,{w},nj->no", x1, W, x2)
    out = y.shape[1]
    if V1 is not None:
        for name, x, V in (("V1", x1, V1), ("V2", x2, V2)):
            V = _float(V, name, "bilinear")
            if V.shape != (x.shape[1], out):
                raise ValueError(f"bilinear: {name} must be ({x.shape[1]}, {out}), got "
                                 f"{name}.shape={V.shape}")
            y = y + matmul(x, V)
    if b is not None:
        b = _float(b, "b", "bilinear")
        if b.shape != (out,):
            raise ValueError(f"bilinear: b must be ({out},), got b.shape={b.shape}")
        y = y + b
    return y

