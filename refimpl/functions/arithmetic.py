"""Arithmetic: add, sub, mul, div, pow, neg, with broadcasting and scalars on either side,
and dtype casts. Their gradients sum over broadcast axes with ``broadcast.unbroadcast``."""
from .. import _backend, _mode, policies as _semantics
from ..errors import InvalidType
from ..function import Function, same_float_dtype, unrecorded
from ..variable import Variable
from ._util import argument_error, as_variable, numbers_only, prepare_operands, returns_input
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
        return convert(gy, self.inputs[0].dtype)


def convert(x, dtype):
    """``x`` as ``dtype`` through a ``Cast`` node, whatever the policy: the conversion refimpl
    makes inside ops and the engine (type promotion, gradients cast back), where the public
    ``cast`` follows ``cast_differentiable``."""
    return Cast(_backend.numpy.dtype(dtype))(x)


def cast(x, dtype):
    """``x`` converted to ``dtype`` (the gradient is cast back)."""
    x = as_variable(x)
    try:
        dtype = _backend.numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"cast needs a NumPy dtype, got dtype={dtype!r}") from None
    if dtype.kind not in "biufc":  # object, str, bytes, datetime, timedelta, void
        raise TypeError(f"cast needs a numeric dtype (bool, integer, float or complex), got "
                        f"dtype={dtype!r}")
    if x.dtype == dtype and (returns_input("cast") or (
            returns_input("cast_under_no_grad") and not _mode.is_grad_enabled())):
        return x
    if not _semantics.current().cast_differentiable:  # a new leaf, as the user would make it
        return Variable(x.data.astype(dtype))
    return Cast(dtype)(x)


class Add(Function):
    saves_tensors = False
    retained_outputs = ()  # and no input (it saves none): the backward reads shapes only

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs  # no gradient work for constant operands, as Mul
        return (unbroadcast(gy, a.shape) if a.requires_grad else None,
                unbroadcast(gy, b.shape) if b.requires_grad else None)


class Sub(Function):
    saves_tensors = False
    retained_outputs = ()

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        return (unbroadcast(gy, a.shape) if a.requires_grad else None,
                unbroadcast(-gy, b.shape) if b.requires_grad else None)


class Mul(Function):
    retained_outputs = ()

    def forward(self, a, b):
        return a * b

    def saved_inputs(self):
        """As torch's MulBackward0: each operand is saved only for the other's gradient."""
        a, b = self._inputs
        return [index for index, other in ((0, b), (1, a)) if other.requires_grad]

    def backward(self, gy):
        a, b = self.inputs
        if not _mode.is_grad_enabled() and same_float_dtype(gy, a, b):  # no graph: arrays
            if a is b and a.requires_grad:  # x * x: gy * x twice, the same values: once
                gx = unbroadcast(unrecorded(gy.data * a.data, gy, a), a.shape)
                return gx, gx
            return (unbroadcast(unrecorded(gy.data * b.data, gy, b), a.shape)
                    if a.requires_grad else None,
                    unbroadcast(unrecorded(gy.data * a.data, gy, a), b.shape)
                    if b.requires_grad else None)
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
    """``a ** b``. d/da = b a^(b-1), d/db = a^b log(a); under the policy's
    ``pow_gradient_masks`` (torch) d/da is 0 where b == 0 and d/db is 0 where a == 0 and
    b >= 0, selected with ``where`` as torch does (``gy * where(a == 0 & b >= 0, 0, y log
    a)``), so that higher derivatives follow torch's too, NaN included. Under every policy
    d/da is 0 at a == b == 0 (the formula's 0 * 0^-1), where chainer 7.8.1 gives NaN and
    torch's d/db of d/da is 0 instead of a^-1: both documented upstream defects. A Python-number exponent follows torch's
    ``pow(Tensor, Scalar)``: exponent 0 gives zeros without a graph, others the formula."""

    #: The exponent when it was given as a Python number (host-side, so no device sync).
    number_exponent = None

    def forward(self, a, b):
        return a ** b

    def backward(self, gy):
        # 0 ** -1, log(0), log(-2) and a subnormal's a ** -1 (inf) are the values wanted
        # (torch computes them silently)
        with _backend.numpy.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._gradients(gy)

    def _gradients(self, gy):
        a, b = self.inputs
        masks = _semantics.current().pow_gradient_masks
        xp = _backend.get_array_module(a.data)
        zero = xp.zeros((), dtype=gy.dtype)
        ga = gb = None
        if a.requires_grad:
            if masks and self.number_exponent == 0:  # torch's pow(Tensor, Scalar): no graph
                return Variable._constant(xp.zeros(a.shape, dtype=gy.dtype)), None
            if masks and self.number_exponent is not None:
                # torch's pow(Tensor, Scalar): grad * (n * a.pow(n - 1)), the exponent still a
                # number, so the derivative of a.pow(0) is zeros again (not 0 * a^-1, NaN
                # where a^-1 overflows: a float32 subnormal a, the thorough profile at seed 3)
                n = self.number_exponent
                return unbroadcast(gy * (pow(a, n - 1) * n), a.shape), None
            # d/da a^0 is 0 everywhere; the formula gives 0 * 0^-1 = NaN at a == 0, which
            # chainer 7.8.1 returns (its documented defect, a conformance known issue) and
            # torch masks. Only a == b == 0 is masked, so the derivative with respect to b
            # stays a^(b-1) (torch masks every b == 0 and gets 0 there: its documented defect).
            mask = xp.broadcast_to((a.data == 0) & (b.data == 0), gy.shape)
            safe_a = where(mask, xp.ones((), dtype=gy.dtype), a)  # finite derivatives there
            g = gy
            if masks:  # torch's where(b == 0, 0, gy * ..): 0 at b == 0 for an infinite or NaN
                # gy too; a finite gy stays, so the derivative in b there is still gy a^(b-1)
                flat = xp.broadcast_to(b.data == 0, gy.shape) & ~xp.isfinite(gy.data)
                g = where(flat, zero, gy)
            ga = where(mask, zero, g * (b * safe_a ** (b - 1)))
            ga = unbroadcast(ga, a.shape)
        if b.requires_grad:
            gb = self.output() * log(a)
            if masks:  # torch: grad * where(..), so a NaN/inf gy still reaches masked places
                mask = (a.data == 0) & (b.data >= 0)
                gb = where(xp.broadcast_to(mask, gb.shape), zero, gb)
            gb = unbroadcast(gy * gb, b.shape)
        return ga, gb


