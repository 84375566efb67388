"""Behaviour cases of ops where the frameworks differ: dtypes, max/min, default axes and
argument meanings, and behaviours both frameworks share (``common``). Each case names the
``refimpl.Policy`` fields it verifies (see ``core``)."""
import warnings

import numpy

from ..checks.observations import attempt
from ..frameworks.base import NotSupported
from .core import behaviour, f32, record_grads, values_of


# --- dtypes ------------------------------------------------------------------------------

@behaviour("mixed_dtypes")
def mixed_dtypes(adapter, record):
    """Binary ops on different dtypes: torch promotes (float32 + float64 -> float64; a 0-d
    float64 does not upcast; int32 + float32 -> float32); chainer raises InvalidType for
    Variables and casts Python numbers to the Variable's dtype."""
    call = adapter.call
    a32 = adapter.tensor(f32([1, 2]), requires_grad=True)
    a64 = adapter.tensor(numpy.array([1, 2], numpy.float64), requires_grad=True)
    total = attempt(record, "f32+f64", lambda: call("add", a32, a64))
    if total is not None:
        record("f32+f64.dtype", adapter.dtype_of(total))
        adapter.backward(call("sum", total))
        record_grads(adapter, record, "f32+f64", a32=a32, a64=a64)
    scalar64 = adapter.tensor(numpy.array(2.0, numpy.float64), requires_grad=True)
    total = attempt(record, "f32+f64_0d", lambda: call("add", a32, scalar64))
    if total is not None:
        record("f32+f64_0d.dtype", adapter.dtype_of(total))
    constant64 = adapter.tensor(numpy.array([1, 2], numpy.float64), requires_grad=False)
    total = attempt(record, "f32+f64_no_grad", lambda: call("add", a32, constant64))
    if total is not None:
        record("f32+f64_no_grad.dtype", adapter.dtype_of(total))
    integers = adapter.tensor(numpy.array([1, 2], numpy.int32), requires_grad=False)
    total = attempt(record, "i32+f32", lambda: call("add", integers, a32))
    if total is not None:
        record("i32+f32.dtype", adapter.dtype_of(total))
    record("f32*2.5.dtype", adapter.dtype_of(call("mul", a32, 2.5)))
    record("f32*2.dtype", adapter.dtype_of(call("mul", a32, 2)))
    if "numpy_operands" in adapter.features:  # torch tensors do not take NumPy operands
        record("f32+f64_ndarray.dtype", adapter.dtype_of(call("add", a32, numpy.array([1.0, 2.0]))))
        record("f32+np.float64.dtype", adapter.dtype_of(call("add", a32, numpy.float64(2.0))))


@behaviour("integer_arithmetic")
def integer_arithmetic(adapter, record):
    """int32 arithmetic: torch computes it (true division gives float32); chainer raises
    InvalidType for Variable*Variable and **, and x / 2 multiplies by int(1/2) = 0. Run on a
    tensor made with the framework's default requires_grad (chainer: True) and with
    requires_grad=False."""
    call = adapter.call
    for variant, requires_grad in (("default", None), ("no_grad", False)):
        integers = adapter.tensor(numpy.array([1, 2, 3], numpy.int32), requires_grad=requires_grad)
        for name, op, operand in (("x*x", "mul", integers), ("x/2", "div", 2), ("x**2", "pow", 2),
                                  ("x+1", "add", 1)):
            result = attempt(record, f"{variant}.{name}", lambda: call(op, integers, operand))
            if result is not None:
                record(f"{variant}.{name}.value", result)


@behaviour("integer_requires_grad")
def integer_requires_grad(adapter, record):
    """An int32 tensor that requires grad: torch raises, chainer allows it."""
    integers = attempt(record, "make", lambda: adapter.tensor(numpy.array([1, 2, 3], numpy.int32),
                                                              requires_grad=True))
    if integers is not None:
        record("requires_grad", adapter.requires_grad(integers))


