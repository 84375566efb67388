"""refimpl's normalisation and regularisation (``refimpl.functions.normalization``,
``refimpl.nn.normalization``): values against direct NumPy formulas, first- and second-order
gradients against central differences, the layers' running statistics, dropout's mask and
argument validation. What differs between the frameworks is tested per policy field in
``test_policies.py``."""
import numpy as np
import pytest

import refimpl
import refimpl.functions as F
from refimpl import nn
from refimpl.gradient_check import check_backward, check_double_backward

RNG = np.random.default_rng(17)


def normalized(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def test_values_against_numpy():
    x = RNG.normal(size=(3, 4, 2))
    gamma, beta = RNG.normal(size=4), RNG.normal(size=4)
    channel = (1, 4, 1)
    with refimpl.semantics("torch"):
        bn = F.batch_normalization(x, gamma, beta, eps=1e-3).data
        gn = F.group_normalization(x, 2, gamma, beta, eps=1e-3).data
        ln = F.layer_normalization(x, RNG.normal(size=(4, 2)) * 0 + 1, None, eps=1e-3,
                                   normalized_ndim=2).data
        fixed = F.fixed_batch_normalization(x, gamma, beta, np.arange(4.0),
                                            np.arange(1.0, 5.0), eps=1e-3).data
    np.testing.assert_allclose(bn, normalized(x, (0, 2), 1e-3) * gamma.reshape(channel)
                               + beta.reshape(channel), rtol=1e-12)
    grouped = normalized(x.reshape(3, 2, 4), (2,), 1e-3).reshape(x.shape)
    np.testing.assert_allclose(gn, grouped * gamma.reshape(channel) + beta.reshape(channel),
                               rtol=1e-12)
    np.testing.assert_allclose(ln, normalized(x, (1, 2), 1e-3), rtol=1e-12)
    np.testing.assert_allclose(fixed, (x - np.arange(4.0).reshape(channel)) / np.sqrt(
        np.arange(1.0, 5.0).reshape(channel) + 1e-3) * gamma.reshape(channel)
        + beta.reshape(channel), rtol=1e-12)


CALLS = {
    "batch_normalization": (lambda x, g, b: F.batch_normalization(x, g, b, eps=1e-3),
                            [(3, 2, 2), (2,), (2,)]),
    "fixed_batch_normalization": (lambda x, g, b, m, v: F.fixed_batch_normalization(
        x, g, b, m, v * v + 0.5), [(2, 3), (3,), (3,), (3,), (3,)]),
    "layer_normalization": (lambda x, g, b: F.layer_normalization(x, g, b),
                            [(2, 4), (4,), (4,)]),
    "group_normalization": (lambda x, g, b: F.group_normalization(x, 2, g, b),
                            [(2, 4, 2), (4,), (4,)]),
    "local_response_normalization": (lambda x: F.local_response_normalization(
        x, 4, alpha=0.5), [(2, 5, 2)]),
    # the ignored id is among the ids where it outputs zeros (a true derivative of 0); torch's
    # padding row is looked up with a zero gradient by design, so there it is an unused id
    "embed_id": (lambda W: F.embed_id(np.array([[0, 3], [2, 0]]), W, ignore_label=2 if (
        refimpl.policies.current().embed_ignore_label == "zero_output") else 1), [(4, 3)]),
}


@pytest.mark.parametrize("policy", ["torch", "chainer"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_gradients_against_central_differences(name, policy):
    function, shapes = CALLS[name]
    inputs = [RNG.normal(size=shape) for shape in shapes]
    with refimpl.semantics(policy):
        outputs = np.asarray(function(*[refimpl.Variable(a) for a in inputs]).data)
        grad_outputs = RNG.normal(size=outputs.shape)
        check_backward(function, inputs, grad_outputs, atol=1e-6, rtol=1e-5)
        check_double_backward(function, inputs, grad_outputs,
                              [RNG.normal(size=shape) for shape in shapes], atol=1e-5,
                              rtol=1e-4)


def test_batch_normalization_layer_running_statistics_and_evaluation():
    xs = [RNG.normal(size=(4, 3)) for _ in range(3)]
    with refimpl.semantics("torch"):
        layer = nn.BatchNormalization(3, eps=1e-3, dtype=np.float64)
        cumulative = nn.BatchNormalization(3, eps=1e-3, dtype=np.float64)
        for x in xs:
            layer(refimpl.Variable(x))
            cumulative(refimpl.Variable(x), cumulative=True)
        evaluated = layer(refimpl.Variable(xs[0]), train=False).data
    mean, var = np.zeros(3), np.ones(3)
    for x in xs:
        mean = 0.9 * mean + 0.1 * x.mean(0)
        var = 0.9 * var + 0.1 * x.var(0, ddof=1)
    np.testing.assert_allclose(layer.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, var, rtol=1e-12)
    np.testing.assert_allclose(cumulative.running_mean, np.mean([x.mean(0) for x in xs], 0),
                               rtol=1e-12)
    np.testing.assert_allclose(cumulative.running_var,
                               np.mean([x.var(0, ddof=1) for x in xs], 0), rtol=1e-12)
    np.testing.assert_allclose(evaluated, (xs[0] - mean) / np.sqrt(var + 1e-3), rtol=1e-12)


def test_batch_normalization_layer_without_affine_has_no_parameters():
    with refimpl.semantics("chainer"):
        layer = nn.BatchNormalization(2, affine=False)
    assert list(layer.parameters()) == [] and layer.gamma is None


def test_dropout_mask_scale_gradient_and_seed():
    x = refimpl.Variable(np.ones((100, 100)), requires_grad=True)
    y = F.dropout(x, 0.25, rng=0)
    kept = y.data != 0
    assert set(np.unique(y.data)) == {0.0, 4 / 3}
    assert abs(kept.mean() - 0.75) < 0.02  # 10000 draws: 0.02 is 4.6 standard deviations
    F.sum(y).backward()
    np.testing.assert_array_equal(x.grad, kept / 0.75)
    np.testing.assert_array_equal(F.dropout(x, 0.25, rng=0).data, y.data)  # seeded
    assert F.dropout(x, 0.25, train=False) is x and F.dropout(x, 0.0).data.tolist() == \
        x.data.tolist()


@pytest.mark.parametrize("call, message", [
    (lambda: F.batch_normalization(np.ones((2, 3)), eps=-1.0), "eps"),
    (lambda: F.batch_normalization(np.ones((2, 3)), np.ones(2)), "gamma.shape"),
    (lambda: F.group_normalization(np.ones((2, 4, 1)), 3), "groups=3"),
    (lambda: F.layer_normalization(np.ones((2, 3)), normalized_ndim=3), "normalized_ndim"),
    (lambda: F.dropout(np.ones(3), 1.5), "ratio=1.5"),
    (lambda: F.embed_id(np.array([0.0]), np.ones((2, 2))), "x.dtype"),
    (lambda: F.embed_id(np.array([0]), np.ones(2)), "W.shape"),
    (lambda: F.batch_normalization(np.array([[1, 2], [3, 4]])), "floating-point"),
])
def test_bad_arguments_are_named(call, message):
    with refimpl.semantics("torch"):
        with pytest.raises(Exception, match=message.replace("(", r"\(").replace(".", r"\.")):
            call()
