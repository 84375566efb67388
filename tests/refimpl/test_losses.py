"""Losses (``refimpl.functions.loss``): values against direct NumPy formulas, first- and
second-order gradients against central differences, every reduction, ignore labels, errors,
and the real frameworks (torch 2.13, chainer 7.8.1) on hypothesis-drawn inputs.
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
from refimpl.functions.loss import (binary_cross_entropy_with_logits,
                                    chainer_softmax_cross_entropy, mean_squared_error, mse_loss,
                                    sigmoid_cross_entropy, softmax_cross_entropy, softplus)
from refimpl.gradient_check import check_backward, check_double_backward
from framework_imports import import_chainer as _import_chainer, import_torch as _import_torch

TORCH_IGNORE = -100
CHAINER_IGNORE = -1

# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------

REALS = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False)
SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3).filter(
    lambda shape: math.prod(shape) <= 12)


def arrays(shape, elements=REALS):
    return hnp.arrays(np.float64, shape, elements=elements)


@st.composite
def pair_samples(draw):
    """x and t of one shape (regression / binary targets in [0, 1])."""
    shape = draw(SHAPES, label="shape")
    x = draw(arrays(shape), label="x")
    t = draw(arrays(shape, st.floats(0.0, 1.0, allow_subnormal=False)), label="t")
    return x, t


@st.composite
def class_samples(draw, ignore, max_spatial_dims=1, require_valid=True, label_dtype=np.int64):
    """x of shape (N, C, *spatial) and labels of shape (N, *spatial), some equal to ``ignore``."""
    n = draw(st.integers(1, 3), label="N")
    classes = draw(st.integers(1, 4), label="C")
    spatial = tuple(draw(st.lists(st.integers(1, 2), max_size=max_spatial_dims), label="spatial"))
    x = draw(arrays((n, classes) + spatial), label="x")
    labels = draw(hnp.arrays(label_dtype, (n,) + spatial,
                             elements=st.integers(0, classes - 1) | st.just(ignore)), label="t")
    if require_valid and np.all(labels == ignore):
        labels.flat[0] = draw(st.integers(0, classes - 1), label="one valid label")
    return x, labels


# --------------------------------------------------------------------------------------
# NumPy references
# --------------------------------------------------------------------------------------

def np_softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def np_log_softmax(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def np_reduce(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def np_cross_entropy(x, t, weight=None, ignore=TORCH_IGNORE, reduction="mean", eps=0.0):
    """torch's F.cross_entropy, written out with NumPy indexing."""
    lp = np_log_softmax(x)
    classes = x.shape[1]
    w = np.ones(classes) if weight is None else weight
    valid = t != ignore
    safe = np.where(valid, t, 0)
    nll = -np.take_along_axis(lp, safe[:, None], 1)[:, 0] * w[safe] * valid
    w_axis = w.reshape((1, -1) + (1,) * (x.ndim - 2))
    smooth = -(lp * w_axis).sum(axis=1) / classes * valid
    loss = (1 - eps) * nll + eps * smooth
    if reduction == "mean":
        return loss.sum() / (w[safe] * valid).sum()
    return np_reduce(loss, reduction)


def np_chainer_cross_entropy(x, t, normalize=True, class_weight=None, reduce="mean"):
    lp = np_log_softmax(x)
    w = np.ones(x.shape[1]) if class_weight is None else class_weight
    valid = t != CHAINER_IGNORE
    safe = np.where(valid, t, 0)
    loss = -np.take_along_axis(lp, safe[:, None], 1)[:, 0] * w[safe] * valid
    if reduce == "no":
        return loss
    count = valid.sum() if normalize else len(x)
    return loss.sum() / max(count, 1)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

