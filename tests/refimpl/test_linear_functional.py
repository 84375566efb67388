"""The functional linear ``refimpl.functions.linear.linear``: values against NumPy for both input
layouts (policy field ``linear_input_layout``), gradients to second order, the errors each
policy raises, and torch ``F.linear`` / chainer ``F.linear`` on hypothesis-drawn inputs.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import refimpl
import refimpl.functions as F
from refimpl.errors import InvalidType
from refimpl.functions.linear import LinearFunction, linear
from refimpl.gradient_check import check_backward, check_double_backward
from framework_imports import import_chainer as _import_chainer, import_torch as _import_torch

REALS = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False)


def arrays(shape):
    return hnp.arrays(np.float64, shape, elements=REALS)


@st.composite
def last_axis_samples(draw):
    """torch layout: x (*batch, in) with 0-3 batch axes, W (out, in), b (out,) or None."""
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=3), label="batch"))
    n_in, n_out = draw(st.integers(1, 3), label="in"), draw(st.integers(1, 3), label="out")
    x = draw(arrays(batch + (n_in,)), label="x")
    W = draw(arrays((n_out, n_in)), label="W")
    b = draw(st.none() | arrays((n_out,)), label="b")
    return x, W, b


@st.composite
def flatten_samples(draw):
    """chainer layout: x with n_batch_axes leading axes, the rest flattened into ``in``."""
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=4), label="x shape"))
    n_batch_axes = draw(st.integers(1, len(shape) - 1), label="n_batch_axes")
    n_out = draw(st.integers(1, 3), label="out")
    x = draw(arrays(shape), label="x")
    W = draw(arrays((n_out, math.prod(shape[n_batch_axes:]))), label="W")
    b = draw(st.none() | arrays((n_out,)), label="b")
    return x, W, b, n_batch_axes


def np_linear(x2, W, b):
    y = x2 @ W.T
    return y if b is None else y + b


def random_like(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def check_first_and_second_order(f, inputs):
    y = f(*[refimpl.Variable(a) for a in inputs])
    grad_outputs = [random_like(y.shape, 1)]
    check_backward(f, inputs, grad_outputs)
    check_double_backward(f, inputs, grad_outputs,
                          [random_like(a.shape, 2 + i) for i, a in enumerate(inputs)])


def as_function(b, **kwargs):
    """``linear`` as a function of (x, W[, b]) for the gradient checks."""
    if b is None:
        return lambda x, W: linear(x, W, **kwargs)
    return lambda x, W, bias: linear(x, W, bias, **kwargs)


def inputs_of(x, W, b):
    return [x, W] if b is None else [x, W, b]


# --------------------------------------------------------------------------------------
# Values and gradients
# --------------------------------------------------------------------------------------

@given(sample=last_axis_samples())
def test_last_axis_layout_values_and_gradients(sample):
    x, W, b = sample
    y = linear(x, W, b)
    expected = np_linear(x.reshape(-1, x.shape[-1]), W, b).reshape(x.shape[:-1] + (W.shape[0],))
    assert y.shape == x.shape[:-1] + (W.shape[0],)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-14)
    check_first_and_second_order(as_function(b), inputs_of(x, W, b))


@given(sample=flatten_samples())
def test_flatten_layout_values_and_gradients(sample):
    x, W, b, n_batch_axes = sample
    batch_shape = x.shape[:n_batch_axes]
    expected = np_linear(x.reshape(math.prod(batch_shape), -1), W, b).reshape(
        batch_shape + (W.shape[0],))
    with refimpl.semantics("chainer"):
        y = linear(x, W, b, n_batch_axes=None if n_batch_axes == 1 else n_batch_axes)
        np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-14)
        check_first_and_second_order(as_function(b, n_batch_axes=n_batch_axes), inputs_of(x, W, b))


def test_the_policy_picks_the_layout_of_a_3d_input():
    x = random_like((2, 3, 4))
    W_last, W_flat, b = random_like((5, 4), 1), random_like((5, 12), 2), random_like((5,), 3)
    assert linear(x, W_last, b).shape == (2, 3, 5)  # torch: last axis
    with refimpl.semantics("chainer"):
        np.testing.assert_allclose(linear(x, W_flat, b).data, x.reshape(2, 12) @ W_flat.T + b,
                                   rtol=1e-12)
        assert linear(x, W_last, b, n_batch_axes=2).shape == (2, 3, 5)
    # An explicit n_batch_axes selects chainer's flattening under the torch policy too.
    assert linear(x, W_flat, b, n_batch_axes=1).shape == (2, 5)


def test_torch_accepts_1d_inputs_1d_weights_and_broadcast_biases():
    x, W = random_like((3,)), random_like((4, 3), 1)
    np.testing.assert_allclose(linear(x, W).data, W @ x, rtol=1e-12)
    X = random_like((2, 3), 2)
    np.testing.assert_allclose(linear(X, x, np.array(1.5)).data, X @ x + 1.5, rtol=1e-12)
    B = random_like((2, 4), 3)
    np.testing.assert_allclose(linear(X, W, B).data, X @ W.T + B, rtol=1e-12)
    check_first_and_second_order(lambda a, w, bias: linear(a, w, bias), [X, W, B])


def test_gradients_only_for_inputs_that_require_them():
    x = refimpl.Variable(random_like((2, 3)), requires_grad=True)
    W, b = refimpl.Variable(random_like((4, 3), 1)), refimpl.Variable(random_like((4,), 2))
    F.sum(linear(x, W, b)).backward()
    np.testing.assert_allclose(x.grad, np.ones((2, 4)) @ W.data, rtol=1e-12)
    assert W.grad is None and b.grad is None


def test_float32_stays_float32_and_non_contiguous_inputs_work():
    x = random_like((6, 8)).astype(np.float32)[::2, ::2]  # neither C nor F contiguous
    W = random_like((5, 4), 1).astype(np.float32)
    y = linear(x, W.T.copy().T)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, x @ W.T, rtol=1e-5)


def test_fused_op_is_used_for_the_usual_bias():
    x = refimpl.Variable(random_like((2, 3)), requires_grad=True)
    y = linear(x, random_like((4, 3), 1), random_like((4,), 2))
    assert isinstance(y.creator, LinearFunction)


# --------------------------------------------------------------------------------------
# Errors under each policy
# --------------------------------------------------------------------------------------

TORCH_ERRORS = [
    ((2, 3), (5, 4), None, RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ((2, 3), (5, 3), (4,), RuntimeError, "does not broadcast"),
    ((), (5, 3), None, RuntimeError, "at least 1D"),
    ((2, 3), (5, 3, 1), None, RuntimeError, "W of 1 or 2 dimensions"),
]

CHAINER_ERRORS = [
    ((2, 3), (5, 4), None, InvalidType, r"x\.shape\[1\] == W\.shape\[1\]"),
    ((2, 3, 4), (5, 4), None, InvalidType, r"x\.shape\[1\] == W\.shape\[1\]"),
    ((2, 3), (5, 3), (4,), InvalidType, r"b\.shape\[0\] == W\.shape\[0\]"),
    ((2, 3), (5, 3), (2, 5), InvalidType, r"b\.ndim == 1"),
    ((2, 3), (5, 3), (), IndexError, "1-D b"),
    ((2, 3), (5, 3, 1), None, InvalidType, r"W\.ndim == 2"),
    ((2, 3), (3,), None, IndexError, "2-D W"),
    ((3,), (5, 3), None, IndexError, "2 or more dimensions"),
]


@pytest.mark.parametrize("policy, cases", [("torch", TORCH_ERRORS), ("chainer", CHAINER_ERRORS)])
def test_shape_errors(policy, cases):
    for x_shape, W_shape, b_shape, error, message in cases:
        b = None if b_shape is None else np.ones(b_shape)
        with refimpl.semantics(policy), pytest.raises(error, match=message):
            linear(np.ones(x_shape), np.ones(W_shape), b)


def test_dtype_rules():
    x32, W64 = np.ones((2, 3), np.float32), np.ones((4, 3))
    with pytest.raises(RuntimeError, match="one dtype"):
        linear(x32, W64)
    with refimpl.semantics("chainer"):
        W = refimpl.Variable(W64, requires_grad=True)
        y = linear(x32, W)  # chainer computes in x's dtype; W's gradient keeps W's dtype
        assert y.dtype == np.float32
        F.sum(y).backward()
        assert W.grad.dtype == np.float64
        with pytest.raises(InvalidType, match=r"b\.dtype == x\.dtype"):
            linear(x32, W64, np.ones(4))
        with pytest.raises(InvalidType, match=r"x\.dtype\.kind == f"):
            linear(np.ones((2, 3), np.int64), np.ones((4, 3), np.int64))
    np.testing.assert_array_equal(  # torch multiplies integers
        linear(np.ones((2, 3), np.int64), np.ones((4, 3), np.int64)).data, np.full((2, 4), 3))


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_n_batch_axes_must_be_a_positive_int(value):
    with pytest.raises(ValueError, match="n_batch_axes must be an int > 0"):
        linear(np.ones((2, 3)), np.ones((4, 3)), n_batch_axes=value)


# --------------------------------------------------------------------------------------
# The real frameworks
# --------------------------------------------------------------------------------------


def refimpl_value_and_grads(x, W, b, **kwargs):
    variables = [refimpl.Variable(a, requires_grad=True) for a in inputs_of(x, W, b)]
    y = linear(*variables, **kwargs)
    g = random_like(y.shape, 9)
    F.sum(y * g).backward()
    return y.data, [v.grad for v in variables], g


# float64 on both sides: the products are summed in different orders (BLAS blocking), so the
# results differ by rounding, a few ulps of values of order 10.
FRAMEWORK_TOL = dict(rtol=1e-10, atol=1e-12)


@pytest.mark.frameworks
@given(sample=last_axis_samples())
def test_matches_torch_linear(sample):
    torch = _import_torch()
    x, W, b = sample
    value, grads, g = refimpl_value_and_grads(x, W, b)
    tensors = [torch.tensor(a, requires_grad=True) for a in inputs_of(x, W, b)]
    y = torch.nn.functional.linear(*tensors)
    (y * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(value, y.detach().numpy(), **FRAMEWORK_TOL)
    for actual, tensor in zip(grads, tensors):
        np.testing.assert_allclose(actual, tensor.grad.numpy(), **FRAMEWORK_TOL)


@pytest.mark.frameworks
@given(sample=flatten_samples())
def test_matches_chainer_linear(sample):
    chainer = _import_chainer()
    x, W, b, n_batch_axes = sample
    with refimpl.semantics("chainer"):
        value, grads, g = refimpl_value_and_grads(
            x, W, b, n_batch_axes=None if n_batch_axes == 1 else n_batch_axes)
    variables = [chainer.Variable(a.copy()) for a in inputs_of(x, W, b)]
    y = chainer.functions.linear(*variables, n_batch_axes=n_batch_axes)
    chainer.functions.sum(y * g).backward()
    np.testing.assert_allclose(value, y.array, **FRAMEWORK_TOL)
    for actual, variable in zip(grads, variables):
        np.testing.assert_allclose(actual, variable.grad, **FRAMEWORK_TOL)


@pytest.mark.frameworks
def test_error_classes_match_the_frameworks():
    """Each framework raises the class refimpl raises under its policy, for every error case."""
    torch, chainer = _import_torch(), _import_chainer()

    def raised(call):
        try:
            call()
        except Exception as error:
            return type(error).__name__
        return None

    for x_shape, W_shape, b_shape, error, _ in TORCH_ERRORS:
        args = [torch.ones(x_shape), torch.ones(W_shape)] + (
            [] if b_shape is None else [torch.ones(b_shape)])
        assert raised(lambda: torch.nn.functional.linear(*args)) == error.__name__, (x_shape, W_shape)
    for x_shape, W_shape, b_shape, error, _ in CHAINER_ERRORS:
        args = [np.ones(x_shape), np.ones(W_shape)] + ([] if b_shape is None else [np.ones(b_shape)])
        assert raised(lambda: chainer.functions.linear(*args)) == error.__name__, (x_shape, W_shape)
