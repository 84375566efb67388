"""Learning-rate schedules: the value after each call, in the active policy's form.

One schedule ``kind`` covers a torch scheduler and a chainer extension that compute the same
curve (arguments in torch's terms, relative to the initial ``lr``):

==============  =================================================  ===============================
kind            torch 2.13 (``torch.optim.lr_scheduler``)           chainer 7.8.1 (extensions)
==============  =================================================  ===============================
'exponential'   ExponentialLR(gamma)                                ExponentialShift('lr', gamma)
'step'          StepLR(step_size, gamma)                            StepShift('lr', gamma, step)
'multistep'     MultiStepLR(milestones, gamma)                      MultistepShift('lr', gamma,
                                                                    milestones, lr)
'linear'        LinearLR(start_factor, end_factor, total_iters)     LinearShift('lr', (start lr,
                                                                    end lr), (0, total_iters))
'polynomial'    PolynomialLR(total_iters, power)                    PolynomialShift('lr', power,
                                                                    total_iters)
'warmup'        LinearLR(start_factor, 1.0, total_iters)            WarmupShift('lr', start lr,
                                                                    total_iters, lr)
'inverse'       (none: LambdaLR with a function)                    InverseShift('lr', gamma, power)
==============  =================================================  ===============================

Call t (1, 2, ...) is torch's t-th ``scheduler.step()`` or chainer's t-th call of the
extension (after ``initialize``); both run after the t-th update, so the lr of update t + 1
is the value after call t. Where they differ is the policy's ``lr_schedule_form`` (torch
multiplies the current lr by a factor; chainer recomputes the value from the initial lr) and
``multistep_repeated_milestones``.

>>> import refimpl
>>> with refimpl.semantics("torch"):
...     [round(v, 4) for v in lr_sequence("exponential", 1.0, 3, gamma=0.5)]
[1.0, 0.5, 0.25, 0.125]
"""
import bisect
import math

from . import policies as _semantics

KINDS = ("exponential", "step", "multistep", "linear", "polynomial", "warmup", "inverse")


def initial_factor(kind, hp):
    """The factor of the initial lr set before the first call (LinearLR's start_factor)."""
    return hp["start_factor"] if kind in ("linear", "warmup") else 1.0


def closed_form(kind, lr, hp, t, passed, current):
    """The value after call ``t`` from the initial ``lr`` (chainer's extensions, in their
    order of operations); ``passed``: the multistep milestones passed so far; ``current``:
    the value now (kept by a warmup after its last call)."""
    if kind == "exponential":
        return lr * hp["gamma"] ** t                             # lr gamma^t
    if kind == "step":
        return lr * hp["gamma"] ** math.floor(t / hp["step_size"])   # lr gamma^floor(t / k)
    if kind == "multistep":
        return lr * hp["gamma"] ** passed                        # lr gamma^(milestones passed)
    if kind == "linear":
        first, last, total = lr * hp["start_factor"], lr * hp["end_factor"], hp["total_iters"]
        if t >= total:
            return last
        return first + t / total * (last - first)                # v1 + (t / T)(v2 - v1)
    if kind == "polynomial":
        return lr * max(1 - t / hp["total_iters"], 0) ** hp["power"]  # lr (1 - t / T)^power
    if kind == "warmup":
        start, total = lr * hp["start_factor"], hp["total_iters"]
        if t > total:
            return current                                       # left alone after warmup
        return (t * lr + (total - t) * start) / total            # (t lr + (T - t) s) / T
    if kind == "inverse":
        return lr * (1 + hp["gamma"] * t) ** (-hp["power"])      # lr (1 + gamma t)^-power
    raise ValueError(f"unknown schedule kind={kind!r}; known: {KINDS}")


def recursive_factor(kind, hp, t, newly_passed):
    """The factor torch's ``get_lr`` multiplies the current lr by at call ``t``;
    ``newly_passed``: the multistep milestones passed at this call."""
    if kind == "exponential":
        return hp["gamma"]                                       # lr = lr gamma
    if kind == "step":
        return hp["gamma"] if t % hp["step_size"] == 0 else 1.0  # every k calls
    if kind == "multistep":
        return hp["gamma"] ** newly_passed                       # each milestone passed at t
    if kind == "linear":
        start, end, total = hp["start_factor"], hp["end_factor"], hp["total_iters"]
        if t > total:
            return 1.0
        return 1.0 + (end - start) / (total * start + (t - 1) * (end - start))
    if kind == "polynomial":
        total = hp["total_iters"]
        if t > total:
            return 1.0
        return ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** hp["power"]
    if kind == "warmup":
        return recursive_factor("linear", dict(hp, end_factor=1.0), t, newly_passed)
    if kind == "inverse":
        raise ValueError("kind='inverse' has no recursive form (no scheduler of that form "
                         "computes it)")
    raise ValueError(f"unknown schedule kind={kind!r}; known: {KINDS}")


def _milestones_passed(milestones, t, passed):
    """Milestones passed after call ``t`` (policy ``multistep_repeated_milestones``)."""
    if _semantics.current().multistep_repeated_milestones == "count":
        return bisect.bisect_right(sorted(milestones), t)        # every milestone <= t
    if passed < len(milestones) and t >= milestones[passed]:     # the next one, in the given order
        return passed + 1
    return passed


def lr_sequence(kind, lr, calls, set_lr=None, **hp):
    """The lr before the first call and after each of ``calls`` calls of schedule ``kind``
    (arguments ``hp`` in torch's names, see the table), in the active policy's form.
    ``set_lr``: ``(t, value)`` sets the lr by hand right after call t."""
    if kind not in KINDS:
        raise ValueError(f"unknown schedule kind={kind!r}; known: {KINDS}")
    if not isinstance(calls, int) or calls < 0:
        raise ValueError(f"calls must be a non-negative int, got calls={calls!r}")
    recursive = _semantics.current().lr_schedule_form == "recursive"
    current = lr * initial_factor(kind, hp)
    values, passed = [current], 0
    for t in range(1, calls + 1):
        before = passed
        if kind == "multistep":
            passed = _milestones_passed(list(hp["milestones"]), t, passed)
        if recursive:
            current = current * recursive_factor(kind, hp, t, passed - before)
        else:
            current = closed_form(kind, lr, hp, t, passed, current)
        if set_lr is not None and set_lr[0] == t:
            current = set_lr[1]
        values.append(current)
    return values
