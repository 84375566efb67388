"""Behaviour cases of the engine semantics of issue 17: in-place edits of saved tensors (the
version counter), ``.grad`` assignment checks, what a leaf's ``.grad`` array is (its own
buffer, updated in place, or the computed array), re-enabling graphs inside ``no_grad``, and
NaN gradients through ``where`` with a masked branch. Each names the ``refimpl.Policy`` fields
it verifies (see ``core``); a case with none records a behaviour both frameworks share.
"""
import numpy

from ..checks.observations import attempt
from ..frameworks.base import NotSupported
from .core import behaviour, f32

#: The start of torch's message when a saved tensor was modified in place (refimpl's message
#: goes on naming the op's input and versions; torch's names its own tensor type).
MODIFIED_MESSAGE = ("one of the variables needed for gradient computation has been modified "
                    "by an inplace operation")


def _error_summary(record, name, function, message_start=None):
    """Run ``function()``; record 'ok', or the exception's class (and, with
    ``message_start``, whether its message starts with it). Returns the result or None."""
    try:
        result = function()
    except NotSupported:
        raise
    except Exception as error:  # noqa: BLE001 - the class is the behaviour under test
        summary = [type(error).__name__]
        if message_start is not None:
            summary.append(" ".join(str(error).split()).startswith(message_start))
        record(name, summary)
        return None
    record(name, "ok")
    return result


@behaviour("in_place_version_check")
def saved_tensor_modified_in_place(adapter, record):
    """b = 2a; c = b * b saves b; adding 1 to b in place outside the graph (torch ``with
    no_grad(): b.add_(1)``, chainer ``b.array += 1``): torch's backward raises (b's version
    changed), chainer's uses the edited b (a.grad = 4 (2a + 1) = [12, 20, 28] instead of 8a).
    Through ``b + 1``, which saves nothing, both give a.grad = 2. A leaf edited after
    ``a * a`` saved it: torch raises, chainer uses the edited a."""
    call = adapter.call
    a = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    b = call("mul", a, 2)
    c = call("mul", b, b)
    adapter.add_in_place(b, f32([1, 1, 1]))
    record("b", b)
    _error_summary(record, "saved.backward", lambda: adapter.backward(call("sum", c)),
                   MODIFIED_MESSAGE)
    record("saved.a.grad", adapter.grad_of(a))

    a = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    b = call("mul", a, 2)
    d = call("add", b, 1)
    adapter.add_in_place(b, f32([1, 1, 1]))
    _error_summary(record, "not_saved.backward", lambda: adapter.backward(call("sum", d)),
                   MODIFIED_MESSAGE)
    record("not_saved.a.grad", adapter.grad_of(a))

    a = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    c = call("mul", a, a)
    adapter.add_in_place(a, f32([1, 1, 1]))
    _error_summary(record, "leaf.backward", lambda: adapter.backward(call("sum", c)),
                   MODIFIED_MESSAGE)
    record("leaf.a.grad", adapter.grad_of(a))


@behaviour("grad_assignment_errors")
def grad_assignment_checks(adapter, record):
    """Assigning x.grad (x float32 of shape (3,)) of shape (2,), of shape (), of dtype float64
    and of dtype int64: torch raises RuntimeError for each ('attempting to assign a gradient
    of size ...', '... with dtype ...'); chainer raises ValueError for the shapes ('Shape of
    data and grad mismatch') and TypeError for the dtypes ('Dtype of data and grad mismatch').
    The shape messages are compared in full; for the dtypes only the class and the message's
    start (torch names dtypes 'double', 'long int'; refimpl NumPy's names). A right one is
    kept."""
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    for name, array in (("shape_2", numpy.zeros(2, numpy.float32)),
                        ("shape_0d", numpy.zeros((), numpy.float32))):
        attempt(record, name, lambda: adapter.assign_grad(x, array))
    for name, array in (("float64", numpy.zeros(3, numpy.float64)),
                        ("int64", numpy.zeros(3, numpy.int64))):
        _error_summary(record, name, lambda: adapter.assign_grad(x, array),
                       "attempting to assign a gradient with dtype")
    record("x.grad after the failed assignments", adapter.grad_of(x))
    attempt(record, "right", lambda: adapter.assign_grad(x, f32([4, 5, 6])))
    record("x.grad", adapter.grad_of(x))