@behaviour("index_dtype")
def index_dtype(adapter, record):
    """argmax indices: torch int64, chainer int32 (values: the first maximum)."""
    call = adapter.call
    x = adapter.tensor(f32([[1, 3, 3], [2, 3, 0]]))
    record("argmax", call("argmax", x))
    record("argmax.axis0", call("argmax", x, axis=0))
    record("argmax.dtype", adapter.dtype_of(call("argmax", x)))


# --- max / min -------------------------------------------------------------------------

@behaviour("max_returns_indices", "max_axis_tie_gradient", seed="001")
def seed_max_values_indices(adapter, record):
    """Seed 001: torch.max(a, 0) returns values (with a graph) and indices (without); chainer
    F.max returns values only. The gradient goes to the returned index (torch) or to every
    tied element (chainer)."""
    call = adapter.call
    for name, values in (("1d", [1, 2, 3]), ("2d", [[1, 3, 3], [2, 3, 0]])):
        a = adapter.tensor(f32(values), requires_grad=True)
        result = call("max", a, axis=0)
        record(f"{name}.returns_pair", isinstance(result, tuple))
        maxima = values_of(result)
        record(f"{name}.values", maxima)
        record(f"{name}.values.has_graph", adapter.has_graph(maxima))
        if isinstance(result, tuple):
            indices = result[1]
            record(f"{name}.indices", indices)
            record(f"{name}.indices.requires_grad", adapter.requires_grad(indices))
            record(f"{name}.indices.has_graph", adapter.has_graph(indices))
        adapter.backward(call("sum", maxima))
        record(f"{name}.a.grad", adapter.grad_of(a))


@behaviour("matmul_mixed_dtypes")
def matmul_mixed_dtypes(adapter, record):
    """float32 @ float64: torch refuses; chainer computes in float64 and gives each input its
    gradient in its own dtype."""
    call = adapter.call
    a = adapter.tensor(f32([[1, 2], [3, 4]]), requires_grad=True)
    b = adapter.tensor(numpy.array([[1.0, 0.0], [0.0, 2.0]]), requires_grad=True)
    y = _outcome(record, "y", lambda: call("matmul", a, b))  # torch's message is its own
    if y is not None:
        adapter.backward(call("sum", y))
        record("a.grad", adapter.grad_of(a))
        record("b.grad", adapter.grad_of(b))


@behaviour("max_tie_gradient")
def max_tie_gradient(adapter, record):
    """max/min over all elements with ties: torch splits the gradient evenly, chainer gives
    each tied element the full gradient."""
    call = adapter.call
    for op, values in (("max", [1, 3, 3]), ("min", [1, 1, 3])):
        a = adapter.tensor(f32(values), requires_grad=True)
        adapter.backward(call(op, a))
        record(f"{op}.a.grad", adapter.grad_of(a))


@behaviour("max_axis_tie_gradient")
def max_axis_tie_gradient(adapter, record):
    """max/min along an axis with ties: torch gives the gradient to the returned index only,
    chainer to every tied element."""
    call = adapter.call
    for op, values in (("max", [3, 1, 3]), ("min", [1, 3, 1])):
        a = adapter.tensor(f32(values), requires_grad=True)
        result = values_of(call(op, a, axis=0))
        record(f"{op}.value", result)
        adapter.backward(result)
        record(f"{op}.a.grad", adapter.grad_of(a))


# --- default axes and argument meanings ---------------------------------------------------

@behaviour("concat_default_axis")
def concat_default_axis(adapter, record):
    """concat without an axis: torch.cat joins along 0, chainer F.concat along 1."""
    call = adapter.call
    a = adapter.tensor(f32([[1, 2], [3, 4]]))
    b = adapter.tensor(f32([[5, 6], [7, 8]]))
    record("concat", call("concat", [a, b]))


@behaviour("concat_default_axis", "invalid_argument_errors", seed="001")
def seed_cat_shapes_and_error(adapter, record):
    """Seed 001: int tensors (3,3) and (3,2): joining along axis 0 raises (sizes must match
    except in dimension 0), along axis 1 gives (3,5); with the default axis torch raises and
    chainer joins along 1."""
    call = adapter.call
    ones = adapter.tensor(numpy.ones((3, 3), numpy.int64))
    twos = adapter.tensor(numpy.full((3, 2), 2, numpy.int64))
    for name, axis in (("axis0", 0), ("axis1", 1), ("default", None)):
        joined = attempt(record, name, lambda: call("concat", [ones, twos], axis=axis))
        if joined is not None:
            record(f"{name}.value", joined)


