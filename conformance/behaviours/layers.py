"""Behaviour cases for layer-level policy fields (pooling, linear layout, initialisers, mixed
dtypes of input and weight, unbatched inputs); registered into ``core.CASES`` on import.

Each case is written once against the adapter protocol and ``conformance.checks.layers``
(which calls the framework's own function, or refimpl's under the adapter's policy, without
passing the argument whose default the field models). Where refimpl deliberately raises a
clearer error than the framework (another class, or a message naming the shapes), the case
records only *that* the step raised (``raised``), and its docstring says why.
"""
import math

import numpy

from ..checks.layers import conv_layer, fan_in, functional_call, linear_layer
from ..checks.observations import attempt
from ..frameworks.base import NotSupported
from .core import behaviour, f32


def raised(record, name, function):
    """Run ``function()``; record only whether it raised (True) or not (False). Returns its
    result, or None when it raised."""
    try:
        result = function()
    except NotSupported:  # the framework lacks the subject: a skip cell, never a verdict
        raise
    except Exception:  # noqa: BLE001 - the class/message is deliberately not compared
        record(name, True)
        return None
    record(name, False)
    return result


def _window_of_four():
    """A (1, 1, 5, 5) input 0..24: 2x2 windows of stride 2 leave a last row and column."""
    return numpy.arange(25, dtype=numpy.float32).reshape(1, 1, 5, 5)


# --- pooling ----------------------------------------------------------------------------------

@behaviour("max_pooling_cover_all")
def max_pooling_default_size(adapter, record):
    """max pooling 2x2 (stride 2) of a 5x5 input without a size rule: torch ``max_pool2d``
    floors (2x2 output), chainer ``max_pooling_2d`` covers every pixel (``cover_all=True``:
    3x3, the last windows half in the padding); gradients go to each window's maximum."""
    x = adapter.tensor(_window_of_four(), requires_grad=True)
    y = functional_call(adapter, "max_pooling_2d", x, 2)
    record("y", y)
    adapter.backward(adapter.call("sum", y))
    record("x.grad", adapter.grad_of(x))


@behaviour("max_pooling_nan_index")
def max_pooling_nan_gradient(adapter, record):
    """A 2x2 max-pooling window holding two NaNs: the output is NaN in both; the gradient goes
    to the last NaN (torch 2.13: ``val > max || isnan(val)``) or the first (chainer: NumPy
    argmax)."""
    x = adapter.tensor(f32([[[[1.0, numpy.nan], [numpy.nan, 0.5]]]]), requires_grad=True)
    y = functional_call(adapter, "max_pooling_2d", x, 2)
    record("y", y)
    adapter.backward(adapter.call("sum", y))
    record("x.grad", adapter.grad_of(x))


@behaviour("pooling_pad_limit")
def pooling_pad_above_half_kernel(adapter, record):
    """Pooling 2x2 (stride 2) of a 4x4 input with pad 2 > 2 // 2: torch raises RuntimeError for
    max and average pooling; chainer pools, a window entirely in the padding giving -inf (max)
    and 0 (average). With pad 1 both pool.

    Only *whether* pad 2 raises is compared: torch's RuntimeError('pad should be at most half
    of effective kernel size, but got pad=2, kernel_size=2 and dilation=1') and refimpl's
    ValueError naming pad and ksize are different classes on purpose (refimpl validates the
    argument at its boundary)."""
    ones = numpy.ones((1, 1, 4, 4), numpy.float32)
    for subject in ("max_pooling_2d", "average_pooling_2d"):
        x = adapter.tensor(ones)
        y = raised(record, f"{subject}.pad2.raised",
                   lambda: functional_call(adapter, subject, x, 2, 2, 2))
        if y is not None:
            record(f"{subject}.pad2.y", y)
        record(f"{subject}.pad1.y", functional_call(adapter, subject, x, 2, 2, 1))


