"""The pure update rules by (framework, optimizer name): ``step(param, grad, state, hp)``.

Each returns ``(new_param, new_state)`` and mutates nothing; see ``torch_rules`` and
``chainer_rules`` for the equations and the hyperparameter names each takes. An empty
``state`` means a fresh parameter (torch's Adagrad state comes from
``torch_rules.adagrad_init``, as torch creates it in the constructor).
"""
from .._backend import get_array_module
from . import chainer_rules, torch_rules

RULES = {
    ("torch", "SGD"): torch_rules.sgd,
    ("torch", "Adam"): torch_rules.adam,
    ("torch", "AdamW"): torch_rules.adam,  # with hp['decoupled_weight_decay'] = True
    ("torch", "RMSprop"): torch_rules.rmsprop,
    ("torch", "Adagrad"): torch_rules.adagrad,
    ("torch", "Adadelta"): torch_rules.adadelta,
    ("chainer", "SGD"): chainer_rules.sgd,
    ("chainer", "MomentumSGD"): chainer_rules.momentum_sgd,
    ("chainer", "NesterovAG"): chainer_rules.nesterov_ag,
    ("chainer", "Adam"): chainer_rules.adam,
    ("chainer", "RMSprop"): chainer_rules.rmsprop,
    ("chainer", "RMSpropGraves"): chainer_rules.rmsprop_graves,
    ("chainer", "AdaGrad"): chainer_rules.ada_grad,
    ("chainer", "CorrectedMomentumSGD"): chainer_rules.corrected_momentum_sgd,
    ("chainer", "AdaDelta"): chainer_rules.ada_delta,
    ("chainer", "SMORMS3"): chainer_rules.smorms3,
}


def momentum_step(param, grad, state, lr, momentum):
    """One step of the active policy's idiomatic momentum SGD (policy ``momentum_lr_form``):
    'lr_outside' torch ``SGD(lr, momentum)`` (``b = mu b + g; p -= lr b``), 'lr_inside'
    chainer ``MomentumSGD(lr, momentum)`` (``v = mu v - lr g; p += v``). Returns
    ``(new_param, new_state)``; ``lr`` may change between steps. A ``grad`` of None follows
    the policy's ``optimizer_none_grad``."""
    from .. import policies
    policy = policies.current()
    if grad is None:
        if policy.optimizer_none_grad == "skip":
            return param, state
        grad = get_array_module(param).zeros_like(param)
    if policy.momentum_lr_form == "lr_outside":
        return torch_rules.sgd(param, grad, state, {"lr": lr, "momentum": momentum,
                                                    "dampening": 0, "weight_decay": 0,
                                                    "nesterov": False})
    return chainer_rules.momentum_sgd(param, grad, state, {"lr": lr, "momentum": momentum})


def adam_step(param, grad, state, lr, beta1, beta2, eps, weight_decay=0):
    """One step of the active policy's idiomatic Adam (policy ``adam_eps_placement``):
    'after_bias_correction' torch ``Adam(lr, betas, eps, weight_decay)`` (``p -= lr/c1 m /
    (sqrt(v/c2) + eps)``), 'before_bias_correction' chainer ``Adam(alpha, beta1, beta2, eps,
    weight_decay_rate)`` (``p -= alpha sqrt(c2)/c1 m / (sqrt(v) + eps)``). ``weight_decay``
    as the policy's ``adam_weight_decay`` says: 'l2' adds ``wd p`` to the gradient (torch's
    Adam), 'decoupled' multiplies p by ``1 - wd`` (chainer, eta 1). Returns ``(new_param,
    new_state)``."""
    from .. import policies
    policy = policies.current()
    l2 = weight_decay if policy.adam_weight_decay == "l2" else 0
    decoupled = weight_decay if policy.adam_weight_decay == "decoupled" else 0
    if policy.adam_eps_placement == "after_bias_correction":
        param, state = torch_rules.adam(param, grad, state, {
            "lr": lr, "betas": (beta1, beta2), "eps": eps, "weight_decay": l2, "amsgrad": False,
            "maximize": False})
        return param * (1 - decoupled) if decoupled else param, state
    grad = grad + l2 * param if l2 else grad
    return chainer_rules.adam(param, grad, state, {
        "alpha": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "eta": 1.0,
        "weight_decay_rate": decoupled, "amsgrad": False, "adabound": False})


def clip_global_norm(grads, max_norm):
    """The active policy's idiomatic clipping of ``grads`` (arrays) to an L2 norm of
    ``max_norm`` (policy ``grad_norm_clipping``): 'coef_with_eps' torch ``clip_grad_norm_``
    (``g *= min(max_norm / (norm + 1e-6), 1)``), 'rate_if_above' chainer
    ``GradientClipping`` (``g *= max_norm / norm`` only when norm > max_norm). New arrays."""
    from .. import policies
    from . import clip
    if policies.current().grad_norm_clipping == "coef_with_eps":
        coef = clip.torch_clip_coef(clip.total_norm(grads, 2.0), max_norm)
        return [g * coef for g in grads]
    rate = clip.chainer_clip_rate(grads, max_norm)
    return [g.copy() if rate is None else g * rate for g in grads]


#: The optimizer families whose update is the same formula in both frameworks, so that with
#: default arguments only the defaults differ: {family: (torch class, chainer class)}.
SAME_FORMULA_FAMILIES = {"sgd": ("SGD", "SGD"), "adagrad": ("Adagrad", "AdaGrad"),
                         "adadelta": ("Adadelta", "AdaDelta")}


def default_step(family, param, grad, state):
    """One step of ``family`` ('sgd', 'adagrad', 'adadelta') constructed with no arguments, in
    the defaults of the active policy's ``optimizer_defaults`` ('torch' or 'chainer': a column
    of ``defaults.DEFAULTS``). Returns ``(new_param, new_state)``."""
    from .. import policies
    from .defaults import DEFAULTS
    column = policies.current().optimizer_defaults
    defaults = DEFAULTS[column][SAME_FORMULA_FAMILIES[family][column == "chainer"]]
    if family == "sgd":
        return torch_rules.sgd(param, grad, state, {
            "lr": defaults["lr"], "momentum": 0, "dampening": 0, "weight_decay": 0,
            "nesterov": False})
    if family == "adagrad":
        return torch_rules.adagrad(param, grad, state or torch_rules.adagrad_init(
            param, {"initial_accumulator_value": 0}), {
            "lr": defaults["lr"], "lr_decay": 0, "weight_decay": 0, "eps": defaults["eps"]})
    return torch_rules.adadelta(param, grad, state, {
        "lr": defaults.get("lr", 1.0), "rho": defaults["rho"], "eps": defaults["eps"],
        "weight_decay": 0})
