"""The functional linear layer ``y = x W^T + b`` (torch ``F.linear``, chainer ``F.linear``).

One fused op on 2-D operands does the work: its forward is one BLAS matrix product (plus the
bias added in place) and its backward is two BLAS products written with refimpl ops, so the
gradient is itself differentiable. Other input layouts are reshaped to and from 2-D around it.
"""
import math
import numbers

from .. import _backend, policies as _policies
from ..errors import InvalidType
from ..function import Function
from ._util import as_variable
from .arithmetic import add, convert
from .broadcast import broadcasts_to
from .matmul import matmul
from .reduction import sum as _sum
from .shape import reshape, transpose

def _blas_ready(array):
    """``array`` itself if BLAS can read it (C or F order), else a C-contiguous copy."""
    if array.flags.c_contiguous or array.flags.f_contiguous:
        return array
    return _backend.get_array_module(array).ascontiguousarray(array)


class LinearFunction(Function):
    """``x W^T (+ b)`` for ``x`` of shape (N, in), ``W`` (out, in) and ``b`` (out,)."""

    def forward(self, x, W, b=None):
        xp = _backend.get_array_module(x, W, *(() if b is None else (b,)))  # one device
        y = xp.matmul(_blas_ready(x), _blas_ready(W).T)
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        x, W = self.inputs[:2]
        gx = matmul(gy, W) if x.requires_grad else None
        gW = matmul(transpose(gy), x) if W.requires_grad else None
        if len(self.inputs) == 2:
            return gx, gW
        b = self.inputs[2]
        return gx, gW, (_sum(gy, 0) if b.requires_grad else None)


def _is_chainer():
    """Whether arguments are checked as chainer's type check does (policy field
    ``invalid_argument_errors``)."""
    return _policies.current().invalid_argument_errors == "chainer_type_check"


def _shape_error(expect, actual, torch_message):
    """Chainer's type-check failure (InvalidType) or torch's RuntimeError."""
    if _is_chainer():
        return InvalidType(expect, actual, "LinearFunction")
    return RuntimeError(torch_message)


def _check_dtypes(x, W, b):
    """Validate dtypes; returns W, cast to x's dtype where chainer does that."""
    if _is_chainer():
        for name, v in (("x", x), ("W", W)):
            if v.dtype.kind != "f":
                raise InvalidType(f"{name}.dtype.kind == f", f"{v.dtype.kind} != f", "LinearFunction")
        if b is not None and b.dtype != x.dtype:
            raise InvalidType("b.dtype == x.dtype", f"{b.dtype} != {x.dtype}", "LinearFunction")
    if b is not None and b.dtype != x.dtype:
        raise RuntimeError(f"linear needs operands of one dtype, got x.dtype={x.dtype}, "
                           f"b.dtype={b.dtype}")
    if W.dtype == x.dtype:
        return W
    if _policies.current().linear_mixed_dtypes == "cast_weight":
        return convert(W, x.dtype)
    raise RuntimeError(f"linear needs operands of one dtype, got x.dtype={x.dtype}, "
                       f"W.dtype={W.dtype}")


def _check_weight(x2, W):
    """Raise unless W is (out, in) with ``in`` matching the flattened input (N, in)."""
    if W.ndim != 2:
        if _is_chainer() and W.ndim < 2:  # chainer's type check indexes W.shape[1]
            raise IndexError(f"chainer's linear needs a 2-D W, got W.shape={W.shape}")
        raise _shape_error("W.ndim == 2", f"{W.ndim} != 2",
                           f"linear needs W of 1 or 2 dimensions, got W.shape={W.shape}")
    if x2.shape[1] != W.shape[1]:
        op = "mm: " if _policies.current().matmul_error_names_op else ""
        raise _shape_error("x.shape[1] == W.shape[1]", f"{x2.shape[1]} != {W.shape[1]}",
                           f"{op}mat1 and mat2 shapes cannot be multiplied ({x2.shape[0]}x"
                           f"{x2.shape[1]} and {W.shape[1]}x{W.shape[0]}) (x.shape={x2.shape}, "
                           f"W.shape={W.shape})")


def _fused_bias(b, out_size):
    """Whether ``b`` goes into the fused op (shape (out,)); raises for chainer misfits."""
    if b is None:
        return False
    if _is_chainer():
        if b.ndim != 1:
            if b.ndim == 0:  # chainer's type check indexes b.shape[0]
                raise IndexError(f"chainer's linear needs a 1-D b, got b.shape={b.shape}")
            raise InvalidType("b.ndim == 1", f"{b.ndim} != 1", "LinearFunction")
        if b.shape[0] != out_size:
            raise InvalidType("b.shape[0] == W.shape[0]", f"{b.shape[0]} != {out_size}",
                              "LinearFunction")
    return b.shape == (out_size,)


def _add_broadcast_bias(y, b):
    """torch: any bias that broadcasts to the output is added."""
    if not broadcasts_to(b.shape, y.shape):
        raise RuntimeError(f"linear: bias of shape b.shape={b.shape} does not broadcast to the "
                           f"output shape {y.shape}")
    return add(y, b)


