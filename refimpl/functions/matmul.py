"""Matrix product with NumPy's rules: 1-D operands, batch broadcasting."""
from .. import _backend, policies as _semantics
from ..function import Function
from ._util import argument_error, as_variable, numbers_only, prepare_operands
from .arithmetic import convert
from .broadcast import sum_to
from .shape import reshape, swapaxes


class MatMul(Function):
    """``a @ b`` for operands of two or more dimensions."""

    def forward(self, a, b):
        xp = _backend.get_array_module(a, b)
        # Zero-stride views (e.g. the broadcast gradient of sum) make NumPy skip BLAS.
        a = xp.ascontiguousarray(a) if 0 in a.strides else a
        b = xp.ascontiguousarray(b) if 0 in b.strides else b
        return xp.matmul(a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = gb = None
        if a.requires_grad:
            ga = sum_to(matmul(gy, swapaxes(b, -1, -2)), a.shape)
        if b.requires_grad:
            gb = sum_to(matmul(swapaxes(a, -1, -2), gy), b.shape)
        return ga, gb


def matmul(a, b):
    """``a @ b`` as ``numpy.matmul``: 1-D operands are promoted to a row/column and the added
    axis removed again; leading axes broadcast."""
    numbers_only(a, b, "matmul", allowed=False)  # two Python numbers: TypeError, as torch
    a, b = as_variable(a, "a"), as_variable(b, "b")
    if a.ndim == 0 or b.ndim == 0:
        raise argument_error("shape", f"matmul needs operands of at least 1 dimension, got "
                                      f"a.shape={a.shape}, b.shape={b.shape}", "MatMul")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise argument_error("shape", f"matmul shape mismatch: a.shape={a.shape}, "
                                      f"b.shape={b.shape}", "MatMul")
    if a.dtype != b.dtype:
        if _semantics.current().matmul_mixed_dtypes == "raise":
            # torch matmul does not promote ('expected m1 and m2 to have the same dtype')
            raise argument_error("dtype", f"matmul needs operands of one dtype, got "
                                          f"a.dtype={a.dtype}, b.dtype={b.dtype}", "MatMul")
        # 'promote' (chainer F.matmul): NumPy's result type; each gradient in its input's dtype
        dtype = _backend.numpy.result_type(a.dtype, b.dtype)
        a, b = [v if v.dtype == dtype else convert(v, dtype) for v in (a, b)]
    a, b = prepare_operands((a, b), "MatMul")
    a2 = reshape(a, (1,) + a.shape) if a.ndim == 1 else a
    b2 = reshape(b, b.shape + (1,)) if b.ndim == 1 else b
    y = MatMul()(a2, b2)
    if a.ndim == 1 and b.ndim == 1:
        return reshape(y, ())
    if a.ndim == 1:
        return reshape(y, y.shape[:-2] + y.shape[-1:])
    if b.ndim == 1:
        return reshape(y, y.shape[:-1])
    return y


def dot(a, b):
    """Inner product of two 1-D Variables (``torch.dot``)."""
    numbers_only(a, b, "dot", allowed=False)
    a, b = as_variable(a, "a"), as_variable(b, "b")
    if a.ndim != 1 or b.ndim != 1:
        raise argument_error("shape", f"dot needs 1-D operands, got a.shape={a.shape}, "
                                      f"b.shape={b.shape}", "Dot")
    if a.shape != b.shape:
        raise argument_error("shape", f"dot needs operands of one length, got a.shape={a.shape}, "
                                      f"b.shape={b.shape}", "Dot")
    return matmul(a, b)
