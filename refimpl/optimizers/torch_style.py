"""PyTorch-style optimizers: ``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``,
``Adadelta``.

Thin classes over ``torch_rules``: param groups, per-parameter state, ``zero_grad``,
``step(closure)``, ``state_dict`` / ``load_state_dict``, torch 2.13's defaults and argument
checks (same messages). ``step`` skips parameters whose grad is None (their state is not
created or advanced), as torch does; chainer instead updates them with a zero gradient.

Not modelled: torch's implementation switches ``foreach``, ``fused``, ``capturable``,
``differentiable`` (they are not accepted, so param groups lack those keys); tensor
learning rates; sparse gradients. ``state["step"]`` is a Python float (torch: a 0-d float32
tensor). ``state_dict()`` is a snapshot (refimpl never updates arrays in place), where
torch's shares its tensors with the optimizer.

>>> import numpy, refimpl
>>> w = refimpl.Variable(numpy.array([1.0, 2.0]), requires_grad=True)
>>> opt = SGD([w], lr=0.1, momentum=0.9)
>>> w.grad = numpy.array([1.0, -1.0])
>>> opt.step()
>>> w.data
array([0.9, 2.1])
"""
import copy
import itertools
import warnings

from .. import _mode
from .._backend import get_array_module
from ..variable import Variable
from . import torch_rules
from ._validate import require_real, typename


class Optimizer:
    """Base class: param groups, state keyed by parameter, zero_grad, step, state_dict.

    Subclasses set ``_rule`` (a ``torch_rules`` step function) and ``_group_defaults``
    (keys torch's ``__setstate__`` fills in when loading an older state dict).
    """

    _rule = None
    _group_defaults = {}

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Variable):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + typename(params))
        self.state = {}
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def add_param_group(self, param_group):
        """Add a group: ``{'params': [...], <hyperparameter>: value, ...}``; the rest from defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params, names = _split_named(_as_param_list(param_group["params"]))
        param_group["params"] = params
        if names:
            param_group["param_names"] = names
        for param in params:
            _check_optimizable(param)
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)
        _check_compatible(self.param_groups, param_group)
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Set every grad to None (default), or to zeros with ``set_to_none=False``."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    if set_to_none:
                        param.grad = None
                    else:
                        param.grad = get_array_module(param.grad).zeros_like(param.grad)

    def step(self, closure=None):
        """One update of every parameter that has a grad; returns ``closure()`` (grad enabled) or None."""
        loss = None
        if closure is not None:
            with _mode.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    self._update(param, group)
        return loss

    def _update(self, param, group):
        """Apply the rule to one parameter; write its data in place and keep its new state."""
        get_array_module(param.data, param.grad)  # DeviceMismatchError for a grad elsewhere
        new_param, new_state = self._rule(param.data, param.grad, self.state.get(param, {}), group)
        param.data[...] = new_param
        if new_state:
            self.state[param] = new_state

    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}`` as torch."""
        index = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                index.setdefault(id(param), len(index))
            packed["params"] = [index[id(param)] for param in group["params"]]
            param_groups.append(packed)
        state = {index[id(param)] if isinstance(param, Variable) else param: dict(value)
                 for param, value in self.state.items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()``: same group structure; arrays cast to each parameter's dtype."""
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(self.param_groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group "
                             "that doesn't match the size of optimizer's group")
        id_map = dict(zip(itertools.chain.from_iterable(g["params"] for g in saved_groups),
                          itertools.chain.from_iterable(g["params"] for g in self.param_groups)))
        state = {}
        for key, value in state_dict["state"].items():
            if key in id_map:
                state[id_map[key]] = {name: _cast(id_map[key], name, v) for name, v in value.items()}
            else:
                state[key] = value
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self._group_defaults.items():
                saved.setdefault(name, default)
        self.state, self.param_groups = state, saved_groups

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])


def _as_param_list(params):
    """torch's handling of a group's 'params': one tensor, a list, never a set."""
    if isinstance(params, Variable):
        return [params]
    if isinstance(params, set):
        raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                        "the ordering of tensors in sets will change between runs. Please use a list instead.")
    return list(params)