@behaviour("conv_unbatched_input")
def unbatched_input(adapter, record):
    """A 3-D (C, H, W) input: torch reads it as one unbatched sample for conv2d,
    conv_transpose2d, max and average pooling (outputs without the batch axis); chainer
    raises.

    Only *whether* each call raises is compared: chainer raises InvalidType ('in_types[0].ndim
    == 4') for conv, deconv and average pooling and a ValueError about the 'number of
    dimensions under channel dimension' for max pooling; refimpl raises one ValueError naming
    the shape for all four (deliberately clearer)."""
    x = adapter.tensor(numpy.arange(18, dtype=numpy.float32).reshape(2, 3, 3) / 4)
    weight = adapter.tensor(numpy.ones((3, 2, 2, 2), numpy.float32) / 8)
    transposed_weight = adapter.tensor(numpy.ones((2, 3, 2, 2), numpy.float32) / 8)
    calls = {
        "conv2d": lambda: functional_call(adapter, "conv2d", x, weight),
        "conv_transpose2d": lambda: functional_call(adapter, "conv_transpose2d", x,
                                                    transposed_weight),
        "max_pooling_2d": lambda: functional_call(adapter, "max_pooling_2d", x, 2, 1),
        "average_pooling_2d": lambda: functional_call(adapter, "average_pooling_2d", x, 2, 1),
    }
    for name, call in calls.items():
        y = raised(record, f"{name}.raised", call)
        if y is not None:
            record(f"{name}.y", y)


# --- linear layout --------------------------------------------------------------------------

@behaviour("linear_input_layout")
def linear_input_layout(adapter, record):
    """linear of a (2, 3, 4) input: torch applies W (5, 4) to the last axis ((2, 3, 5)) and
    rejects W (5, 12); chainer flattens to (2, 12), so W (5, 12) gives (2, 5) and W (5, 4)
    raises. Both errors are compared by class and message (torch: RuntimeError 'mat1 and mat2
    shapes cannot be multiplied (6x4 and 12x5)', chainer: InvalidType 'x.shape[1] ==
    W.shape[1]')."""
    x = adapter.tensor(numpy.arange(24, dtype=numpy.float32).reshape(2, 3, 4) / 10,
                       requires_grad=True)
    for name, shape in (("W_last_axis", (5, 4)), ("W_flattened", (5, 12))):
        weight = adapter.tensor(numpy.linspace(-1, 1, math.prod(shape), dtype=numpy.float32)
                                .reshape(shape), requires_grad=True)
        y = attempt(record, name, lambda: functional_call(adapter, "linear", x, weight))
        if y is not None:
            record(f"{name}.y", y)
            adapter.backward(adapter.call("sum", y))
            record(f"{name}.W.grad", adapter.grad_of(weight))
            record(f"{name}.x.grad", adapter.grad_of(x))


@behaviour("matmul_error_names_op")
def matmul_error_names_op(adapter, record):
    """linear of x (6, 4) with W (5, 12): the class of the error, and whether its message starts
    with the op's name ('mm: mat1 and mat2 shapes cannot be multiplied', torch 2.15) or not
    ('mat1 and mat2 ...', torch 2.9 to 2.14; chainer's InvalidType)."""
    x = adapter.tensor(numpy.zeros((6, 4), numpy.float32), requires_grad=True)
    weight = adapter.tensor(numpy.zeros((5, 12), numpy.float32), requires_grad=True)
    try:
        functional_call(adapter, "linear", x, weight)
    except NotSupported:  # the framework has no linear: the case does not apply
        raise
    except Exception as error:  # noqa: BLE001 - the error is the behaviour under test
        record("error", type(error).__name__)
        record("message_names_op", str(error).startswith("mm: "))
    else:
        record("error", None)


# --- mixed dtypes ----------------------------------------------------------------------------

@behaviour("linear_mixed_dtypes")
def linear_mixed_dtypes(adapter, record):
    """linear(x float32, W float64): torch raises RuntimeError; chainer computes in x's dtype
    (y float32) and W's gradient keeps W's dtype (float64).

    Only *whether* it raises is compared: torch's message ('expected m1 and m2 to have the
    same dtype, but got: float != double') names BLAS operands; refimpl's RuntimeError names
    x.dtype and W.dtype instead (deliberately clearer)."""
    x = adapter.tensor(f32([[1, 2, 3], [4, 5, 6]]) / 4, requires_grad=True)
    weight = adapter.tensor(numpy.array([[1, -1, 2], [0.5, 0, -2]], numpy.float64),
                            requires_grad=True)
    y = raised(record, "raised", lambda: functional_call(adapter, "linear", x, weight))
    if y is not None:
        record("y", y)
        record("y.dtype", adapter.dtype_of(y))
        adapter.backward(adapter.call("sum", y))
        record("x.grad", adapter.grad_of(x))
        record("W.grad", adapter.grad_of(weight))


