#!/usr/bin/env python
"""Probe PyTorch's and Chainer's optimizers by running them; one JSON object per line.

Records each framework's default hyperparameters (from the constructor signatures) and a
few parameter trajectories and behaviours that ``refimpl.optimizers`` models::

    {"scenario": name, "framework": "torch"|"chainer", "version": ..., "result": ...}

Trajectories start from ``PARAM0`` (float64) and feed the gradients ``GRADS`` (step t uses
``GRADS[t]``); ``result["params"]`` lists the parameter after each step.

Usage::

    SETUPTOOLS_USE_DISTUTILS=stdlib python scripts/probe_optimizers.py --framework torch \\
        > scripts/probe_results/optim-torch-2.13.0.jsonl
"""
import argparse
import inspect
import json
import sys
import warnings

import numpy

PARAM0 = [1.0, -2.0, 0.5]
GRADS = [[0.5, -1.0, 1e-9], [0.25, 2.0, -1e-9], [-0.5, 0.1, 2e-9], [1.0, -0.3, 0.0]]
SWITCHES = ("foreach", "fused", "capturable", "differentiable")

TORCH_CONFIGS = {
    "SGD": {"lr": 0.1},
    "SGD_momentum": {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
    "SGD_nesterov": {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    "Adam": {"lr": 0.1},
    "Adam_amsgrad_l2": {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1},
    "AdamW": {"lr": 0.1, "weight_decay": 0.1},
    "RMSprop": {"lr": 0.01},
    "RMSprop_centered_momentum": {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.5},
    "Adadelta": {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1},
}
CHAINER_CONFIGS = {
    "SGD": {"lr": 0.1},
    "CorrectedMomentumSGD": {"lr": 0.1, "momentum": 0.9},
    "AdaDelta": {"rho": 0.8},
    "SMORMS3": {"lr": 0.1},
    "MomentumSGD": {"lr": 0.1, "momentum": 0.9},
    "NesterovAG": {"lr": 0.1, "momentum": 0.9},
    "Adam": {"alpha": 0.1},
    "Adam_amsgrad_wd": {"alpha": 0.1, "amsgrad": True, "weight_decay_rate": 0.1},
    "AdaBound": {"alpha": 0.1},
    "RMSprop": {"lr": 0.01},
    "RMSpropGraves": {"lr": 0.01},
    "AdaGrad": {"lr": 0.1},
}


def jsonable(value):
    """Arrays and tensors as nested lists; other values as they are."""
    if hasattr(value, "detach"):
        value = value.detach().numpy()
    if isinstance(value, numpy.ndarray) or isinstance(value, numpy.generic):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def signature_defaults(cls, skip=("self", "params")):
    """{argument: default} of ``cls.__init__``, without implementation switches."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    return {p.name: p.default for p in parameters
            if p.name not in skip and p.name not in SWITCHES}


# --- torch --------------------------------------------------------------------------------
def torch_scenarios():
    import torch

    def run(name, config):
        p = torch.tensor(PARAM0, dtype=torch.float64, requires_grad=True)
        opt = getattr(torch.optim, name.split("_")[0])([p], **config)
        params = []
        for g in GRADS:
            p.grad = torch.tensor(g, dtype=torch.float64)
            opt.step()
            params.append(p.detach().clone())
        return {"config": config, "params": params, "state": opt.state_dict()["state"]}

    yield "defaults", {n: signature_defaults(getattr(torch.optim, n))
                       for n in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta")}
    for name, config in TORCH_CONFIGS.items():
        yield "trajectory." + name, run(name, config)
    yield "none_grad", torch_none_grad(torch)
    yield "lr_change", torch_lr_change(torch)
    yield "clip_grad_norm_at_max_norm", torch_clip_at_max(torch)
    yield "clip_grad_norm_negative_max_norm", torch_clip_negative(torch)
    yield "zero_grad_default", torch_zero_grad(torch)
    yield "adagrad_state_before_step", jsonable(
        torch.optim.Adagrad([torch.zeros(2, requires_grad=True)]).state_dict()["state"])


def torch_none_grad(torch):
    """Momentum SGD and Adam with a parameter whose grad stays None."""
    result = {}
    for name, config in (("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.1})):
        a = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
        opt = getattr(torch.optim, name)([a, b], **config)
        a.grad, b.grad = torch.tensor([1.0], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
        opt.step()
        b.grad = None
        opt.step()
        result[name] = {"a": a.detach().clone(), "b": b.detach().clone(),
                        "state_keys": sorted(opt.state_dict()["state"]),
                        "b_step": opt.state[b].get("step")}
    return result


def torch_lr_change(torch):
    """SGD(momentum=0.9) with lr 0.1 for two steps then 0.01 (grad 1 each step)."""
    p = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    params = []
    for lr in (0.1, 0.1, 0.01, 0.01):
        opt.param_groups[0]["lr"] = lr
        p.grad = torch.tensor([1.0], dtype=torch.float64)
        opt.step()
        params.append(p.detach().clone())
    return {"params": params}


def torch_clip_at_max(torch):
    """clip_grad_norm_ when the norm equals max_norm (3-4-5 gradient, max_norm 5)."""
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    norm = torch.nn.utils.clip_grad_norm_([p], 5.0)
    return {"total_norm": norm, "grad": p.grad}


def torch_clip_negative(torch):
    """clip_grad_norm_ with max_norm = -1 (torch does not check the sign)."""
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    norm = torch.nn.utils.clip_grad_norm_([p], -1.0)
    return {"total_norm": norm, "grad": p.grad}


def torch_zero_grad(torch):
    """Grad after optimizer.zero_grad() with no argument."""
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.ones(2)
    opt = torch.optim.SGD([p])
    opt.zero_grad()
    return {"grad_is_none": p.grad is None, "sgd_default_lr": opt.defaults["lr"]}


# --- chainer ------------------------------------------------------------------------------
def chainer_scenarios():
    import chainer
    import chainer.optimizers as optimizers

    def run(name, config):
        link = _chainer_link(chainer, a=PARAM0)
        opt = getattr(optimizers, name.split("_")[0])(**config).setup(link)
        params = []
        for g in GRADS:
            link.a.grad = numpy.array(g)
            opt.update()
            params.append(link.a.array.copy())
        return {"config": config, "params": params, "state": _chainer_state(chainer, opt)}

    names = ("SGD", "MomentumSGD", "NesterovAG", "Adam", "AdamW", "AMSGrad", "AdaBound",
             "AMSBound", "RMSprop", "RMSpropGraves", "AdaGrad", "CorrectedMomentumSGD",
             "AdaDelta", "SMORMS3")
    yield "defaults", {n: signature_defaults(getattr(optimizers, n)) for n in names}
    for name, config in CHAINER_CONFIGS.items():
        yield "trajectory." + name, run(name, config)
    yield "none_grad", chainer_none_grad(chainer, optimizers)
    yield "lr_change", chainer_lr_change(chainer, optimizers)
    yield "gradient_clipping_at_threshold", chainer_clip_at_threshold(chainer, optimizers)
    yield "update_lossfun_order", chainer_update_order(chainer, optimizers)


def _chainer_link(chainer, **arrays):
    """A Chain whose parameters are float64 copies of ``arrays``."""
    link = chainer.Chain()
    with link.init_scope():
        for name, value in arrays.items():
            setattr(link, name, chainer.Parameter(numpy.array(value, dtype=numpy.float64)))
    return link


def _chainer_state(chainer, opt):
    """The optimizer serialized with a DictionarySerializer."""
    target = {}
    opt.serialize(chainer.serializers.DictionarySerializer(target))
    return {k: numpy.array(v) for k, v in target.items()}


def chainer_none_grad(chainer, optimizers):
    """MomentumSGD and Adam with a parameter whose grad is cleared before the second update."""
    result = {}
    for name, config in (("MomentumSGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"alpha": 0.1})):
        link = _chainer_link(chainer, a=[1.0], b=[3.0])
        opt = getattr(optimizers, name)(**config).setup(link)
        link.a.grad, link.b.grad = numpy.array([1.0]), numpy.array([1.0])
        opt.update()
        link.b.cleargrad()
        opt.update()
        result[name] = {"a": link.a.array.copy(), "b": link.b.array.copy(), "b_grad": link.b.grad,
                        "b_t": link.b.update_rule.t}
    return result


def chainer_lr_change(chainer, optimizers):
    """MomentumSGD(momentum=0.9) with lr 0.1 for two steps then 0.01 (grad 1 each step)."""
    link = _chainer_link(chainer, a=[0.0])
    opt = optimizers.MomentumSGD(lr=0.1, momentum=0.9).setup(link)
    params = []
    for lr in (0.1, 0.1, 0.01, 0.01):
        opt.lr = lr
        link.a.grad = numpy.array([1.0])
        opt.update()
        params.append(link.a.array.copy())
    return {"params": params}


def chainer_clip_at_threshold(chainer, optimizers):
    """GradientClipping(5) on a 3-4-5 gradient, and GradientClipping(4)."""
    result = {}
    for threshold in (5.0, 4.0):
        link = _chainer_link(chainer, a=[0.0, 0.0])
        opt = optimizers.SGD(lr=0.0).setup(link)
        opt.add_hook(chainer.optimizer_hooks.GradientClipping(threshold))
        link.a.grad = numpy.array([3.0, 4.0])
        opt.update()
        result[str(threshold)] = link.a.grad
    return result


def chainer_update_order(chainer, optimizers):
    """What lossfun sees of the grads, and the grads after update(lossfun)."""
    link = _chainer_link(chainer, a=[2.0])
    opt = optimizers.SGD(lr=0.1).setup(link)
    link.a.grad = numpy.array([100.0])
    seen = {}

    def lossfun(scale):
        seen["grad_in_lossfun"] = None if link.a.grad is None else link.a.grad.copy()
        return chainer.functions.sum(link.a * link.a) * scale

    opt.update(lossfun, 3.0)
    return {"grad_in_lossfun": seen["grad_in_lossfun"], "grad_after": link.a.grad,
            "param_after": link.a.array, "t": opt.t}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=("torch", "chainer"), required=True)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.framework == "torch":
        import torch
        version, scenarios = torch.__version__.split("+")[0], torch_scenarios()
    else:
        import chainer
        version, scenarios = chainer.__version__, chainer_scenarios()
    for name, result in scenarios:
        line = {"scenario": name, "framework": args.framework, "version": version,
                "result": jsonable(result)}
        sys.stdout.write(json.dumps(line, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