@behaviour("leaf_grad_storage")
def leaf_grad_storage(adapter, record):
    """x = [1, 2]; sum(x * x).backward() twice: torch adds the second gradient into the same
    array (a grad fetched after the first backward now holds [4, 8]), chainer stores a new
    array (the fetched one keeps [2, 4]). Zeroing (torch zero_grad(set_to_none=False),
    chainer zerograd()) zeroes that array in place in both; the next backward adds into it
    in torch ([2, 4]), chainer leaves it ([0, 0]). An array assigned to x.grad before a backward:
    torch adds into it ([3, 5]), chainer leaves it ([1, 1]). The grad of sum(x) for a
    transposed (3, 2) leaf: torch lays it out like the leaf (strides (1, 3)), chainer keeps
    the broadcast of the output gradient (strides (0, 0))."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    adapter.backward(call("sum", call("mul", x, x)))
    first = adapter.grad_handle(x)
    adapter.backward(call("sum", call("mul", x, x)))
    record("first grad after the second backward", adapter.to_numpy(first))
    record("x.grad", adapter.grad_of(x))
    record("x.grad is the first grad", adapter.grad_handle(x) is first)

    before = adapter.grad_handle(x)
    adapter.zero_grads([x])
    zeroed = adapter.grad_handle(x)
    record("zeroing keeps the grad object", zeroed is before)
    adapter.backward(call("sum", call("mul", x, x)))
    record("zeroed array after a backward", adapter.to_numpy(zeroed))

    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    assigned = adapter.assign_grad(x, f32([1, 1]))
    adapter.backward(call("sum", call("mul", x, x)))
    record("assigned array after backward", adapter.to_numpy(assigned))
    record("assigned.x.grad", adapter.grad_of(x))

    transposed = numpy.arange(6, dtype=numpy.float32).reshape(2, 3).T
    x = adapter.tensor(transposed, requires_grad=True)
    record("transposed leaf strides", adapter.grad_strides(x))  # None: no grad yet
    adapter.backward(call("sum", x))
    record("sum.grad strides", adapter.grad_strides(x))
    record("sum.x.grad", adapter.grad_of(x))


@behaviour()
def enable_grad_inside_no_grad(adapter, record):
    """Inside no_grad (chainer no_backprop_mode), enable_grad (chainer force_backprop_mode)
    records again: y = x * x made there has a graph and backward gives 2x; an op made after
    it, still inside no_grad, has none. The same in torch 2.13 and chainer 7.8.1."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    with adapter.no_grad():
        with adapter.enable_grad():
            y = call("mul", x, x)
        z = call("mul", x, 3)
    record("y.has_graph", adapter.has_graph(y))
    record("z.has_graph", adapter.has_graph(z))
    adapter.backward(call("sum", y))
    record("x.grad", adapter.grad_of(x))


@behaviour(ops=("where", "sqrt", "log"))
def where_masked_nan_gradient(adapter, record):
    """where(x > 0, f(x), 0) at x = [0, 4, -1]: the forward is finite, but the unselected
    branch's gradient still flows as 0 * f'(x): 0 * inf = NaN for sqrt and log at 0 (and
    -0 for log at -1). torch 2.13 and chainer 7.8.1 both give NaN; the fix is to mask the
    input before f (the 'double where')."""
    call = adapter.call
    for op in ("sqrt", "log"):
        x = adapter.tensor(f32([0, 4, -1]), requires_grad=True)
        condition = adapter.to_numpy(x) > 0
        y = call("where", condition, call(op, x), adapter.tensor(f32([0, 0, 0])))
        record(f"{op}.y", y)
        adapter.backward(call("sum", y))
        record(f"{op}.x.grad", adapter.grad_of(x))
        x = adapter.tensor(f32([0, 4, -1]), requires_grad=True)
        safe = call("where", condition, x, adapter.tensor(f32([1, 1, 1])))
        y = call("where", condition, call(op, safe), adapter.tensor(f32([0, 0, 0])))
        adapter.backward(call("sum", y))
        record(f"{op}.double_where.x.grad", adapter.grad_of(x))


# --- learning-rate schedules --------------------------------------------------------------

#: One schedule of each kind (``refimpl.schedules``), in torch's argument names.
SCHEDULES = {
    "exponential": {"gamma": 0.5},
    "step": {"step_size": 2, "gamma": 0.5},
    "multistep": {"milestones": (2, 4), "gamma": 0.5},
    "linear": {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 4},
    "polynomial": {"total_iters": 4, "power": 2.0},
    "warmup": {"start_factor": 0.25, "total_iters": 4},
}