@behaviour("conv_mixed_dtypes")
def conv_mixed_dtypes(adapter, record):
    """conv2d(x float32, W float64): torch raises RuntimeError('expected scalar type Float but
    found Double'); chainer 7.8.1 computes with W cast to x's dtype (y float32, W.grad
    float64). Compared by class and message."""
    x = adapter.tensor(numpy.arange(18, dtype=numpy.float32).reshape(1, 2, 3, 3) / 8,
                       requires_grad=True)
    weight = adapter.tensor(numpy.linspace(-1, 1, 8).reshape(1, 2, 2, 2), requires_grad=True)
    y = attempt(record, "conv2d", lambda: functional_call(adapter, "conv2d", x, weight))
    if y is not None:
        record("y", y)
        record("y.dtype", adapter.dtype_of(y))
        adapter.backward(adapter.call("sum", y))
        record("x.grad", adapter.grad_of(x))
        record("W.grad", adapter.grad_of(weight))


# --- default initialisers -----------------------------------------------------------------------

def _initialisation_facts(adapter, record, prefix, weight, bias):
    """Deterministic facts of a freshly initialised weight and bias (not their random values):
    whether every |W| <= b = 1/sqrt(fan_in) (always for torch's U(-b, b); for LeCun's
    N(0, 1/fan_in) with thousands of elements the chance is below 1e-300); the std in units
    of b as a bucket: '0.5-0.7' (uniform: 1/sqrt(3) = 0.577), '0.85-1.15' (normal: 1.0), else
    the ratio itself (with >= 4096 elements the sampling error of the std is 0.6% (uniform)
    and 1.1% (normal): the bucket edges are 13 or more standard errors away); whether the mean
    is within 0.1 b of 0 (6 or more standard errors); whether the bias is all zeros and within
    the bound."""
    w, b = adapter.to_numpy(weight), adapter.to_numpy(bias)
    record(f"{prefix}.W.dtype", str(w.dtype))
    record(f"{prefix}.b.dtype", str(b.dtype))
    w, b = w.astype(numpy.float64), b.astype(numpy.float64)
    bound = 1 / numpy.sqrt(fan_in(w.shape))
    record(f"{prefix}.W.within_bound", bool(numpy.all(numpy.abs(w) <= bound)))
    ratio = float(w.std() / bound)
    record(f"{prefix}.W.std_bucket", "0.5-0.7" if 0.5 <= ratio < 0.7 else
           "0.85-1.15" if 0.85 <= ratio < 1.15 else f"{ratio:.2f}")
    record(f"{prefix}.W.mean_near_zero", bool(abs(w.mean()) < 0.1 * bound))
    record(f"{prefix}.b.all_zero", bool(numpy.all(b == 0)))
    record(f"{prefix}.b.within_bound", bool(numpy.all(numpy.abs(b) <= bound)))


@behaviour("weight_initializer", "bias_initializer")
def default_initialisers(adapter, record):
    """Default Linear(64, 64) and Conv2d(16, 32, 3) parameters: torch draws W and b from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (std 0.58/sqrt(fan_in), every |W| within the bound);
    chainer draws W from LeCunNormal N(0, 1/fan_in) (std 1/sqrt(fan_in)) and sets b to 0.
    Recorded: deterministic facts, not the random values (see ``_initialisation_facts``)."""
    _, (weight, bias) = linear_layer(adapter, 64, 64)
    _initialisation_facts(adapter, record, "linear", weight, bias)
    _, (weight, bias) = conv_layer(adapter, 16, 32, 3)
    _initialisation_facts(adapter, record, "conv", weight, bias)


@behaviour("pooling_one_element_tuple")
def pooling_one_element_tuple(adapter, record):
    """max pooling with one-element tuples for kernel and stride, ``(2,)``: torch reads them
    as (2, 2), chainer raises."""
    x = adapter.tensor(numpy.arange(16, dtype=numpy.float32).reshape(1, 1, 4, 4))
    y = raised(record, "max_pooling_2d((2,), (2,))",
               lambda: functional_call(adapter, "max_pooling_2d", x, (2,), (2,)))
    if y is not None:
        record("y", y)
