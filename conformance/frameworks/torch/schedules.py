"""torch's learning-rate schedulers as the ``optim.schedule`` run (``conformance.subjects.
schedules``): self-contained, so a repro script pastes its source."""
import numpy


def torch_lr_schedule_run(case):
    """``torch.optim.lr_scheduler`` of ``case['kind']`` on an SGD of initial ``case['lr']``;
    ``optimizer.step(); scheduler.step()`` ``case['calls']`` times; ``case['set_lr']`` (t,
    value) sets ``param_groups[0]['lr']`` by hand after call t. Returns {'lr': the lr before
    the first call and after each}."""
    import torch
    schedulers, hyper = torch.optim.lr_scheduler, case["hyper"]
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=case["lr"])
    if case["kind"] == "exponential":
        scheduler = schedulers.ExponentialLR(optimizer, hyper["gamma"])
    elif case["kind"] == "step":
        scheduler = schedulers.StepLR(optimizer, hyper["step_size"], hyper["gamma"])
    elif case["kind"] == "multistep":
        scheduler = schedulers.MultiStepLR(optimizer, list(hyper["milestones"]), hyper["gamma"])
    elif case["kind"] == "linear":
        scheduler = schedulers.LinearLR(optimizer, hyper["start_factor"], hyper["end_factor"],
                                        hyper["total_iters"])
    elif case["kind"] == "warmup":
        scheduler = schedulers.LinearLR(optimizer, hyper["start_factor"], 1.0,
                                        hyper["total_iters"])
    else:
        scheduler = schedulers.PolynomialLR(optimizer, hyper["total_iters"], hyper["power"])
    values = [optimizer.param_groups[0]["lr"]]
    for t in range(1, case["calls"] + 1):
        optimizer.step()
        scheduler.step()
        if case["set_lr"] is not None and case["set_lr"][0] == t:
            optimizer.param_groups[0]["lr"] = case["set_lr"][1]
        values.append(float(optimizer.param_groups[0]["lr"]))
    return {"lr": numpy.array(values, dtype=numpy.float64)}