@behaviour("lr_schedule_form")
def lr_schedule_values(adapter, record):
    """Each schedule kind from lr 1.0 over 6 calls (torch ExponentialLR, StepLR, MultiStepLR,
    LinearLR, PolynomialLR, LinearLR; chainer ExponentialShift, StepShift, MultistepShift,
    LinearShift, PolynomialShift, WarmupShift driven by a stand-in trainer): the same values in
    both. Then the lr set by
    hand to 0.8 after call 2: torch carries on from 0.8 (it multiplies the current lr),
    chainer recomputes from the initial lr at call 3 (exponential: 0.4 vs 0.125)."""
    for kind, hp in SCHEDULES.items():
        record(f"{kind}", adapter.lr_schedule(kind, 1.0, 6, **hp))
        record(f"{kind}.set_by_hand", adapter.lr_schedule(kind, 1.0, 6, set_lr=(2, 0.8), **hp))


@behaviour("multistep_repeated_milestones")
def multistep_repeated_milestones(adapter, record):
    """A multi-step schedule (gamma 0.5) with milestones (2, 2, 4): torch halves twice at call
    2 (1, 1, 0.25, 0.25, 0.125, ...), chainer once per call (1, 1, 0.5, 0.25, 0.125); with
    unsorted milestones (4, 2) torch sorts them, chainer waits for 4 first."""
    for name, milestones in (("repeated", (2, 2, 4)), ("unsorted", (4, 2))):
        record(name, adapter.lr_schedule("multistep", 1.0, 6, milestones=milestones, gamma=0.5))


@behaviour("momentum_lr_form")
def momentum_lr_change(adapter, record):
    """Each framework's momentum SGD (torch SGD(momentum=0.9), chainer MomentumSGD(momentum=
    0.9)) from p = 0 with gradient 1: the same p while lr is 0.1 (-0.1, -0.29); after lr
    drops to 0.01, torch scales its whole buffer (-0.3171, -0.35149), chainer's velocity still
    carries lr 0.1 (-0.471, -0.6439)."""
    param = numpy.zeros(1, numpy.float64)
    grads = [numpy.ones(1)] * 4
    record("p", adapter.momentum_sgd_steps(param, grads, [0.1, 0.1, 0.01, 0.01], 0.9))


@behaviour()
def tensor_gradient_hooks(adapter, record):
    """torch ``register_hook``: a hook on an intermediate y = 2x sees dL/dy of L = sum(y * y)
    (2y = [4, 8]) and its result (times 10) flows on to x ([80, 160]); a hook on the leaf x
    sees the gradient before it is accumulated and its result is what x.grad gets; after
    ``remove()`` the hook is no longer called. chainer 7.8.1 has no tensor hooks (a skip, with
    the reason)."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    y = call("mul", x, 2)
    seen = []
    adapter.register_scaling_hook(y, 10.0, seen)
    adapter.backward(call("sum", call("mul", y, y)))
    record("intermediate.seen", seen)
    record("intermediate.x.grad", adapter.grad_of(x))

    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    seen = []
    handle = adapter.register_scaling_hook(x, 10.0, seen)
    adapter.backward(call("sum", call("mul", x, 3)))
    record("leaf.seen", seen)
    record("leaf.x.grad", adapter.grad_of(x))
    handle.remove()
    adapter.backward(call("sum", call("mul", x, 3)))
    record("removed.seen", len(seen))
    record("removed.x.grad", adapter.grad_of(x))


@behaviour()
def inference_mode_tensors(adapter, record):
    """torch ``inference_mode()``: y = 2x made inside does not require grad, has no graph and
    is an inference tensor (one made under no_grad is not); y * x outside raises at once (mul
    would save y for backward) while y + x (saves nothing) differentiates; an in-place edit of
    y outside raises; enable_grad inside does not record. chainer has no inference mode (a
    skip, with the reason)."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    with adapter.inference_mode():
        y = call("mul", x, 2)
        with adapter.enable_grad():
            inside = call("mul", x, x)
    with adapter.no_grad():
        z = call("mul", x, 2)
    record("y.requires_grad", adapter.requires_grad(y))
    record("y.has_graph", adapter.has_graph(y))
    record("y.is_inference", adapter.is_inference(y))
    record("no_grad.is_inference", adapter.is_inference(z))
    record("enable_grad inside.has_graph", adapter.has_graph(inside))
    attempt(record, "y * x", lambda: call("mul", y, x))
    adapter.backward(call("sum", call("add", y, x)))
    record("y + x: x.grad", adapter.grad_of(x))
    attempt(record, "y edited in place", lambda: adapter.add_in_place(y, f32([1, 1])))


