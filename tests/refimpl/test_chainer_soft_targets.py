"""refimpl's chainer_softmax_cross_entropy with soft targets (a float ``t`` of x's shape: class
probabilities; issue 15 edge inputs), against chainer 7.8.1's numbers: the value
``-sum_c t log_softmax(x)`` (mean over N and the spatial axes), the gradient ``(softmax(x) -
t) gy`` (chainer's backward: the value's derivative only where t sums to 1), no gradient for
t."""
import numpy as np
import pytest

import refimpl
from refimpl.functions.loss import chainer_softmax_cross_entropy

X = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
T = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
# chainer 7.8.1: F.softmax_cross_entropy(x, T, reduce=...) and x.grad after backward with gy = 2
CHAINER = {
    "mean": (1.0389330537516597, [[0.14379473, -0.0858048, -0.05798993],
                                  [0.38365173, -0.11634827, -0.26730346]]),
    "no": ([0.86984602, 1.20802009], [[0.28758947, -0.1716096, -0.11597987],
                                      [0.76730346, -0.23269654, -0.53460692]]),
}


@pytest.mark.parametrize("reduce", ["mean", "no"])
def test_soft_targets_match_chainer(reduce):
    with refimpl.semantics("chainer"):
        x = refimpl.Variable(X.copy(), requires_grad=True)
        t = refimpl.Variable(T.copy(), requires_grad=True)
        y = chainer_softmax_cross_entropy(x, t, reduce=reduce)
        gx, gt = refimpl.grad([y], [x, t], [refimpl.Variable(np.full(y.shape, 2.0))],
                              allow_unused=True)
    value, grad = CHAINER[reduce]
    np.testing.assert_allclose(y.data, value, rtol=1e-8)
    np.testing.assert_allclose(gx.data, grad, rtol=1e-7)
    assert gt is None or not np.any(gt.data)  # chainer: t.grad is None


def test_soft_targets_not_summing_to_one_keep_chainers_gradient():
    """Spatial x (2, 3, 2), t = 0.5 everywhere (1.5 over the classes): chainer's value 1.5 log 3
    (mean over N and the spatial axis), its gradient (softmax - t) / 4 = (1/3 - 1/2) / 4."""
    with refimpl.semantics("chainer"):
        x = refimpl.Variable(np.zeros((2, 3, 2)), requires_grad=True)
        y = chainer_softmax_cross_entropy(x, np.full((2, 3, 2), 0.5))
        (gx,) = refimpl.grad([y], [x])
    np.testing.assert_allclose(y.data, 1.6479184330021643, rtol=1e-12)
    np.testing.assert_allclose(gx.data, np.full((2, 3, 2), (1 / 3 - 1 / 2) / 4), rtol=1e-12)


def test_soft_targets_of_another_shape_raise():
    with refimpl.semantics("chainer"), pytest.raises(RuntimeError, match="soft targets need"):
        chainer_softmax_cross_entropy(X, T[:, :2])


def test_soft_targets_against_chainer():
    chainer = pytest.importorskip("chainer")
    import chainer.functions as F
    for reduce in ("mean", "no"):
        x = chainer.Variable(X.copy())
        y = F.softmax_cross_entropy(x, T.copy(), reduce=reduce)
        y.grad = np.full(y.shape, 2.0)
        y.backward()
        value, grad = CHAINER[reduce]
        np.testing.assert_allclose(y.array, value, rtol=1e-8)
        np.testing.assert_allclose(x.grad, grad, rtol=1e-7)