def random_like(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def check_first_and_second_order(f, inputs, seed=0, **tolerances):
    """check_backward and check_double_backward of ``f`` at ``inputs`` with random vectors."""
    outputs = f(*[refimpl.Variable(a) for a in inputs])
    grad_outputs = [random_like(outputs.shape, seed)]
    check_backward(f, inputs, grad_outputs, **tolerances)
    grad_grad_inputs = [random_like(a.shape, seed + 1 + i) for i, a in enumerate(inputs)]
    check_double_backward(f, inputs, grad_outputs, grad_grad_inputs, **tolerances)


def grads(f, *arrays):
    """refimpl's value and gradient of ``sum(f(*arrays) * g)`` for fixed random g."""
    variables = [refimpl.Variable(a.copy(), requires_grad=True) for a in arrays]
    y = f(*variables)
    g = random_like(y.shape, 7)
    (F.sum(y * g)).backward()
    return y.data, [v.grad for v in variables], g


def torch_grads(torch, f, *arrays):
    """torch's value and gradients of ``sum(f(*tensors) * g)``, g as in ``grads``."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = f(*tensors)
    g = random_like(tuple(y.shape), 7)
    (y * torch.tensor(g)).sum().backward()
    return y.detach().numpy(), [t.grad.numpy() for t in tensors]


def chainer_grads(chainer, f, *arrays):
    """chainer's value and gradients of ``sum(f(*variables) * g)``."""
    variables = [chainer.Variable(a.copy()) for a in arrays]
    y = f(*variables)
    g = random_like(y.shape, 7)
    chainer.functions.sum(y * g).backward()
    return y.array, [v.grad for v in variables]


# Comparisons with the frameworks run in float64 on both sides: the two evaluation orders
# differ by rounding only, a few ulps of values of order 1.
FRAMEWORK_TOL = dict(rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------
# softplus (the numerically stable building block)
# --------------------------------------------------------------------------------------

def test_softplus_is_exact_at_extremes_and_its_gradient_is_sigmoid_at_zero():
    x = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    np.testing.assert_allclose(softplus(x).data, [0.0, np.exp(-40.0), np.log(2.0), 40.0, 800.0],
                               rtol=1e-15)
    v = refimpl.Variable(np.zeros(3), requires_grad=True)
    F.sum(softplus(v)).backward()
    np.testing.assert_array_equal(v.grad, [0.5, 0.5, 0.5])  # max(x, 0) alone would give 0


@given(x=hnp.arrays(np.float64, st.integers(1, 6), elements=REALS))
def test_softplus_gradients(x):
    check_first_and_second_order(softplus, [x])


# --------------------------------------------------------------------------------------
# mse_loss and mean_squared_error
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(sample=pair_samples())
def test_mse_loss_values_and_gradients(reduction, sample):
    x, t = sample
    np.testing.assert_allclose(mse_loss(x, t, reduction).data, np_reduce((x - t) ** 2, reduction),
                               rtol=1e-12)
    check_first_and_second_order(lambda a, b: mse_loss(a, b, reduction), [x, t])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_mse_loss(reduction):
    x, t = random_like((2, 3), 1), random_like((2, 3), 2)
    w = np.random.default_rng(3).uniform(0.5, 2.0, (2, 3))
    expected = {"mean": (w * (x - t) ** 2).sum() / w.sum(), "sum": (w * (x - t) ** 2).sum(),
                "none": w * (x - t) ** 2}[reduction]
    np.testing.assert_allclose(mse_loss(x, t, reduction, weight=w).data, expected, rtol=1e-12)
    check_first_and_second_order(lambda a, b: mse_loss(a, b, reduction, weight=w), [x, t])


def test_mse_loss_broadcasts_with_a_warning_and_rejects_bad_arguments():
    x, t = random_like((3, 4), 1), random_like((4,), 2)
    with pytest.warns(UserWarning, match="different to the input size"):
        y = mse_loss(x, t)
    np.testing.assert_allclose(y.data, ((x - t) ** 2).mean(), rtol=1e-12)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        mse_loss(x, x, weight=np.ones(4))


def test_mean_squared_error_is_chainers_mean_with_type_checks():
    x0, x1 = random_like((2, 3), 1), random_like((2, 3), 2)
    np.testing.assert_allclose(mean_squared_error(x0, x1).data, ((x0 - x1) ** 2).mean(), rtol=1e-12)
    check_first_and_second_order(mean_squared_error, [x0, x1])
    for other, expect in ((x1[0], "x0.shape == x1.shape"),
                          (x1.astype(np.float32), "x0.dtype == x1.dtype")):
        with pytest.raises(InvalidType, match=expect.replace(".", r"\.")):
            mean_squared_error(x0, other)
    with pytest.raises(InvalidType, match="x0.dtype.kind == f"):
        mean_squared_error(np.ones(3, np.int32), np.ones(3, np.int32))


# --------------------------------------------------------------------------------------
# binary_cross_entropy_with_logits (torch) and sigmoid_cross_entropy (chainer)
# --------------------------------------------------------------------------------------

def np_binary_cross_entropy(x, t, pos_weight=1.0, weight=1.0):
    return weight * (pos_weight * t * np_softplus(-x) + (1 - t) * np_softplus(x))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(sample=pair_samples())
def test_binary_cross_entropy_values_and_gradients(reduction, sample):
    x, t = sample
    expected = np_reduce(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), reduction)
    np.testing.assert_allclose(binary_cross_entropy_with_logits(x, t, reduction).data, expected,
                               rtol=1e-12, atol=1e-15)
    check_first_and_second_order(lambda a, b: binary_cross_entropy_with_logits(a, b, reduction),
                                 [x, t])


def test_binary_cross_entropy_with_pos_weight_and_weight():
    x, t = random_like((3, 4), 1), np.random.default_rng(2).uniform(0, 1, (3, 4))
    pos_weight = np.array([0.5, 1.0, 2.0, 3.0])  # one per class, along the last axis
    weight = np.array([[0.5], [1.0], [2.0]])
    for reduction in ("mean", "sum", "none"):
        y = binary_cross_entropy_with_logits(x, t, reduction, pos_weight=pos_weight, weight=weight)
        np.testing.assert_allclose(y.data, np_reduce(np_binary_cross_entropy(
            x, t, pos_weight, weight), reduction), rtol=1e-12)
        check_first_and_second_order(lambda a, b: binary_cross_entropy_with_logits(
            a, b, reduction, pos_weight=pos_weight, weight=weight), [x, t])


def test_binary_cross_entropy_is_exact_for_large_logits():
    x = np.array([-40.0, 40.0, -800.0, 800.0, 0.0])
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = binary_cross_entropy_with_logits(x, t, "none").data
    np.testing.assert_allclose(y, [np.exp(-40.0), np.exp(-40.0), 0.0, 0.0, np.log(2.0)],
                               rtol=1e-15)
    x = refimpl.Variable(np.zeros(3), requires_grad=True)
    binary_cross_entropy_with_logits(x, np.array([0.0, 0.3, 1.0]), "sum").backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.2, -0.5], rtol=1e-15)  # sigmoid(0) - t