@behaviour("adam_eps_placement")
def adam_eps_placement(adapter, record):
    """Each framework's Adam (torch Adam(lr=0.1, betas=(0.9, 0.999), eps=0.1), chainer
    Adam(alpha=0.1, beta1=0.9, beta2=0.999, eps=0.1)) from p = [1, -2] over three gradients:
    torch adds eps after dividing sqrt(v) by sqrt(1 - beta2^t) (first step 0.9167), chainer
    before (0.9863): chainer's eps is torch's eps / sqrt(1 - beta2^t). With eps 1e-8 the
    difference is below the comparison's tolerance."""
    grads = [numpy.array([0.5, -1.0]), numpy.array([0.25, 2.0]), numpy.array([-0.5, 0.1])]
    param = numpy.array([1.0, -2.0])
    record("eps 0.1", adapter.adam_steps(param, grads, 0.1, 0.9, 0.999, 0.1))
    record("eps 1e-8", adapter.adam_steps(param, grads, 0.1, 0.9, 0.999, 1e-8))


@behaviour("adam_weight_decay")
def adam_weight_decay(adapter, record):
    """Each framework's Adam with weight decay 0.1 (torch Adam(lr=0.1, weight_decay=0.1),
    chainer Adam(alpha=0.1, weight_decay_rate=0.1)) from p = [1, -2]: torch adds 0.1 p to the
    gradient (the first step: [0.9, -1.9]), chainer subtracts 0.1 p from p after the step
    ([0.8, -1.7]); over three steps."""
    grads = [numpy.array([0.5, -1.0]), numpy.array([0.25, 2.0]), numpy.array([-0.5, 0.1])]
    record("p", adapter.adam_steps(numpy.array([1.0, -2.0]), grads, 0.1, 0.9, 0.999, 1e-8,
                                   weight_decay=0.1))


@behaviour("grad_norm_clipping")
def grad_norm_clipping(adapter, record):
    """Clipping gradients to a total L2 norm (torch clip_grad_norm_, chainer's GradientClipping
    hook): norm 5 to 2.5 halves them in both (up to torch's 1e-6); norm 5e-7 to 2.5e-7 is
    scaled by 2.5e-7 / (5e-7 + 1e-6) = 1/6 in torch and by 1/2 in chainer (recorded as the
    factor, since the values are below the comparison's absolute tolerance); a norm below the
    bound is left alone in both."""
    for name, grads, bound in (
            ("large", [numpy.array([3.0, 0.0]), numpy.array([[0.0, 4.0]])], 2.5),
            ("tiny", [numpy.array([3e-7, 0.0]), numpy.array([[0.0, 4e-7]])], 2.5e-7),
            ("below", [numpy.array([0.3, 0.0]), numpy.array([[0.0, 0.4]])], 2.5)):
        clipped = adapter.clip_grad_norm(grads, bound)
        record(name, clipped)
        record(f"{name}.factor", float(clipped[0][0] / grads[0][0]))


@behaviour("optimizer_defaults")
def optimizer_defaults(adapter, record):
    """SGD, Adagrad and Adadelta constructed with no hyperparameters (torch SGD, Adagrad,
    Adadelta; chainer SGD, AdaGrad, AdaDelta), two steps from p = [1, -2]: the formulas agree,
    the defaults do not (SGD lr 1e-3 vs 0.01: 0.99925 vs 0.9925; Adagrad lr 1e-2 vs 1e-3;
    Adadelta rho 0.9 vs 0.95)."""
    grads = [numpy.array([0.5, -1.0]), numpy.array([0.25, 2.0])]
    for family in ("sgd", "adagrad", "adadelta"):
        record(family, adapter.default_optimizer_steps(family, numpy.array([1.0, -2.0]), grads))


@behaviour("optimizer_none_grad")
def optimizer_step_without_grad(adapter, record):
    """Momentum SGD (lr 0.1, momentum 0.9; torch SGD, chainer MomentumSGD) from p = 0: a step
    with gradient 1, then two with p.grad None: torch skips p (-0.1, -0.1, -0.1), chainer
    takes zeros and the momentum moves p (-0.1, -0.19, -0.271)."""
    record("p", adapter.momentum_sgd_steps(numpy.zeros(1), [numpy.ones(1), None, None],
                                           [0.1, 0.1, 0.1], 0.9))
