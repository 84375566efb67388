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


@behaviour("sigmoid_form")
def sigmoid_form(adapter, record):
    """log(sigmoid(x)) at x = [-120, -50, -20, -1, 0, 20], float32 and float64, and the
    float64 gradient of its sum: torch 2.13's ``1 / (1 + exp(-x))`` keeps the small values
    (log gives x), chainer 7.8.1's ``tanh(x / 2) / 2 + 1 / 2`` rounds them to 0 (float32
    below about -17, float64 below about -37), so log gives -inf and its gradient NaN."""
    x_values = numpy.array([-120.0, -50.0, -20.0, -1.0, 0.0, 20.0])
    for dtype in ("float32", "float64"):
        x = adapter.tensor(x_values, requires_grad=True, dtype=dtype)
        y = adapter.call("log", adapter.call("sigmoid", x))
        record(f"log(sigmoid(x)) {dtype}", y)
        if dtype == "float64":
            adapter.backward(adapter.call("sum", y))
            record_grads(adapter, record, "log(sigmoid(x))", x=x)


@behaviour("lerp_start_gradient", ops=("lerp",))
def lerp_start_gradient(adapter, record):
    """lerp(start, end, weight) at start = [0, 1, -2], end = [2, 3, 4], weight = [0.25,
    0.5, 2] from the output gradient [inf, -inf, NaN]: the gradient in start is
    ``gy * (1 - weight)`` in torch 2.13 (inf, -inf, NaN) and ``gy - gy * weight`` in chainer
    7.8.1's linear_interpolate (inf - inf: NaN everywhere); end's and weight's agree."""
    start = adapter.tensor(numpy.array([0.0, 1.0, -2.0]), requires_grad=True)
    end = adapter.tensor(numpy.array([2.0, 3.0, 4.0]), requires_grad=True)
    weight = adapter.tensor(numpy.array([0.25, 0.5, 2.0]), requires_grad=True)
    adapter.seeded_backward(adapter.call("lerp", start, end, weight),
                            numpy.array([numpy.inf, -numpy.inf, numpy.nan]))
    record_grads(adapter, record, "lerp", start=start, end=end, weight=weight)


@behaviour(ops=("kl_div",))
def kl_div_zero_target_gradient(adapter, record):
    """kl_div(input, target, reduction='none') with a target of 0 among positive ones, from
    the output gradient [1, 2, inf]: the frameworks that have it (torch 2.13) compute it as
    ``xlogy(target, target) - target * input``, so the target's gradient is NaN where the
    target is 0 (xlogy's ``gy * target / target``: 0 / 0), even for a finite output
    gradient, and NaN again for an infinite one (inf log t + inf)."""
    x = adapter.tensor(numpy.array([-0.5, -1.0, -2.0]), requires_grad=True)
    t = adapter.tensor(numpy.array([0.0, 0.5, 0.25]), requires_grad=True)
    y = functional_call(adapter, "kl_div", x, t, "none")
    record("kl_div", y)
    adapter.seeded_backward(y, numpy.array([1.0, 2.0, numpy.inf]))
    record_grads(adapter, record, "kl_div", input=x, target=t)


@behaviour(ops=("multi_margin_loss",))
def multi_margin_loss_nonfinite_seed(adapter, record):
    """multi_margin_loss(x, t, p, margin 1, class weights, reduction='none') with margins
    violated and met, from the output gradient [2, inf, NaN], p 1 and 2: the frameworks that
    have it (torch 2.13) compute the local gradient first and multiply it by the output
    gradient once (``grad_input *= grad_output``), so an infinite one gives +-inf where the
    margin is violated, NaN where it is met (0 * inf), -inf/+inf at the target (not inf - inf),
    and a NaN one NaN throughout its row."""
    scores = numpy.array([[0.5, 2.0, -1.0, 0.25], [1.0, -0.5, 0.75, -2.0],
                          [0.0, 1.5, -0.25, 0.5]])
    for p in (1, 2):
        x = adapter.tensor(scores, requires_grad=True)
        y = functional_call(adapter, "multi_margin_loss", x, numpy.array([1, 2, 0]), p=p,
                            margin=1.0, weight=numpy.array([0.5, 1.0, 2.0, 1.5]),
                            reduction="none")
        record(f"multi_margin_loss.p{p}", y)
        adapter.seeded_backward(y, numpy.array([2.0, numpy.inf, numpy.nan]))
        record_grads(adapter, record, f"multi_margin_loss.p{p}", x=x)


