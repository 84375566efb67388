"""Helpers shared by ops: operand conversion, dtype promotion, reducing to a shape."""
import numbers

import numpy

from .. import _backend, policies as _semantics
from .._mode import no_grad
from ..errors import InvalidType
from ..function import Function
from ..variable import Variable, check_array

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_DEFAULT_FOR_CATEGORY = {0: numpy.bool_, 1: numpy.int64, 2: numpy.float32, 3: numpy.complex64}


def as_variable(value, name="x"):
    """A Variable for ``value`` (Variables pass through; arrays become constant leaves)."""
    if isinstance(value, Variable):
        return value
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        check_array(value, name)
        return Variable._constant(value)
    if isinstance(value, (numbers.Number, list, tuple)):
        return Variable._constant(numpy.asarray(value))
    raise TypeError(f"{name} must be a Variable, an array or a number, got {name}={value!r}")


def float_input(x, name, kind="float_dtype"):
    """``x`` as a Variable of a floating-point dtype; another dtype raises the policy's
    ``kind`` error ('float_dtype', or 'kernel_dtype' for an op the framework has no kernel of
    that dtype for; the 'dtype' error unless listed) naming the function ``name``."""
    x = as_variable(x)
    if x.dtype.kind != "f":
        raise argument_error(kind, f"{name} needs a floating-point input, got "
                                            f"x.dtype={x.dtype}", name)
    return x


_ERROR_CLASSES = {"RuntimeError": RuntimeError, "IndexError": IndexError, "TypeError": TypeError,
                  "ValueError": ValueError, "InvalidType": InvalidType,
                  "NotImplementedError": NotImplementedError, "AssertionError": AssertionError,
                  "ZeroDivisionError": ZeroDivisionError,
                  # NumPy's (a ValueError and an IndexError); numpy.exceptions from NumPy 1.25
                  "AxisError": getattr(getattr(numpy, "exceptions", numpy), "AxisError")}


#: A kind a policy may leave out, and the kind whose class it then takes.
_KIND_FALLBACK = {"complex": "dtype", "permute_axis": "axis", "float_dtype": "dtype",
                  "mean_axis": "axis", "where_shape": "shape", "where_dtype": "dtype",
                  "reshape_infer": "shape", "split_zero": "value",
                  "unchecked_shape": "shape", "gather_index": "index",
                  "spatial_shape": "shape", "empty_output": "value", "kernel_dtype": "dtype"}
# the class where a policy lists the kind nowhere
_KIND_DEFAULT = {"name_axis": "TypeError", "str_operand": "TypeError", "str_index": "IndexError",
                 # a one-element tuple where the pooling policy reads none (issue 15)
                 "max_pooling_2d_one_element": "ValueError",
                 "average_pooling_2d_one_element": "ValueError",
                 # subtraction with a bool operand, negation of a bool array (torch 2.13:
                 # RuntimeError)
                 "bool_sub": "RuntimeError", "bool_neg": "RuntimeError"}


def argument_error(kind, message, function_name=""):
    """The exception the active policy raises for a bad argument of ``kind`` (policy field
    ``error_classes``: 'shape', 'axis', 'index', 'dtype', 'value', ...), carrying
    ``message`` (which names the argument and its value)."""
    classes = dict(_semantics.current().error_classes)
    name = classes.get(kind) or classes.get(_KIND_FALLBACK.get(kind, kind)) or _KIND_DEFAULT[kind]
    if name == "InvalidType":
        return InvalidType(message, "(see Expect)", function_name)
    return _ERROR_CLASSES[name](message)


def _scalar_category(value):
    if isinstance(value, bool):
        return 0
    if isinstance(value, numbers.Integral):
        return 1
    if isinstance(value, numbers.Real):
        return 2
    return 3