def test_binary_cross_entropy_errors():
    x = random_like((2, 3))
    with pytest.raises(ValueError, match=r"Target size \(\(2, 1\)\) must be the same"):
        binary_cross_entropy_with_logits(x, np.ones((2, 1)))
    with pytest.raises(RuntimeError, match="pos_weight of shape"):
        binary_cross_entropy_with_logits(x, np.ones((2, 3)), pos_weight=np.ones(2))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        binary_cross_entropy_with_logits(x, np.ones((2, 3)),
                                         weight=refimpl.Variable(np.ones(3), requires_grad=True))
    with pytest.raises(TypeError, match="t must have a floating-point dtype"):
        binary_cross_entropy_with_logits(x, np.ones((2, 3), np.int64))
    with pytest.raises(ValueError, match="avg is not a valid value"):
        binary_cross_entropy_with_logits(x, np.ones((2, 3)), reduction="avg")


def test_binary_cross_entropy_weights_take_the_logits_dtype():
    x, t = np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)
    y = binary_cross_entropy_with_logits(x, t, pos_weight=np.ones(3), weight=np.ones((2, 3)))
    assert y.dtype == np.float32  # torch 2.13: float64 weights do not promote float32 logits
    assert binary_cross_entropy_with_logits(x, t.astype(np.float64)).dtype == np.float64