# x in the flat (zero-slope) parts of each op and in its passing part, with NaN and infinite
# output gradients: torch's backward kernels select (0 where the slope is 0), chainer's
# multiply (NaN there). refimpl: the policy's ``zero_slope_gradient``.
_ZERO_SLOPE_X = [-4.0, -1.0, 0.25, 4.0]
_ZERO_SLOPE_SEED = [numpy.nan, numpy.inf, numpy.nan, -numpy.inf]


def _zero_slope_grads(adapter, record, calls):
    for label, call in calls:
        x = adapter.tensor(numpy.array(_ZERO_SLOPE_X), requires_grad=True)
        adapter.seeded_backward(call(x), numpy.array(_ZERO_SLOPE_SEED))
        record(f"{label}.x.grad", adapter.grad_of(x))


@behaviour("zero_slope_gradient")
def zero_slope_gradient(adapter, record):
    """relu, clip(x, -2, 2) and hard_sigmoid at x = [-4, -1, 0.25, 4] from the output gradient
    [NaN, inf, NaN, -inf]: where the slope is 0, torch 2.13 gives 0 (its kernels select) and
    chainer 7.8.1 NaN (``gy * mask``)."""
    call = adapter.call
    _zero_slope_grads(adapter, record, [
        ("relu", lambda x: call("relu", x)),
        ("clip", lambda x: call("clip", x, -2.0, 2.0)),
        ("hard_sigmoid", lambda x: call("hard_sigmoid", x))])


@behaviour("zero_slope_gradient", ops=("hardtanh", "relu6", "hardshrink", "softshrink",
                                       "hardswish"))
def zero_slope_gradient_more_ops(adapter, record):
    """hardtanh, relu6, hardshrink(x, 2), softshrink(x, 2) and hardswish, as
    ``zero_slope_gradient``, for the frameworks that have them all (torch: 0 where the slope
    is 0; its hardswish selects in one kernel, 0 below -3)."""
    call = adapter.call
    _zero_slope_grads(adapter, record, [
        ("hardtanh", lambda x: call("hardtanh", x)),
        ("relu6", lambda x: call("relu6", x)),
        ("hardshrink", lambda x: call("hardshrink", x, 2.0)),
        ("softshrink", lambda x: call("softshrink", x, 2.0)),
        ("hardswish", lambda x: call("hardswish", x))])


@behaviour("extremum_gradient_selects")
def extremum_gradient_selects(adapter, record):
    """maximum and minimum of a = [-4, -1, 0.25, 4] and b = [0, 1, 0.25, 2] from the output
    gradient [NaN, inf, NaN, -inf], and max and min over all of a (with and without
    keepdims) from a NaN: torch 2.13 gives 0 where an operand is not the extreme (it selects;
    but amax, which keepdims calls, multiplies), chainer 7.8.1 too for maximum
    (``numpy.where``) but NaN for minimum, max and min (``gy * mask``)."""
    call = adapter.call
    for op in ("maximum", "minimum"):
        a = adapter.tensor(numpy.array(_ZERO_SLOPE_X), requires_grad=True)
        b = adapter.tensor(numpy.array([0.0, 1.0, 0.25, 2.0]), requires_grad=True)
        adapter.seeded_backward(call(op, a, b), numpy.array(_ZERO_SLOPE_SEED))
        record_grads(adapter, record, op, a=a, b=b)
    for op in ("max", "min"):
        for keepdims in (False, True):  # torch: max(x) selects, amax(x, keepdim) multiplies
            x = adapter.tensor(numpy.array(_ZERO_SLOPE_X), requires_grad=True)
            y = call(op, x, None, keepdims)
            adapter.seeded_backward(y, numpy.full(adapter.to_numpy(y).shape, numpy.nan))
            record_grads(adapter, record, f"{op}(keepdims={keepdims})", x=x)


@behaviour(ops=("nll_loss",))
def ignored_target_gradient(adapter, record):
    """nll_loss of log-probabilities x (3 samples, 4 classes) with the middle target ignored
    (-100), from NaN and infinite output gradients: the frameworks that have it (torch 2.13)
    skip the ignored sample, so its gradient is 0, not the output gradient times 0 (NaN)."""
    log_p = numpy.log(numpy.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25],
                                   [0.7, 0.1, 0.1, 0.1]]))
    t = numpy.array([3, -100, 2])
    for reduction, seed in (("none", [numpy.inf, numpy.nan, -numpy.inf]), ("mean", numpy.nan)):
        x = adapter.tensor(log_p, requires_grad=True)
        y = functional_call(adapter, "nll_loss", x, t, None, -100, reduction)
        record(f"nll_loss({reduction})", y)
        adapter.seeded_backward(y, numpy.array(seed))
        record_grads(adapter, record, f"nll_loss({reduction})", x=x)