def result_dtype(operands, function_name):
    """Result dtype of an op over Variables and Python scalars, following the active policy.

    torch ('promote'): the highest category wins (bool < integer < float < complex); within
    a category, dimensioned operands decide and 0-d ones only count when no dimensioned
    operand has that category; a Python scalar only changes the dtype when its category is
    higher, and then gives that category's default (int64, float32).
    chainer ('raise'): Variables must share one dtype; Python scalars take the Variable's.
    """
    arrays = [v for v in operands if isinstance(v, Variable)]
    scalars = [v for v in operands if not isinstance(v, Variable)]
    policy = _semantics.current()
    dtypes = [a.dtype for a in arrays]
    if policy.mixed_dtypes == "numpy":  # NumPy's own rules, on 0-d data and numbers by value
        return numpy.result_type(*[numpy.asarray(a.data) if a.ndim == 0 and isinstance(
            a.data, (numpy.ndarray, numpy.generic)) else a.dtype for a in arrays], *scalars)
    if policy.mixed_dtypes == "raise":
        # Chainer: only Variables count; constants (arrays, numbers) take their dtype.
        variables = [a for a in arrays if not a._is_constant] or arrays
        kinds = {a.dtype for a in variables}
        if len(kinds) > 1:
            raise InvalidType("lhs.dtype == rhs.dtype", " != ".join(str(a.dtype) for a in variables),
                              function_name)
        if (policy.integer_arithmetic == "float_only" and len(variables) > 1
                and variables[0].dtype.kind != "f"):
            raise InvalidType("lhs.dtype.kind == f", f"{variables[0].dtype.kind} != f", function_name)
        return variables[0].dtype
    if not arrays:  # Python numbers only (torch.add(2, 3)): the top category's default
        return numpy.dtype(_DEFAULT_FOR_CATEGORY[max(_scalar_category(s) for s in scalars)])
    dimensioned = [a.dtype for a in arrays if a.ndim > 0]
    zero_dim = [a.dtype for a in arrays if a.ndim == 0]
    top = max(_CATEGORY[d.kind] for d in dtypes)
    in_top = [d for d in dimensioned if _CATEGORY[d.kind] == top] or \
             [d for d in zero_dim if _CATEGORY[d.kind] == top]
    dtype = numpy.result_type(*in_top)
    if scalars:
        scalar_top = max(_scalar_category(s) for s in scalars)
        if scalar_top > top:
            if scalar_top == 3 and top == 2:  # a complex number keeps the float's precision
                dtype = numpy.result_type(dtype, numpy.complex64)
            else:
                dtype = numpy.dtype(_DEFAULT_FOR_CATEGORY[scalar_top])
    return numpy.dtype(dtype)


def numbers_only(a, b, name, allowed=True):
    """For ``a`` and ``b`` both Python numbers (no Variable, no array): policy field
    ``number_operands``: 0-d constant Variables of the numbers' default dtype (torch:
    ``torch.add(2, 3)``), or TypeError (chainer; and any op with ``allowed=False``, as
    ``torch.pow(2, 3)``). None when an operand is not a Python number."""
    if type(a) is Variable or type(b) is Variable or not all(
            isinstance(v, numbers.Number) and not hasattr(v, "dtype") for v in (a, b)):
        return None
    rule = _semantics.current().number_operands
    if not allowed or rule == "raise":
        raise TypeError(f"{name} needs a Variable or an array operand, got two numbers "
                        f"a={a!r}, b={b!r}")
    dtype = numpy.result_type(a, b) if rule == "numpy" else result_dtype([a, b], name)
    return [Variable._constant(numpy.asarray(v, dtype=dtype)) for v in (a, b)]