@st.composite
def binary_label_samples(draw):
    shape = draw(SHAPES, label="shape")
    x = draw(arrays(shape), label="x")
    labels = draw(hnp.arrays(np.int32, shape, elements=st.integers(-1, 1)), label="t")
    return x, labels


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("reduce", ["mean", "no"])
@given(sample=binary_label_samples())
def test_sigmoid_cross_entropy_values_and_gradients(normalize, reduce, sample):
    x, labels = sample
    valid = labels != -1
    elements = np_binary_cross_entropy(x, np.where(valid, labels, 0)) * valid
    count = max(1, valid.sum()) if normalize else max(1, len(x))
    expected = elements if reduce == "no" else elements.sum() / count
    y = sigmoid_cross_entropy(x, labels, normalize, reduce)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-15)
    check_first_and_second_order(lambda a: sigmoid_cross_entropy(a, labels, normalize, reduce),
                                 [x])


def test_sigmoid_cross_entropy_chainer_doc_example_and_all_ignored():
    x = np.array([[-2.0, 3.0, 0.5], [5.0, 2.0, -0.5]], dtype=np.float32)
    t = np.array([[0, 1, 0], [1, 1, -1]], dtype=np.int32)
    # The values printed in chainer's docstring.
    np.testing.assert_allclose(sigmoid_cross_entropy(x, t).data, 0.25664714, rtol=1e-6)
    np.testing.assert_allclose(sigmoid_cross_entropy(x, t, normalize=False).data, 0.64161783,
                               rtol=1e-6)
    np.testing.assert_allclose(sigmoid_cross_entropy(x, t, reduce="no").data,
                               [[0.126928, 0.04858735, 0.974077], [0.00671535, 0.126928, 0.0]],
                               rtol=1e-6)
    assert sigmoid_cross_entropy(x, -np.ones_like(t)).data == 0.0  # count = max(1, 0)


def test_sigmoid_cross_entropy_errors():
    x = random_like((2, 3))
    with pytest.raises(InvalidType, match="t.dtype.kind == i"):
        sigmoid_cross_entropy(x, np.zeros((2, 3), np.uint8))
    with pytest.raises(InvalidType, match=r"x\.shape == t\.shape"):
        sigmoid_cross_entropy(x, np.zeros(3, np.int32))
    with pytest.raises(ValueError, match="only 'mean' and 'no' are valid"):
        sigmoid_cross_entropy(x, np.zeros((2, 3), np.int32), reduce="sum")
    with pytest.raises(TypeError, match="len"):
        sigmoid_cross_entropy(np.array(1.0), np.array(1, np.int32), normalize=False)


# --------------------------------------------------------------------------------------
# softmax_cross_entropy (torch F.cross_entropy)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(sample=class_samples(TORCH_IGNORE))
def test_cross_entropy_values_and_gradients(reduction, sample):
    x, t = sample
    y = softmax_cross_entropy(x, t, reduction=reduction)
    np.testing.assert_allclose(y.data, np_cross_entropy(x, t, reduction=reduction), rtol=1e-12,
                               atol=1e-15)
    check_first_and_second_order(lambda a: softmax_cross_entropy(a, t, reduction=reduction), [x])


@given(sample=class_samples(TORCH_IGNORE),
       eps=st.floats(0.0, 1.0), weighted=st.booleans(), reduction=st.sampled_from(["mean", "sum"]))