@behaviour("softmax_default_axis")
def softmax_default_axis(adapter, record):
    """softmax/log_softmax without an axis: torch picks 0 for 1-d and 3-d inputs and 1
    otherwise, with a UserWarning; chainer always uses 1. Records which explicit axes give
    the same result as the implicit call.

    An out-of-range default axis (chainer, 1-d input) raises; only the exception class is
    compared for that step: chainer's message is an internal type_check error ("An Expr
    instance cannot be evaluated as bool..." in 7.8.1, "Don't convert Expr to bool..." in
    5.4.0) that says nothing about the axis, and refimpl raises the same class with a
    message naming the axis instead of copying it."""
    call = adapter.call
    for ndim in (1, 2, 3, 4):
        shape = (2, 3, 4, 5)[:ndim]
        array = numpy.arange(numpy.prod(shape), dtype=numpy.float32).reshape(shape) / 7
        for op in ("softmax", "log_softmax"):
            name = f"{op}.{ndim}d"
            x = adapter.tensor(array)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    implicit = call(op, x)
                    record(name, "ok")
                except NotSupported:  # the framework lacks the op: the case does not apply
                    raise
                except Exception as error:  # class only: see the docstring
                    implicit = None
                    record(name, ("raises", type(error).__name__))
            record(f"{name}.user_warnings", [" ".join(str(w.message).split()) for w in caught
                                             if issubclass(w.category, UserWarning)])
            if implicit is not None:
                implicit = adapter.to_numpy(implicit)
                record(f"{name}.matching_axes", [
                    axis for axis in range(ndim)
                    if numpy.array_equal(implicit, adapter.to_numpy(call(op, x, axis=axis)))])


@behaviour("split_semantics")
def split_semantics(adapter, record):
    """split(x, n or list, axis=1) on a (2, 6) input: torch reads sizes (an int is the piece
    size), chainer F.split_axis reads indices (an int is the number of pieces)."""
    call = adapter.call
    x = adapter.tensor(numpy.arange(12, dtype=numpy.float32).reshape(2, 6))
    for spec in (2, 3, [1, 3, 2], [2, 4]):
        pieces = call("split", x, spec, axis=1)
        record(f"split({spec}).shapes", [list(adapter.to_numpy(p).shape) for p in pieces])
        record(f"split({spec}).values", list(pieces))


@behaviour("leaky_relu_default_slope")
def leaky_relu_default_slope(adapter, record):
    """leaky_relu without a slope: torch 0.01, chainer 0.2 (values and gradient)."""
    call = adapter.call
    x = adapter.tensor(f32([-2, -0.5, 1, 3]), requires_grad=True)
    y = _outcome(record, "y", lambda: call("leaky_relu", x))  # no default slope: raises
    if y is None:
        return
    adapter.backward(call("sum", y))
    record("x.grad", adapter.grad_of(x))


# --- behaviours both frameworks share -------------------------------------------------------