def _batch_axes(x, n_batch_axes):
    """Number of leading axes of ``x`` kept as batch axes (the rest are flattened)."""
    if n_batch_axes is None:
        if _policies.current().linear_input_layout == "last_axis":
            return max(x.ndim - 1, 0)
        n_batch_axes = 1
    if isinstance(n_batch_axes, bool) or not isinstance(n_batch_axes, numbers.Integral) \
            or n_batch_axes <= 0:
        raise ValueError(f"n_batch_axes must be an int > 0, got n_batch_axes={n_batch_axes!r}")
    if n_batch_axes == 1 and x.ndim < 2:
        raise IndexError(f"chainer's linear needs x of 2 or more dimensions with "
                         f"n_batch_axes=1, got x.shape={x.shape}")
    return int(n_batch_axes)


def linear(x, W, b=None, n_batch_axes=None):
    """Affine map ``y = x W^T + b``.

    ``W`` has shape ``(out, in)``, ``b`` (optional) shape ``(out,)``. The gradients are
    ``gx = gy W``, ``gW = gy^T x``, ``gb = sum(gy, batch axes)``, each differentiable again.

    How an input of more than two dimensions is read (policy field ``linear_input_layout``,
    observed with torch 2.13.0 and chainer 7.8.1 on 3-D and 4-D inputs):

    * ``'last_axis'`` (torch ``F.linear(input, weight, bias=None)``): ``x`` has shape
      ``(*, in)``; the map applies to the last axis and ``y`` has shape ``(*, out)``. A 1-D
      ``x`` gives a 1-D ``y``. torch also takes a 1-D ``W`` (``y = x @ W + b``) and any
      ``b`` that broadcasts to the output.
    * ``'flatten'`` (chainer ``F.linear(x, W, b=None, n_batch_axes=1)``): the first
      ``n_batch_axes`` axes are batch axes and the rest are flattened into one axis of size
      ``in``: ``x`` is reshaped to ``(prod(batch shape), in)`` and ``y`` to
      ``batch shape + (out,)``. So a ``(2, 3, 4)`` input needs ``W`` of shape ``(out, 12)``
      and gives ``(2, out)``. With ``n_batch_axes=1``, ``x`` must have 2 or more axes.

    ``n_batch_axes`` (chainer's argument): None takes the policy's layout; an int selects
    chainer's flattening rule with that many batch axes whatever the policy.

    Errors (what each framework raises for a mismatch): torch raises RuntimeError (``mat1
    and mat2 shapes cannot be multiplied (2x3 and 4x5)``, from torch 2.15 prefixed ``mm: ``:
    policy field ``matmul_error_names_op``; a bias that does not broadcast:
    ``The expanded size of the tensor ...``; a 0-d ``x``; operands of different dtypes).
    chainer raises ``InvalidType`` (``x.shape[1] == W.shape[1]``, ``b.shape[0] ==
    W.shape[0]``, ``b.ndim == 1``, ``W.ndim == 2``, ``x.dtype.kind == f``, ``b.dtype ==
    x.dtype``), but IndexError ('tuple index out of range') for a 1-D ``x`` or ``W`` or a
    0-d ``b``, and ValueError for ``n_batch_axes <= 0``; it computes ``x`` float32 with ``W``
    float64 in float32 (``gW`` stays float64) where torch raises. refimpl raises the same
    classes under each policy, with messages naming the shapes.

    >>> import numpy
    >>> from refimpl.functions.linear import linear
    >>> linear(numpy.ones((2, 3)), numpy.ones((4, 3)), numpy.arange(4.0)).data
    array([[3., 4., 5., 6.],
           [3., 4., 5., 6.]])
    """
    x, W = as_variable(x, "x"), as_variable(W, "W")
    b = None if b is None else as_variable(b, "b")
    if x.ndim == 0:
        if _is_chainer():
            raise IndexError("chainer's linear needs x of 2 or more dimensions, got x.shape=()")
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are 0D "
                           f"and {W.ndim}D (x.shape=(), W.shape={W.shape})")
    W = _check_dtypes(x, W, b)
    if W.ndim == 1 and not _is_chainer() and n_batch_axes is None:
        y = matmul(x, W)  # torch: a 1-D weight is a vector product
        return y if b is None else _add_broadcast_bias(y, b)
    keep = _batch_axes(x, n_batch_axes)
    batch_shape = x.shape[:keep]
    flat_shape = (math.prod(batch_shape), math.prod(x.shape[keep:]))
    x2 = x if x.shape == flat_shape else reshape(x, flat_shape)  # no node for a no-op
    _check_weight(x2, W)
    out_shape = batch_shape + (W.shape[0],)
    if _fused_bias(b, W.shape[0]):
        y = LinearFunction()(x2, W, b)
        return y if y.shape == out_shape else reshape(y, out_shape)
    y = LinearFunction()(x2, W)
    y = y if y.shape == out_shape else reshape(y, out_shape)
    return y if b is None else _add_broadcast_bias(y, b)