def prepare_operands(operands, function_name):
    """Variables of one common dtype for ``operands`` (Variables, arrays or Python numbers)."""
    if len(operands) == 2 and _semantics.current().mixed_dtypes != "numpy":  # fast paths
        a, b = operands
        if type(a) is Variable and a.data.dtype.kind == "f":
            if type(b) is Variable and b.data.dtype == a.data.dtype:
                return [a, b]
            if type(b) in (float, int):
                return [a, Variable._constant(_backend.get_array_module(a.data).asarray(b, dtype=a.data.dtype))]
        elif type(b) is Variable and b.data.dtype.kind == "f" and type(a) in (float, int):
            return [Variable._constant(_backend.get_array_module(b.data).asarray(a, dtype=b.data.dtype)), b]
    for v in operands:
        if isinstance(v, str):
            raise argument_error("str_operand", f"{function_name} operands must be Variables, "
                                                f"arrays or numbers, got {v!r}", function_name)
    operands = [v if isinstance(v, (Variable, numbers.Number)) else as_variable(v) for v in operands]
    dtype = result_dtype(operands, function_name)
    like = next(v for v in operands if isinstance(v, Variable))
    xp = _backend.get_array_module(like.data)
    prepared = []
    for v in operands:
        if not isinstance(v, Variable):
            v = Variable._constant(xp.asarray(v, dtype=dtype))
        elif v.dtype != dtype:
            v = v._astype(dtype)
        prepared.append(v)
    return prepared


def normalize_axis(axis, ndim, name="axis", kind="axis"):
    """A tuple of non-negative axes (None means all), validated against ``ndim``; an axis out
    of range raises the policy's ``kind`` error."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{name} must be an int, a tuple of ints or None, got {name}={axis!r}")
    result = []
    for a in axes:
        if not isinstance(a, numbers.Integral) or isinstance(a, bool):
            raise TypeError(f"{name} must be an int, a tuple of ints or None, got {name}={axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise argument_error(kind, f"{name}={axis!r} is out of range for an array of "
                                       f"ndim={ndim}")
        result.append(int(a) % max(ndim, 1))
    if len(set(result)) != len(result):
        raise argument_error("repeated_axis", f"{name}={axis!r} repeats an axis")
    return tuple(result)


def returns_input(op_name):
    """Whether ``op_name`` returns its input itself when it changes nothing (policy field
    ``identity_ops_return_input``); consulted only in an op's no-op branch."""
    return op_name in _semantics.current().identity_ops_return_input


def check_zero_dim_axis(x, axis, function_name, expect="x.ndim > 0"):
    """Under the policy's ``zero_dim_axis='raise'`` (chainer), an axis other than None or ()
    given to a 0-d ``x`` raises InvalidType, as chainer's type check."""
    if x.ndim or axis is None or _semantics.current().zero_dim_axis != "raise":
        return
    if isinstance(axis, numbers.Integral) or len(tuple(axis)):
        raise InvalidType(expect, "0 <= 0", function_name)


class HandWrittenBackward(Function):
    """``value(*inputs)``, a composite of refimpl ops run without a graph, whose gradients are
    ``gradients(gy, *inputs)`` (one per input; None where it needs none): a framework's own
    backward formula, written with refimpl ops (so differentiable again). It differs from the
    chain rule of the composite only in how an infinite or NaN output gradient spreads: one
    product where the composite adds ``gy a + gy b`` (inf - inf = NaN), a gradient left
    uncentred where the centring's mean is 0 for finite values, a selection where the
    composite multiplies by 0."""

    def __init__(self, value, gradients):
        self.value, self.gradients = value, gradients

    def forward(self, *arrays):
        with no_grad():
            return self.value(*[Variable._constant(a) for a in arrays]).data

    def backward(self, gy):
        inputs = self.inputs
        return tuple([g if x.requires_grad else None
                      for x, g in zip(inputs, self.gradients(gy, *inputs))])


class OneProduct(HandWrittenBackward):
    """``value(*inputs)`` whose gradient in each input is one product ``gy *
    derivative(*inputs)``, as the frameworks' backward kernels compute it (torch's
    ``gelu_backward``, ``mish_backward``, binary_cross_entropy_with_logits',
    multi_margin_loss'; chainer's SigmoidCrossEntropyGrad): an infinite or NaN output
    gradient meets the derivative once. ``derivatives``: one per input."""

    def __init__(self, value, *derivatives):
        def gradients(gy, *inputs):
            return [gy * derivative(*inputs) if x.requires_grad else None
                    for x, derivative in zip(inputs, derivatives)]
        super().__init__(value, gradients)