class Neg(Function):
    saves_tensors = False

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def _apply(function, a, b, name, kind="shape"):
    """``function(a, b)`` with operands that do not broadcast reported as the policy's
    ``kind`` error ('shape'; NumPy's ValueError otherwise)."""
    try:
        return function(a, b)
    except ValueError:
        try:
            _backend.numpy.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise argument_error(kind, f"{name}: operands of shapes a.shape={a.shape} and "
                                       f"b.shape={b.shape} do not broadcast", name) from None
        raise


def add(a, b):
    """``a + b`` with broadcasting; either side may be a Python number."""
    function = Add()
    if _is_scalar(b) or _is_scalar(a):  # chainer's AddConstant; an array operand makes Add
        function.passes_none_grad = True
    a, b = numbers_only(a, b, "add") or prepare_operands((a, b), "_ + _")
    return _apply(function, a, b, "add")


def sub(a, b):
    """``a - b`` with broadcasting; either side may be a Python number."""
    function = Sub()
    if _is_scalar(b):  # chainer's x - c is AddConstant(-c); c - x (SubFromConstant) raises
        function.passes_none_grad = True
    if _semantics.current().number_operands == "tensor" and any(
            type(v) is bool or isinstance(v, Variable) and v.dtype.kind == "b" for v in (a, b)):
        raise argument_error("bool_sub", (  # torch 2.15: NotImplementedError (issue 15)
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            f"trying to invert a mask, use `~` (a={a!r}, b={b!r})"), "sub")
    a, b = numbers_only(a, b, "sub") or prepare_operands((a, b), "_ - _")
    return _apply(function, a, b, "sub")


def mul(a, b):
    """``a * b`` with broadcasting; either side may be a Python number."""
    a, b = numbers_only(a, b, "mul") or prepare_operands((a, b), "_ * _")
    return _apply(Mul(), a, b, "mul")


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
    a, b = numbers_only(a, b, "div") or prepare_operands((a, b), "_ / _")
    if a.dtype.kind in "biu":  # torch: float32; NumPy's true division: float64
        float_dtype = "float64" if policy.integer_arithmetic == "numpy" else "float32"
        a, b = [cast(v, float_dtype) if v.requires_grad
                else Variable._constant(v.data.astype(float_dtype)) for v in (a, b)]
    return _apply(Div(), a, b, "div")


def pow(a, b):
    """``a ** b`` with broadcasting; either side may be a Python number (not both: TypeError,
    as ``torch.pow(2, 3)``)."""
    policy = _semantics.current()
    if policy.integer_arithmetic == "float_only":
        for operand in (a, b):
            if isinstance(operand, Variable) and operand.dtype.kind != "f":
                rhs = "_" if isinstance(b, Variable) else b
                raise InvalidType("x.dtype.kind == f", f"{operand.dtype.kind} != f", f"_ ** {rhs}")
    numbers_only(a, b, "pow", allowed=False)
    function = Pow()
    if type(b) in _PYTHON_SCALARS:
        function.number_exponent = b
    a, b = prepare_operands((a, b), "_ ** _")
    return _apply(function, a, b, "pow")


def neg(x):
    """``-x``; a bool ``x`` raises the policy's 'bool_neg' class (torch 2.13: RuntimeError,
    2.14 and 2.15: NotImplementedError; NumPy's TypeError in chainer)."""
    x = as_variable(x)
    if x.dtype.kind == "b":
        raise argument_error("bool_neg", (
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            f"to invert a mask, use `~` (x.dtype={x.dtype})"), "neg")
    return Neg()(x)
