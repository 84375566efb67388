"""refimpl's learning-rate schedules as the ``optim.schedule`` run, under ``case['policy']``."""
import numpy


def refimpl_lr_schedule_run(case):
    """``refimpl.schedules.lr_sequence`` of the case under ``case['policy']``."""
    import refimpl
    with refimpl.semantics(case["policy"]):
        values = refimpl.schedules.lr_sequence(case["kind"], case["lr"], case["calls"],
                                               set_lr=case["set_lr"], **case["hyper"])
    return {"lr": numpy.array(values, dtype=numpy.float64)}
