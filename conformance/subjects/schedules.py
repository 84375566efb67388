"""Learning-rate schedule subjects (issue 17): one ``Run`` per schedule kind of
``refimpl.schedules`` (property ``optim.schedule``), each framework's binding a run of its
layers module's ``RUNS``: torch ``ExponentialLR``, ``StepLR``,
``MultiStepLR``, ``LinearLR``, ``PolynomialLR``, ``LinearLR`` again for the warmup; chainer
``ExponentialShift``, ``StepShift``, ``MultistepShift``, ``LinearShift``, ``PolynomialShift``,
``WarmupShift``, ``InverseShift`` (no torch scheduler: a skip) driven by a stand-in trainer.

A case: ``kind``, the initial ``lr``, the number of ``calls``, ``set_lr`` (None, or (t, value):
the lr set by hand after call t, where the frameworks' forms differ: policy field
``lr_schedule_form``) and ``hyper`` (in torch's argument names). Milestones are drawn in any
order and may repeat (policy field ``multistep_repeated_milestones``).
"""
from hypothesis import strategies as st

from .core import register
from .layers import Run
from .strategies import composite

KINDS = ("exponential", "step", "multistep", "linear", "polynomial", "warmup", "inverse")
GAMMA = st.floats(0.1, 1.0)
TOTAL = st.integers(1, 6)

HYPERPARAMETERS = {
    "exponential": st.fixed_dictionaries({"gamma": st.floats(0.1, 1.5)}),
    "step": st.fixed_dictionaries({"step_size": st.integers(1, 4), "gamma": GAMMA}),
    "multistep": st.fixed_dictionaries({
        "milestones": st.lists(st.integers(1, 8), min_size=1, max_size=3).map(tuple),
        "gamma": GAMMA}),
    "linear": st.fixed_dictionaries({"start_factor": st.floats(0.05, 1.0),
                                     "end_factor": st.floats(0.05, 1.0), "total_iters": TOTAL}),
    "polynomial": st.fixed_dictionaries({"total_iters": TOTAL, "power": st.floats(0.5, 3.0)}),
    "warmup": st.fixed_dictionaries({"start_factor": st.floats(0.05, 1.0), "total_iters": TOTAL}),
    "inverse": st.fixed_dictionaries({"gamma": st.floats(0.01, 1.0),
                                      "power": st.floats(0.25, 2.0)}),
}


@composite
def schedule_cases(draw, *, kind):
    """A case of schedule ``kind``: hyperparameters, initial lr, 1 to 10 calls, and in one
    case of two an lr set by hand after one of them."""
    calls = draw(st.integers(1, 10), label="calls")
    set_lr = None
    if draw(st.booleans(), label="set lr by hand"):
        set_lr = (draw(st.integers(1, calls), label="after call"),
                  draw(st.floats(1e-3, 1.0), label="lr set"))
    return {"kind": kind, "lr": draw(st.floats(1e-3, 1.0), label="lr"), "calls": calls,
            "set_lr": set_lr, "hyper": draw(HYPERPARAMETERS[kind], label="hyperparameters")}


def _cases(kind):
    return lambda features: schedule_cases(kind=kind)


for _kind in KINDS:
    register(Run(f"lr_{_kind}", family="schedule", properties=("optim.schedule",),
                 cases=_cases(_kind),
                 doc=f"the {_kind} learning-rate schedule: the lr after each of a few calls"))
del _kind
