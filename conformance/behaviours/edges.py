"""Behaviour cases of the edge inputs (issue 15, ``conformance/subjects/edge_inputs.py``):
the policy fields and values the ``edges.*`` cells found, each observed on every framework."""
import numpy

from ..checks.layers import functional_call
from ..frameworks.base import NotSupported
from .core import behaviour, record_grads


def _class_or_value(record, name, function):
    """Run ``function()``; record its result, or the class of what it raised."""
    try:
        result = function()
    except NotSupported:
        raise
    except Exception as error:  # noqa: BLE001 - the class is the behaviour under test
        record(name, ("raises", type(error).__name__))
        return None
    record(name, result)
    return result


@behaviour("leaky_relu_nan_gradient")
def leaky_relu_nan_gradient(adapter, record):
    """leaky_relu(x, 0.1) at x = [NaN, 0, 1, -1]: the gradient at NaN is the slope 0.1
    (torch: ``x > 0 ? g : g * slope``) or 1 (chainer: ``gy[x <= 0] *= slope``)."""
    x = adapter.tensor(numpy.array([numpy.nan, 0.0, 1.0, -1.0]), requires_grad=True)
    y = adapter.call("leaky_relu", x, 0.1)
    adapter.backward(adapter.call("sum", y))
    record_grads(adapter, record, "leaky_relu", x=x)


@behaviour("error_classes", "pooling_one_element_tuple")
def pooling_one_element_tuple_class(adapter, record):
    """max_pooling_2d and average_pooling_2d with pad=(1,): torch reads it as (1, 1); chainer
    refuses it, max pooling with an AssertionError, average pooling with a ValueError (the
    error_classes kinds 'max_pooling_2d_one_element', 'average_pooling_2d_one_element')."""
    x = adapter.tensor(numpy.arange(16, dtype=numpy.float32).reshape(1, 1, 4, 4))
    for subject in ("max_pooling_2d", "average_pooling_2d"):
        y = _class_or_value(record, f"{subject}(pad=(1,))",
                            lambda s=subject: adapter.to_numpy(
                                functional_call(adapter, s, x, 2, 2, (1,))))
        if y is not None:
            record(f"{subject}(pad=(1,)).shape", list(y.shape))


@behaviour("label_loss_soft_targets")
def label_loss_soft_targets(adapter, record):
    """chainer's softmax_cross_entropy with a float t of x's shape (class probabilities):
    chainer 7.8.1 gives -sum t log_softmax(x) and the gradient softmax(x) - t; chainer 5.4.0
    and 6.7.0 refuse it in their type check (InvalidType). torch's loss of this kind is its
    own subject (cross_entropy): not run there."""
    x = adapter.tensor(numpy.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]]), requires_grad=True)
    t = numpy.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    y = _class_or_value(record, "loss", lambda: functional_call(adapter, "softmax_cross_entropy",
                                                                x, t))
    if y is not None:
        adapter.backward(y)
        record_grads(adapter, record, "loss", x=x)


@behaviour("clip_boundary_gradient")
def clip_boundary_gradient(adapter, record):
    """clip(x, -0.5, 0.5) at x = [-0.5, 0, 0.5, 1]: the gradient at the bounds is 1 (torch's
    closed mask; chainer 6.7.0 and 7.8.1) or 0 (chainer 5.4.0: strict inequalities)."""
    x = adapter.tensor(numpy.array([-0.5, 0.0, 0.5, 1.0]), requires_grad=True)
    adapter.backward(adapter.call("sum", adapter.call("clip", x, -0.5, 0.5)))
    record_grads(adapter, record, "clip", x=x)
