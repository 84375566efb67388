"""chainer's learning-rate shift extensions as the ``optim.schedule`` run
(``conformance.subjects.schedules``): self-contained, so a repro script pastes its source."""
import numpy


def chainer_lr_schedule_run(case):
    """The ``chainer.training.extensions`` shift of ``case['kind']`` on an SGD of initial
    ``case['lr']``, called as a trainer calls it (``initialize`` once, then once per
    iteration, ``case['calls']`` times) with a minimal stand-in trainer: the extensions only
    use ``trainer.updater.get_optimizer('main')``. ``case['set_lr']`` (t, value) sets
    ``optimizer.lr`` by hand after call t. Returns {'lr': the lr after ``initialize`` and
    after each call}."""
    import chainer
    from chainer.training import extensions
    hyper, lr = case["hyper"], case["lr"]
    if case["kind"] == "exponential":
        extension = extensions.ExponentialShift("lr", hyper["gamma"])
    elif case["kind"] == "step":
        extension = extensions.StepShift("lr", hyper["gamma"], hyper["step_size"])
    elif case["kind"] == "multistep":
        extension = extensions.MultistepShift("lr", hyper["gamma"], list(hyper["milestones"]), lr)
    elif case["kind"] == "linear":
        extension = extensions.LinearShift(
            "lr", (lr * hyper["start_factor"], lr * hyper["end_factor"]), (0, hyper["total_iters"]))
    elif case["kind"] == "warmup":
        extension = extensions.WarmupShift("lr", lr * hyper["start_factor"], hyper["total_iters"],
                                           lr)
    elif case["kind"] == "inverse":
        extension = extensions.InverseShift("lr", hyper["gamma"], hyper["power"])
    else:
        extension = extensions.PolynomialShift("lr", hyper["power"], hyper["total_iters"])
    optimizer = chainer.optimizers.SGD(lr=lr)

    class Updater:
        def get_optimizer(self, name):
            return optimizer

    class Trainer:
        updater = Updater()

    trainer = Trainer()
    extension.initialize(trainer)
    values = [float(optimizer.lr)]
    for t in range(1, case["calls"] + 1):
        extension(trainer)
        if case["set_lr"] is not None and case["set_lr"][0] == t:
            optimizer.lr = case["set_lr"][1]
        values.append(float(optimizer.lr))
    return {"lr": numpy.array(values, dtype=numpy.float64)}
