"""Arithmetic: add, sub, mul, div, pow, neg, with broadcasting and scalars on either side,
and dtype casts. Their gradients sum over broadcast axes with ``broadcast.unbroadcast``."""
from .. import _backend, _mode, policies as _semantics
from ..errors import InvalidType
from ..function import Function
from ..variable import Variable
from ._util import as_variable, prepare_operands, returns_input
from .broadcast import unbroadcast
from .indexing import where
from .math import log


_PYTHON_SCALARS = (float, int, bool, complex)


def _is_scalar(value):
    """``numpy.isscalar(value)``, with the usual operands (a Variable, a float) decided first."""
    if type(value) in _PYTHON_SCALARS:
        return True
    return type(value) is not Variable and _backend.numpy.isscalar(value)


class Cast(Function):
    saves_tensors = False

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.inputs[0].dtype)


def cast(x, dtype):
    """``x`` converted to ``dtype`` (the gradient is cast back)."""
    x = as_variable(x)
    dtype = _backend.numpy.dtype(dtype)
    if x.dtype == dtype and (returns_input("cast") or (
            returns_input("cast_under_no_grad") and not _mode.is_grad_enabled())):
        return x
    return Cast(dtype)(x)


class Add(Function):
    saves_tensors = False

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs  # no gradient work for constant operands, as Mul
        return (unbroadcast(gy, a.shape) if a.requires_grad else None,
                unbroadcast(gy, b.shape) if b.requires_grad else None)


class Sub(Function):
    saves_tensors = False

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        return (unbroadcast(gy, a.shape) if a.requires_grad else None,
                unbroadcast(-gy, b.shape) if b.requires_grad else None)


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        return (unbroadcast(gy * b, a.shape) if a.requires_grad else None,
                unbroadcast(gy * a, b.shape) if b.requires_grad else None)


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        ga = gy / b
        gb = -ga * a / b if b.requires_grad else None
        return (unbroadcast(ga, a.shape) if a.requires_grad else None,
                unbroadcast(gb, b.shape) if gb is not None else None)


class Pow(Function):
    """``a ** b``. d/da = b a^(b-1), taken as exactly 0 (with zero second derivatives) where
    b == 0, as torch does (0 * 0 ** -1 would be nan), except where the exponent itself needs
    a gradient and a != 0: there the formula is kept, as its derivative in b, a^-1, is not 0.
    d/db = a^b log(a) (taken as 0 where a == 0 and b > 0)."""

    def forward(self, a, b):
        return a ** b

    def backward(self, gy):
        a, b = self.inputs
        ga = gb = None
        if a.requires_grad:
            xp = _backend.get_array_module(a.data)
            zero_exponent = b.data == 0
            if b.requires_grad:
                zero_exponent = zero_exponent & (a.data == 0)
            if xp is not _backend.numpy or xp.any(zero_exponent):  # GPU: no host sync, always mask
                # Evaluate at a = 1 there and select 0, so that neither this gradient nor its
                # own gradient meets 0 * inf.
                safe_a = where(zero_exponent, xp.ones((), dtype=a.dtype), a)
                ga = where(xp.broadcast_to(zero_exponent, gy.shape),
                           xp.zeros((), dtype=gy.dtype), gy * b * safe_a ** (b - 1))
            else:
                ga = gy * b * a ** (b - 1)
            ga = unbroadcast(ga, a.shape)
        if b.requires_grad:
            xp = _backend.get_array_module(a.data)
            positive = xp.broadcast_to(a.data > 0, gy.shape)
            safe_a = where(a.data > 0, a, xp.ones((), dtype=a.dtype))
            gb = unbroadcast(where(positive, gy * self.output() * log(safe_a), 0.0 * gy), b.shape)
        return ga, gb


class Neg(Function):
    saves_tensors = False

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def add(a, b):
    """``a + b`` with broadcasting; either side may be a Python number."""
    function = Add()
    if _is_scalar(b) or _is_scalar(a):  # chainer's AddConstant; an array operand makes Add
        function.passes_none_grad = True
    a, b = prepare_operands((a, b), "_ + _")
    return function(a, b)


def sub(a, b):
    """``a - b`` with broadcasting; either side may be a Python number."""
    function = Sub()
    if _is_scalar(b):  # chainer's x - c is AddConstant(-c); c - x (SubFromConstant) raises
        function.passes_none_grad = True
    a, b = prepare_operands((a, b), "_ - _")
    return function(a, b)


def mul(a, b):
    """``a * b`` with broadcasting; either side may be a Python number."""
    a, b = prepare_operands((a, b), "_ * _")
    return Mul()(a, b)


def div(a, b):
    """``a / b`` (true division) with broadcasting; either side may be a Python number.

    Integer operands give a float result (torch: float32, NumPy/chainer: float64).
    """
    policy = _semantics.current()
    if (policy.integer_arithmetic == "float_only" and isinstance(a, Variable)
            and a.dtype.kind in "biu" and not isinstance(b, Variable)):
        # Chainer: x / c is x * (1 / c) with the constant cast to x's integer dtype.
        xp = _backend.get_array_module(a.data)
        return mul(a, xp.asarray(1.0 / xp.asarray(b)).astype(a.dtype))
    a, b = prepare_operands((a, b), "_ / _")
    if a.dtype.kind in "biu":
        a, b = cast(a, "float32"), cast(b, "float32")
    return Div()(a, b)


def pow(a, b):
    """``a ** b`` with broadcasting; either side may be a Python number."""
    policy = _semantics.current()
    if policy.integer_arithmetic == "float_only":
        for operand in (a, b):
            if isinstance(operand, Variable) and operand.dtype.kind != "f":
                rhs = "_" if isinstance(b, Variable) else b
                raise InvalidType("x.dtype.kind == f", f"{operand.dtype.kind} != f", f"_ ** {rhs}")
    a, b = prepare_operands((a, b), "_ ** _")
    return Pow()(a, b)


def neg(x):
    """``-x``."""
    return Neg()(as_variable(x))