def _split_named(params):
    """(parameters, names) from a list of parameters or of (name, parameter) pairs."""
    names = [p[0] for p in params if isinstance(p, tuple)]
    tensors = [p[1] if isinstance(p, tuple) else p for p in params]
    if names and len(names) != len(tensors):
        raise ValueError("all optimizer params should be with/without names. Some param names are missing")
    return tensors, names


def _check_optimizable(param):
    """TypeError/ValueError, with torch's messages, unless ``param`` is a leaf Variable."""
    if not isinstance(param, Variable):
        raise TypeError("optimizer can only optimize Tensors, but one of the params is " + typename(param))
    if not (param.is_leaf or param._retains_grad):
        raise ValueError("can't optimize a non-leaf Tensor")


def _check_compatible(param_groups, new_group):
    """The new group names its params iff the others do, and shares no parameter with them."""
    seen = set()
    for group in param_groups:
        seen.update(group["params"])
        if ("param_names" in new_group) != ("param_names" in group):
            which = "with names" if "param_names" in new_group else "without names"
            raise ValueError("all optimizer param groups should be with/without names. "
                             f"cannot add param group {which} to the optimizer")
    if not seen.isdisjoint(new_group["params"]):
        raise ValueError("some parameters appear in more than one parameter group")


def _cast(param, name, value):
    """A loaded state value: arrays copied to the parameter's device and dtype; 'step' as is."""
    if name == "step" or not hasattr(value, "dtype") or not hasattr(value, "shape"):
        return value
    xp = get_array_module(param.data)
    dtype = param.data.dtype if param.data.dtype.kind in "fc" else value.dtype
    return xp.array(value, dtype=dtype)


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, as ``torch.optim.SGD`` (2.13).

    With ``g = grad`` (``-grad`` when ``maximize``), ``g += weight_decay * p``; with momentum
    ``b = g`` on the first step, then ``b = momentum*b + (1 - dampening)*g``; ``g = g +
    momentum*b`` (nesterov) or ``g = b``; finally ``p -= lr * g``.

    Args:
        params: parameters (leaf Variables), (name, parameter) pairs, or group dicts.
        lr: learning rate (torch 2.13 default 1e-3; chainer SGD: 0.01).
        momentum, dampening, weight_decay, nesterov, maximize: as above.

    chainer's ``MomentumSGD`` keeps ``v = momentum*v - lr*g; p += v`` instead: identical for a
    constant lr (``v = -lr*b``), different once lr changes mid-training (chainer's velocity
    carries the old lr); chainer has no dampening, and its weight decay is a hook.
    """

    _rule = staticmethod(torch_rules.sgd)
    _group_defaults = {"nesterov": False, "maximize": False}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        require_real("lr", lr)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        require_real("momentum", momentum)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        require_real("weight_decay", weight_decay)
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        require_real("dampening", dampening)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)


def _check_adam_arguments(lr, betas, eps, weight_decay):
    """torch Adam's checks, in its order and with its messages."""
    for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
        require_real(name, value)
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise TypeError(f"betas must be a pair of floats, got betas={betas!r}")
    for index, beta in enumerate(betas):
        require_real(f"betas[{index}]", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    if not all(isinstance(beta, float) for beta in betas):
        raise ValueError("betas must be either both floats or both Tensors")


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (2.13), with AMSGrad, L2 or decoupled weight decay, maximize.

    ``t += 1``; ``g`` as in SGD (L2: ``g += weight_decay*p``; decoupled: ``p *= 1 - lr*wd``);
    ``m = lerp(m, g, 1-beta1)``; ``v = beta2*v + (1-beta2)*g^2``; amsgrad: ``v' = max(v', v)``;
    ``p -= lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)``.

    Args:
        params: as in SGD. lr: 1e-3. betas: (0.9, 0.999), both Python floats. eps: 1e-8.
        weight_decay: 0. amsgrad: False. maximize: False. decoupled_weight_decay: False
        (True is AdamW).

    chainer's ``Adam(alpha, beta1, beta2, eps)`` adds eps to sqrt(v) before the bias
    correction, so its effective eps is ``eps/sqrt(1-beta2^t)`` in torch's form (the two
    differ while sqrt(v) is comparable to eps); its weight decay is decoupled and not
    multiplied by the learning rate (``p -= eta*weight_decay_rate*p``).
    """

    _rule = staticmethod(torch_rules.adam)
    _group_defaults = {"amsgrad": False, "maximize": False, "decoupled_weight_decay": False}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        _check_adam_arguments(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW`` (2.13): Adam with decoupled weight decay
    ``p *= 1 - lr*weight_decay`` applied before the moment updates; weight_decay default 1e-2.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True  # as torch's AdamW.__setstate__


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (2.13).

    ``s = alpha*s + (1-alpha)*g^2``; centered: ``gbar = lerp(gbar, g, 1-alpha)``,
    ``d = sqrt(s - gbar^2) + eps``, else ``d = sqrt(s) + eps``; momentum: ``b = momentum*b +
    g/d; p -= lr*b``, else ``p -= lr*g/d``. ``g`` includes ``weight_decay*p`` and ``maximize``.

    Args: params; lr 1e-2; alpha 0.99; eps 1e-8; weight_decay 0; momentum 0; centered False;
    maximize False (keyword-only here: torch's positional ``capturable`` and ``foreach``
    come before it and are not modelled).

    chainer's ``RMSprop(lr=0.01, alpha=0.99, eps=1e-8, eps_inside_sqrt=False)`` has the same
    default update; it lacks weight decay, momentum and centering, and offers eps inside
    the square root.
    """

    _rule = staticmethod(torch_rules.rmsprop)
    _group_defaults = {"momentum": 0, "centered": False, "maximize": False}

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        for name, value in (("lr", lr), ("eps", eps), ("momentum", momentum),
                            ("weight_decay", weight_decay), ("alpha", alpha)):
            require_real(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (2.13).

    ``lr_t = lr / (1 + (t-1)*lr_decay)``; ``h += g^2`` (h starts at
    ``initial_accumulator_value``); ``p -= lr_t * g / (sqrt(h) + eps)``; ``g`` includes
    ``weight_decay*p`` and ``maximize``. The state is created in the constructor, so it is
    in ``state_dict()`` before any step. As in torch 2.13, the accumulator always starts at
    the constructor's ``initial_accumulator_value``: a param group's own value is ignored.

    Args: params; lr 1e-2; lr_decay 0; weight_decay 0; initial_accumulator_value 0;
    eps 1e-10; maximize False.

    chainer's ``AdaGrad(lr=0.001, eps=1e-8)``: same update without lr decay, initial value
    or weight decay, and with other defaults.
    """

    _rule = staticmethod(torch_rules.adagrad)
    _group_defaults = {"maximize": False}

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False):
        for name, value in (("lr", lr), ("lr_decay", lr_decay), ("weight_decay", weight_decay),
                            ("initial_accumulator_value", initial_accumulator_value), ("eps", eps)):
            require_real(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "maximize": maximize}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param] = torch_rules.adagrad_init(param.data, self.defaults)

    def _update(self, param, group):
        if param not in self.state:  # a group added later: torch creates its state on its first step
            self.state[param] = torch_rules.adagrad_init(param.data, self.defaults)
        super()._update(param, group)


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta`` (2.13).

    ``s = rho*s + (1-rho)*g^2``; ``delta = sqrt(a + eps)/sqrt(s + eps)*g``;
    ``a = rho*a + (1-rho)*delta^2``; ``p -= lr*delta``; ``g`` includes ``weight_decay*p`` and
    ``maximize``.

    Args: params; lr 1.0; rho 0.9; eps 1e-6; weight_decay 0; maximize False.

    chainer's ``AdaDelta(rho=0.95, eps=1e-6)``: the same update with no lr (torch's lr=1.0),
    no weight decay, and another rho.
    """

    _rule = staticmethod(torch_rules.adadelta)
    _group_defaults = {"maximize": False}

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        for name, value in (("lr", lr), ("rho", rho), ("eps", eps),
                            ("weight_decay", weight_decay)):
            require_real(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)