@behaviour(seed="001")
def seed_boolean_mask(adapter, record):
    """Seed 001: x[mask] selects [1, 3]; its gradient scatters back as [1, 0, 1]."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    mask = numpy.array([True, False, True])
    selected = call("getitem", x, mask)
    record("x[mask]", selected)
    adapter.backward(call("sum", selected))
    record("x.grad", adapter.grad_of(x))


@behaviour(ops=("topk",), seed="001")
def seed_topk(adapter, record):
    """Seed 001: topk(fi, 2) of the notebook's 4x3 tensor (values and indices, last axis);
    with ties the lower index wins and the gradient goes to the selected elements."""
    call = adapter.call
    fi = adapter.tensor(f32([[-0.0879, 1.2384, 0.3714], [0.6582, 0.4486, 1.1292],
                             [0.7334, -1.0504, 0.9428], [1.9731, -0.2247, 0.6539]]))
    values, indices = call("topk", fi, 2)
    record("values", values)
    record("indices", indices)
    a = adapter.tensor(f32([1, 3, 3, 2]), requires_grad=True)
    values, indices = call("topk", a, 2)
    record("ties.values", values)
    record("ties.indices", indices)
    adapter.backward(call("sum", values))
    record("ties.a.grad", adapter.grad_of(a))


@behaviour("identity_ops_return_input")
def identity_ops_return_input(adapter, record):
    """Ops that change nothing (same shape, identity permutation, nothing to squeeze, same
    dtype) return the input itself or a new node; torch returns the input only for ``to`` the
    same dtype and ``sum_to_size`` the same shape, chainer for reshape, broadcast_to and
    sum_to."""
    call = adapter.call
    x = adapter.tensor(f32([[1, 2], [3, 4]]), requires_grad=True)
    calls = {
        "reshape": lambda: call("reshape", x, (2, 2)),
        "transpose": lambda: call("transpose", x, (0, 1)),
        "squeeze": lambda: call("squeeze", x),
        "cast": lambda: call("cast", x, "float32"),
        "broadcast_to": lambda: call("broadcast_to", x, (2, 2)),
        "sum_to": lambda: call("sum_to", x, (2, 2)),
    }
    for name, function in calls.items():
        record(f"{name}.returns_input", function() is x)


@behaviour("no_grad_views")
def no_grad_views(adapter, record):
    """A view (reshape) made under no_grad of a tensor that requires grad: torch gives a
    tensor that requires grad but has no gradient edge, so a backward through it writes no
    grad anywhere; chainer gives a leaf that requires grad and receives the gradient."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    with adapter.no_grad():
        view = call("reshape", x, (3, 1))
    record("view.requires_grad", adapter.requires_grad(view))
    record("view.has_graph", adapter.has_graph(view))
    attempt(record, "backward", lambda: adapter.backward(call("sum", call("mul", view, 2))))
    record("view.grad", adapter.grad_of(view))
    record("x.grad", adapter.grad_of(x))


@behaviour("zero_dim_axis")
def zero_dim_axis(adapter, record):
    """An axis given to a 0-d input: torch accepts axis 0/-1 (reducing over nothing), chainer
    raises InvalidType for reductions and argmax."""
    call = adapter.call
    x = adapter.tensor(f32(3.0), requires_grad=True)
    record("sum", attempt(record, "sum.raises", lambda: call("sum", x, 0)))
    record("max", attempt(record, "max.raises", lambda: call("max", x, 0)))
    attempt(record, "argmax.raises", lambda: call("argmax", x, 0))


# --- edge inputs (issue 15 fields; observed on torch 2.13.0 and chainer 7.8.1) --------------

def _outcome(record, name, function):
    """Run ``function()``; record its result, or only the class of what it raised (the
    frameworks' messages are their own: refimpl names the argument instead)."""
    try:
        result = function()
    except NotSupported:  # the framework lacks what the case calls: a skip, never a value
        raise
    except Exception as error:  # noqa: BLE001 - the class is the behaviour under test
        record(name, ("raises", type(error).__name__))
        return None
    record(name, result)
    return result


@behaviour("pow_gradient_masks")
def pow_gradient_masks(adapter, record):
    """Gradients of sum(a ** b) at a = [0, -2, 0.5], b = [2, 2, 0]: d/db at a = 0, b = 2 is
    0 in torch (masked) and NaN in chainer (0 * log 0); log(-2) is NaN in both."""
    call = adapter.call
    a = adapter.tensor(f32([0.0, -2.0, 0.5]), requires_grad=True)
    b = adapter.tensor(f32([2.0, 2.0, 0.0]), requires_grad=True)
    with numpy.errstate(all="ignore"):
        adapter.backward(call("sum", call("pow", a, b)))
    record_grads(adapter, record, "pow", a=a, b=b)


@behaviour("relu_nan_gradient")
def relu_nan_gradient(adapter, record):
    """relu's gradient at NaN: torch 1, chainer 0."""
    call = adapter.call
    x = adapter.tensor(f32([numpy.nan, 1.0, -1.0]), requires_grad=True)
    adapter.backward(call("sum", call("relu", x)))
    record("x.grad", adapter.grad_of(x))