def test_cross_entropy_with_weight_and_label_smoothing(sample, eps, weighted, reduction):
    x, t = sample
    weight = np.linspace(0.5, 2.0, x.shape[1]) if weighted else None
    y = softmax_cross_entropy(x, t, weight=weight, reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(y.data, np_cross_entropy(x, t, weight, reduction=reduction, eps=eps),
                               rtol=1e-12, atol=1e-15)
    check_first_and_second_order(lambda a: softmax_cross_entropy(
        a, t, weight=weight, reduction=reduction, label_smoothing=eps), [x])


def test_cross_entropy_every_label_ignored_gives_nan_with_zero_gradient():
    x = refimpl.Variable(random_like((3, 4)), requires_grad=True)
    loss = softmax_cross_entropy(x, np.full(3, TORCH_IGNORE))
    assert np.isnan(loss.data)
    loss.backward()
    np.testing.assert_array_equal(x.grad, np.zeros((3, 4)))
    assert softmax_cross_entropy(x, np.full(3, TORCH_IGNORE), reduction="sum").data == 0.0


def test_cross_entropy_unbatched_input_and_soft_targets():
    x = random_like((4,), 1)
    expected = -np_log_softmax(x[None])[0, 2]
    np.testing.assert_allclose(softmax_cross_entropy(x, np.array(2)).data, expected, rtol=1e-12)
    assert softmax_cross_entropy(x, np.array(2), reduction="none").shape == ()
    x = random_like((3, 4, 2), 2)
    q = np.random.default_rng(3).dirichlet(np.ones(4), (3, 2)).transpose(0, 2, 1).copy()
    elements = -(np_log_softmax(x) * q).sum(axis=1)
    np.testing.assert_allclose(softmax_cross_entropy(x, q).data, elements.mean(), rtol=1e-12)
    check_first_and_second_order(lambda a: softmax_cross_entropy(a, q, label_smoothing=0.1), [x])


def test_cross_entropy_ignore_index_is_an_argument_and_negative_smoothing_is_ignored():
    x, t = random_like((4, 3), 1), np.array([0, 1, 2, 1])
    np.testing.assert_allclose(softmax_cross_entropy(x, t, ignore_index=1).data,
                               np_cross_entropy(x, t, ignore=1), rtol=1e-12)
    assert softmax_cross_entropy(x, t, label_smoothing=-0.1).data == softmax_cross_entropy(x, t).data


def test_cross_entropy_errors():
    x = random_like((2, 3))
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        softmax_cross_entropy(x, np.array([0, 3]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        softmax_cross_entropy(x, np.array([0, -1]))  # -1 is chainer's ignore label, not torch's
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
        softmax_cross_entropy(x, np.array([0, 1], np.int32))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(2\) to match target"):
        softmax_cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 5\], got \[2, 6\]"):
        softmax_cross_entropy(random_like((2, 3, 5)), np.zeros((2, 6), np.int64))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 3"):
        softmax_cross_entropy(x, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        softmax_cross_entropy(x, np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="avg is not a valid value"):
        softmax_cross_entropy(x, np.array([0, 1]), reduction="avg")


# --------------------------------------------------------------------------------------
# chainer_softmax_cross_entropy
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("reduce", ["mean", "no"])
@given(sample=class_samples(CHAINER_IGNORE, require_valid=False, label_dtype=np.int32),
       weighted=st.booleans())
def test_chainer_cross_entropy_values_and_gradients(normalize, reduce, sample, weighted):
    x, t = sample
    class_weight = np.linspace(0.5, 2.0, x.shape[1]) if weighted else None
    y = chainer_softmax_cross_entropy(x, t, normalize, class_weight=class_weight, reduce=reduce)
    np.testing.assert_allclose(y.data, np_chainer_cross_entropy(x, t, normalize, class_weight,
                                                                reduce), rtol=1e-12, atol=1e-15)
    check_first_and_second_order(lambda a: chainer_softmax_cross_entropy(
        a, t, normalize, class_weight=class_weight, reduce=reduce, enable_double_backprop=True), [x])


def test_chainer_cross_entropy_every_label_ignored_gives_zero():
    x = refimpl.Variable(random_like((3, 4)), requires_grad=True)
    loss = chainer_softmax_cross_entropy(x, np.full(3, CHAINER_IGNORE, np.int32))
    assert loss.data == 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, np.zeros((3, 4)))


def test_chainer_cross_entropy_double_backprop_needs_to_be_enabled():
    x = refimpl.Variable(random_like((2, 3)), requires_grad=True)
    t = np.array([0, 2], np.int32)
    gx, = refimpl.grad(chainer_softmax_cross_entropy(x, t), [x], create_graph=True)
    with pytest.raises(RuntimeError, match="enable_double_backprop=True"):
        F.sum(gx * gx).backward()
    gx, = refimpl.grad(chainer_softmax_cross_entropy(x, t, enable_double_backprop=True), [x],
                       create_graph=True)
    F.sum(gx * gx).backward()  # no error: second derivatives are available
    assert x.grad is not None and np.all(np.isfinite(x.grad))


def test_chainer_cross_entropy_errors():
    x = random_like((2, 3))
    with pytest.raises(ValueError, match=r"Each label `t` need to satisfy `0 <= t < x.shape\[1\] or "
                                         r"t == -1`"):
        chainer_softmax_cross_entropy(x, np.array([0, -2], np.int32))
    with pytest.raises(ValueError, match="or t == 1`"):
        chainer_softmax_cross_entropy(x, np.array([0, 3], np.int32), ignore_label=1)
    with pytest.raises(RuntimeError, match="An Expr instance cannot be evaluated as bool"):
        chainer_softmax_cross_entropy(x, np.array([0, 1, 2], np.int32))
    with pytest.raises(IndexError, match="x of 2 or more dimensions"):
        chainer_softmax_cross_entropy(x[0], np.array(1, np.int32))
    with pytest.raises(ValueError, match="class_weight.ndim should be 1"):
        chainer_softmax_cross_entropy(x, np.array([0, 1], np.int32), class_weight=np.ones((1, 3)))
    with pytest.raises(ValueError, match="only 'mean' and 'no' are valid"):
        chainer_softmax_cross_entropy(x, np.array([0, 1], np.int32), reduce="sum")


def test_losses_follow_the_chainer_policy_for_dtypes():
    """Under chainer semantics the arithmetic inside a loss follows chainer's dtype rules."""
    x32, t64 = random_like((2, 3)).astype(np.float32), random_like((2, 3), 1)
    with refimpl.semantics("chainer"):
        with pytest.raises(InvalidType):
            mse_loss(refimpl.Variable(x32), refimpl.Variable(t64))
        y = chainer_softmax_cross_entropy(x32, np.array([0, 1], np.int32))
        assert y.dtype == np.float32
    assert mse_loss(refimpl.Variable(x32), refimpl.Variable(t64)).dtype == np.float64  # torch


# --------------------------------------------------------------------------------------
# The real frameworks
# --------------------------------------------------------------------------------------

@pytest.mark.frameworks
@given(sample=pair_samples(), reduction=st.sampled_from(["mean", "sum", "none"]),
       weighted=st.booleans())
def test_mse_loss_matches_torch(sample, reduction, weighted):
    torch = _import_torch()
    x, t = sample
    w = np.linspace(0.5, 2.0, x.size).reshape(x.shape) if weighted else None
    value, (gx, gt), _ = grads(lambda a, b: mse_loss(a, b, reduction, weight=w), x, t)
    expected, (tgx, tgt) = torch_grads(torch, lambda a, b: torch.nn.functional.mse_loss(
        a, b, reduction=reduction, weight=None if w is None else torch.tensor(w)), x, t)
    for actual, wanted in ((value, expected), (gx, tgx), (gt, tgt)):
        np.testing.assert_allclose(actual, wanted, **FRAMEWORK_TOL)


@pytest.mark.frameworks
@given(sample=pair_samples())
def test_mean_squared_error_matches_chainer(sample):
    chainer = _import_chainer()
    x, t = sample
    value, (gx, gt), _ = grads(mean_squared_error, x, t)
    expected, (cgx, cgt) = chainer_grads(chainer, chainer.functions.mean_squared_error, x, t)
    for actual, wanted in ((value, expected), (gx, cgx), (gt, cgt)):
        np.testing.assert_allclose(actual, wanted, **FRAMEWORK_TOL)


@pytest.mark.frameworks
@given(sample=pair_samples(), reduction=st.sampled_from(["mean", "sum", "none"]),
       with_pos_weight=st.booleans(), with_weight=st.booleans())
def test_binary_cross_entropy_matches_torch(sample, reduction, with_pos_weight, with_weight):
    torch = _import_torch()
    x, t = sample
    pos_weight = np.linspace(0.5, 3.0, x.shape[-1]) if with_pos_weight else None
    weight = np.linspace(0.2, 2.0, x.shape[-1]) if with_weight else None
    value, (gx, gt), _ = grads(lambda a, b: binary_cross_entropy_with_logits(
        a, b, reduction, pos_weight=pos_weight, weight=weight), x, t)
    expected, (tgx, tgt) = torch_grads(torch, lambda a, b: torch.nn.functional.
                                       binary_cross_entropy_with_logits(
        a, b, reduction=reduction,
        pos_weight=None if pos_weight is None else torch.tensor(pos_weight),
        weight=None if weight is None else torch.tensor(weight)), x, t)
    for actual, wanted in ((value, expected), (gx, tgx), (gt, tgt)):
        np.testing.assert_allclose(actual, wanted, **FRAMEWORK_TOL)


@pytest.mark.frameworks
@given(sample=binary_label_samples(), normalize=st.booleans(),
       reduce=st.sampled_from(["mean", "no"]))
def test_sigmoid_cross_entropy_matches_chainer(sample, normalize, reduce):
    chainer = _import_chainer()
    x, labels = sample
    value, (gx,), _ = grads(lambda a: sigmoid_cross_entropy(a, labels, normalize, reduce), x)
    expected, (cgx,) = chainer_grads(chainer, lambda a: chainer.functions.sigmoid_cross_entropy(
        a, labels, normalize, reduce), x)
    for actual, wanted in ((value, expected), (gx, cgx)):
        np.testing.assert_allclose(actual, wanted, **FRAMEWORK_TOL)


@pytest.mark.frameworks
@given(sample=class_samples(TORCH_IGNORE, max_spatial_dims=2),
       reduction=st.sampled_from(["mean", "sum", "none"]), weighted=st.booleans(),
       eps=st.sampled_from([0.0, 0.1, 0.7]))
def test_cross_entropy_matches_torch(sample, reduction, weighted, eps):
    torch = _import_torch()
    x, t = sample
    weight = np.linspace(0.5, 2.0, x.shape[1]) if weighted else None
    value, (gx,), _ = grads(lambda a: softmax_cross_entropy(
        a, t, weight=weight, reduction=reduction, label_smoothing=eps), x)
    expected, (tgx,) = torch_grads(torch, lambda a: torch.nn.functional.cross_entropy(
        a, torch.tensor(t), weight=None if weight is None else torch.tensor(weight),
        reduction=reduction, label_smoothing=eps), x)
    for actual, wanted in ((value, expected), (gx, tgx)):
        np.testing.assert_allclose(actual, wanted, **FRAMEWORK_TOL)


@pytest.mark.frameworks
def test_cross_entropy_all_ignored_and_soft_targets_match_torch():
    torch = _import_torch()
    x = random_like((3, 4, 2))
    ignored = np.full((3, 2), TORCH_IGNORE)
    assert np.isnan(torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(ignored)).item())
    assert np.isnan(softmax_cross_entropy(x, ignored).data)
    q = np.random.default_rng(3).dirichlet(np.ones(4), (3, 2)).transpose(0, 2, 1).copy()
    weight = np.array([0.5, 1.0, 2.0, 1.5])
    for reduction in ("mean", "sum", "none"):
        value, (gx,), _ = grads(lambda a: softmax_cross_entropy(
            a, q, weight=weight, reduction=reduction, label_smoothing=0.2), x)
        expected, (tgx,) = torch_grads(torch, lambda a: torch.nn.functional.cross_entropy(
            a, torch.tensor(q), weight=torch.tensor(weight), reduction=reduction,
            label_smoothing=0.2), x)
        np.testing.assert_allclose(value, expected, **FRAMEWORK_TOL)
        np.testing.assert_allclose(gx, tgx, **FRAMEWORK_TOL)


@pytest.mark.frameworks
@given(sample=class_samples(CHAINER_IGNORE, max_spatial_dims=2, require_valid=False,
                            label_dtype=np.int32),
       normalize=st.booleans(), reduce=st.sampled_from(["mean", "no"]), weighted=st.booleans())
def test_chainer_cross_entropy_matches_chainer(sample, normalize, reduce, weighted):
    chainer = _import_chainer()
    x, t = sample
    class_weight = np.linspace(0.5, 2.0, x.shape[1]) if weighted else None
    value, (gx,), _ = grads(lambda a: chainer_softmax_cross_entropy(
        a, t, normalize, class_weight=class_weight, reduce=reduce), x)
    expected, (cgx,) = chainer_grads(chainer, lambda a: chainer.functions.softmax_cross_entropy(
        a, t, normalize, class_weight=class_weight, reduce=reduce), x)
    for actual, wanted in ((value, expected), (gx, cgx)):
        np.testing.assert_allclose(actual, wanted, **FRAMEWORK_TOL)


@pytest.mark.frameworks
def test_chainer_double_backprop_error_matches_chainer():
    chainer = _import_chainer()
    x, t = random_like((2, 3)), np.array([0, 2], np.int32)
    xc = chainer.Variable(x)
    gx, = chainer.grad([chainer.functions.softmax_cross_entropy(xc, t)], [xc],
                       enable_double_backprop=True)
    with pytest.raises(RuntimeError) as chainer_error:
        chainer.grad([chainer.functions.sum(gx * gx)], [xc])
    xr = refimpl.Variable(x, requires_grad=True)
    gx, = refimpl.grad(chainer_softmax_cross_entropy(xr, t), [xr], create_graph=True)
    with pytest.raises(RuntimeError) as refimpl_error:
        refimpl.grad(F.sum(gx * gx), [xr])
    assert str(refimpl_error.value) == str(chainer_error.value)


@pytest.mark.frameworks
def test_float32_losses_match_torch_and_chainer():
    torch, chainer = _import_torch(), _import_chainer()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 5, 3)).astype(np.float32)
    t = rng.integers(0, 5, (4, 3))
    t[0, 0] = TORCH_IGNORE
    probabilities = rng.uniform(0, 1, (4, 5, 3)).astype(np.float32)
    pos_weight = rng.uniform(0.5, 2, 3)
    pairs = [
        (softmax_cross_entropy(x, t, label_smoothing=0.1),
         torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t), label_smoothing=0.1)),
        (binary_cross_entropy_with_logits(x, probabilities, pos_weight=pos_weight),
         torch.nn.functional.binary_cross_entropy_with_logits(
             torch.tensor(x), torch.tensor(probabilities), pos_weight=torch.tensor(pos_weight))),
        (chainer_softmax_cross_entropy(x, np.where(t == TORCH_IGNORE, -1, t).astype(np.int32)),
         chainer.functions.softmax_cross_entropy(x, np.where(t == TORCH_IGNORE, -1, t).astype(
             np.int32))),
    ]
    for ours, theirs in pairs:
        theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs.array
        assert ours.dtype == theirs.dtype == np.float32
        # float32 sums of 12-60 terms in different orders: a few ulps of float32 (eps 1.2e-7).
        np.testing.assert_allclose(ours.data, theirs, rtol=1e-5)


@pytest.mark.parametrize("loss", [
    lambda x, t: sigmoid_cross_entropy(x, t),
    lambda x, t: chainer_softmax_cross_entropy(x[:, :2], np.clip(t[:, 0], -1, 1),
                                               enable_double_backprop=True),
    lambda x, t: mean_squared_error(x, x * 0.5),
], ids=["sigmoid_cross_entropy", "chainer_softmax_cross_entropy", "mean_squared_error"])
def test_chainer_losses_under_chainer_semantics(loss):
    x = random_like((3, 2), 4)
    t = np.array([[0, 1], [-1, 1], [1, 0]], np.int32)
    with refimpl.semantics("chainer"):
        check_first_and_second_order(lambda a: loss(a, t), [x])
