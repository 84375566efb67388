"""Behaviour cases of non-finite output gradients (NaN, +-inf seeds) through chainer's softmax_cross_entropy, triplet, cross_covariance and decov,
which ``scripts/probe_nonfinite_seeds.py`` found diverging from refimpl: each case records
what each framework gives, and refimpl models it."""
import numpy

from ..checks.layers import functional_call
from ..frameworks.base import NotSupported
from .core import behaviour, record_grads

INF, NAN = numpy.inf, numpy.nan


@behaviour(ops=("softmax_cross_entropy",))
def softmax_cross_entropy_nonfinite_seed(adapter, record):
    """chainer's softmax_cross_entropy (enable_double_backprop=False) with class weights and
    an ignored label, from the output gradients [2, inf, inf, -inf] (reduce='no') and inf
    ('mean'): chainer 7.8.1 (``_SoftmaxCrossEntropyGrad_NoDoubleBackprop``) computes the
    local derivative ``(softmax(x) - onehot(t)) * class_weight[t] * valid`` and multiplies
    it once by the output gradient, so an infinite one gives -inf/+inf at the target class
    (not inf - inf = NaN) and NaN only on the ignored sample (0 * inf). Then class
    probabilities as t (chainer 7.8.1 takes them): ``(softmax(x) - t) * gy``, one product."""
    scores = numpy.array([[0.5, 2.0, -1.0], [1.0, -0.5, 0.75], [0.0, 1.5, -0.25],
                          [-1.0, 0.25, 0.5]])
    labels = numpy.array([0, 2, -1, 1], dtype=numpy.int32)
    weight = numpy.array([1.5, 0.5, 2.0])
    for reduce, seed in (("no", [2.0, INF, INF, -INF]), ("mean", INF)):
        x = adapter.tensor(scores, requires_grad=True)
        y = functional_call(adapter, "softmax_cross_entropy", x, labels, class_weight=weight,
                            reduce=reduce)
        record(f"softmax_cross_entropy.{reduce}", y)
        adapter.seeded_backward(y, numpy.array(seed))
        record_grads(adapter, record, f"softmax_cross_entropy.{reduce}", x=x)
    probabilities = numpy.array([[0.25, 0.5, 0.25], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5],
                                 [0.125, 0.125, 0.75]])
    for reduce, seed in (("no", [2.0, INF, NAN, -INF]), ("mean", -INF)):
        x = adapter.tensor(scores, requires_grad=True)
        try:  # chainer before 7 takes integer labels only (policy label_loss_soft_targets)
            y = functional_call(adapter, "softmax_cross_entropy", x, probabilities,
                                reduce=reduce)
        except NotSupported:
            raise
        except Exception as error:  # noqa: BLE001 - the class is the behaviour under test
            record(f"softmax_cross_entropy.soft.{reduce}", ("raises", type(error).__name__))
            continue
        record(f"softmax_cross_entropy.soft.{reduce}", y)
        adapter.seeded_backward(y, numpy.array(seed))
        record_grads(adapter, record, f"softmax_cross_entropy.soft.{reduce}", x=x)


@behaviour(ops=("triplet",))
def triplet_nonfinite_seed(adapter, record):
    """triplet(anchor, positive, negative) (mean over 3 samples: active with a - p and a - n
    of one sign, active with n - p 0 in one component, inactive) from the output gradients
    inf and -inf: chainer 7.8.1 (``Triplet.backward``) multiplies ``2 g mask`` once by
    ``n - p``, ``p - a``, ``a - n``, so the anchor's gradient is +-inf (not 2 g (a - p) - 2 g
    (a - n) = inf - inf), NaN where n - p is 0 and on the inactive row (0 * inf); torch 2.13
    (``triplet_margin_loss``, its own formula) as refimpl under the torch policy."""
    anchor = numpy.array([[1.0, 2.0], [0.5, -1.0], [0.0, 0.0]])
    positive = numpy.array([[0.5, 1.0], [0.25, -0.5], [0.0, 0.25]])
    negative = numpy.array([[0.0, 1.5], [0.75, -1.25], [2.0, 2.0]])
    for label, seed in (("inf", INF), ("-inf", -INF)):
        a, p, n = (adapter.tensor(v, requires_grad=True) for v in (anchor, positive, negative))
        y = functional_call(adapter, "triplet", a, p, n)
        record(f"triplet.{label}", y)
        adapter.seeded_backward(y, numpy.array(seed))
        record_grads(adapter, record, f"triplet.{label}", anchor=a, positive=p, negative=n)


_Y = numpy.array([[1.5, 0.5], [0.0, -1.0], [-0.75, -2.0], [-1.75, 0.25]])
_Z = numpy.array([[-1.0, -0.5, 0.5], [0.0, 1.75, -1.0], [-0.25, -0.5, 0.0], [1.0, 0.25, 2.0]])


@behaviour(ops=("cross_covariance",))
def cross_covariance_nonfinite_seed(adapter, record):
    """cross_covariance(y, z) from the output gradients [[NaN, inf, -inf], [0.5, 2, inf]]
    (reduce='no') and inf ('half_squared_sum'): chainer 7.8.1 (``CrossCovariance.backward``)
    does not centre the gradient again (``zc (g / N)^T``, ``yc (g / N)``; ``(zc C^T) (g /
    N)``), so an infinite one stays +-inf where the composite's centring subtracts a column
    mean of infinities (inf - inf = NaN)."""
    for reduce, seed in (("no", [[NAN, INF, -INF], [0.5, 2.0, INF]]), ("half_squared_sum", INF)):
        y = adapter.tensor(_Y, requires_grad=True)
        z = adapter.tensor(_Z, requires_grad=True)
        c = functional_call(adapter, "cross_covariance", y, z, reduce=reduce)
        record(f"cross_covariance.{reduce}", c)
        adapter.seeded_backward(c, numpy.array(seed))
        record_grads(adapter, record, f"cross_covariance.{reduce}", y=y, z=z)


@behaviour(ops=("decov",))
def decov_nonfinite_seed(adapter, record):
    """decov(h) from the output gradients [[NaN, inf, 1], [0.5, inf, -2], [1, 2, -inf]]
    (reduce='no': NaN and inf on the diagonal) and inf ('half_squared_sum'): chainer 7.8.1
    (``DeCov.backward``) sets the diagonal of ``g / N`` to 0 (a selection: no NaN from it),
    computes ``hc (g' + g'^T)`` without centring again, and ``(2 hc C) (g / N)``, one
    product, so an infinite one stays +-inf where the composite gives NaN."""
    h = numpy.array([[1.5, 0.0, 0.5], [0.5, 0.25, -1.25], [-0.5, -1.25, -1.0],
                     [-0.25, 1.0, 0.25]])
    for reduce, seed in (("no", [[NAN, INF, 1.0], [0.5, INF, -2.0], [1.0, 2.0, -INF]]),
                         ("half_squared_sum", INF)):
        x = adapter.tensor(h, requires_grad=True)
        c = functional_call(adapter, "decov", x, reduce=reduce)
        record(f"decov.{reduce}", c)
        adapter.seeded_backward(c, numpy.array(seed))
        record_grads(adapter, record, f"decov.{reduce}", h=x)