@behaviour("abs_nan_gradient")
def abs_nan_gradient(adapter, record):
    """abs's gradient at NaN: torch 0, chainer NaN."""
    call = adapter.call
    x = adapter.tensor(f32([numpy.nan, 2.0, -2.0]), requires_grad=True)
    adapter.backward(call("sum", call("abs", x)))
    record("x.grad", adapter.grad_of(x))


@behaviour("empty_softmax_axis")
def empty_softmax_axis(adapter, record):
    """softmax and log_softmax over an axis of length 0: torch returns the empty result,
    chainer raises."""
    call = adapter.call
    x = adapter.tensor(numpy.zeros((2, 0), numpy.float32))
    for op in ("softmax", "log_softmax"):
        _outcome(record, op, lambda op=op: adapter.to_numpy(call(op, x, axis=1)))


@behaviour("empty_mean_axis")
def empty_mean_axis(adapter, record):
    """mean over an axis of length 0: torch NaN, chainer raises (ZeroDivisionError)."""
    call = adapter.call
    x = adapter.tensor(numpy.zeros((2, 0), numpy.float32))
    with numpy.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _outcome(record, "mean", lambda: adapter.to_numpy(call("mean", x, axis=1)))


@behaviour("clip_none_bound")
def clip_none_bound(adapter, record):
    """clip with one bound None: torch and chainer 7 clip one side only, chainer 5 and 6 raise
    TypeError."""
    call = adapter.call
    x = adapter.tensor(f32([-2.0, 0.5, 3.0]))
    _outcome(record, "clip(x, None, 1)", lambda: adapter.to_numpy(call("clip", x, None, 1.0)))
    _outcome(record, "clip(x, 0, None)", lambda: adapter.to_numpy(call("clip", x, 0.0, None)))
    record("clip(x, 0, 1)", adapter.to_numpy(call("clip", x, 0.0, 1.0)))


@behaviour("squeeze_non_unit_axis")
def squeeze_non_unit_axis(adapter, record):
    """squeeze of an axis whose length is 2: torch leaves the shape, chainer raises."""
    call = adapter.call
    x = adapter.tensor(numpy.ones((2, 1), numpy.float32))
    _outcome(record, "squeeze(axis=0).shape",
             lambda: list(adapter.to_numpy(call("squeeze", x, axis=0)).shape))
    record("squeeze(axis=1).shape", list(adapter.to_numpy(call("squeeze", x, axis=1)).shape))


@behaviour("concat_skips_legacy_empty")
def concat_skips_legacy_empty(adapter, record):
    """concat of a legacy empty (0,) tensor with a (2, 3) one along axis 0: torch skips it,
    chainer raises (InvalidType)."""
    call = adapter.call
    empty = adapter.tensor(numpy.zeros(0, numpy.float32))
    block = adapter.tensor(numpy.ones((2, 3), numpy.float32))
    _outcome(record, "concat", lambda: adapter.to_numpy(call("concat", [empty, block], axis=0)))


@behaviour("error_classes")
def error_classes(adapter, record):
    """The exception class of bad arguments: a reshape to a wrong size ('shape'), a sum over
    an axis out of range ('axis'), an index out of bounds ('index')."""
    call = adapter.call
    x = adapter.tensor(numpy.ones((2, 3), numpy.float32))
    _outcome(record, "reshape(7)", lambda: adapter.to_numpy(call("reshape", x, (7,))))
    _outcome(record, "sum(axis=5)", lambda: adapter.to_numpy(call("sum", x, axis=5)))
    _outcome(record, "getitem[9]", lambda: adapter.to_numpy(call("getitem", x, 9)))


@behaviour("number_operands")
def number_operands(adapter, record):
    """where(mask, 2.0, 3.0) with two Python numbers and no tensor: torch gives a tensor in
    the default float dtype, chainer raises (TypeError)."""
    mask = adapter.constant(numpy.array([True, False]))
    _outcome(record, "where(mask, 2.0, 3.0)",
             lambda: adapter.to_numpy(adapter.call("where", mask, 2.0, 3.0)))
