"""The pure update rules by (framework, optimizer name): ``step(param, grad, state, hp)``.

Each returns ``(new_param, new_state)`` and mutates nothing; see ``torch_rules`` and
``chainer_rules`` for the equations and the hyperparameter names each takes. An empty
``state`` means a fresh parameter (torch's Adagrad state comes from
``torch_rules.adagrad_init``, as torch creates it in the constructor).
"""
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
    ``(new_param, new_state)``; ``lr`` may change between steps."""
    from .. import policies
    if policies.current().momentum_lr_form == "lr_outside":
        return torch_rules.sgd(param, grad, state, {"lr": lr, "momentum": momentum,
                                                    "dampening": 0, "weight_decay": 0,
                                                    "nesterov": False})
    return chainer_rules.momentum_sgd(param, grad, state, {"lr": lr, "momentum": momentum})


def adam_step(param, grad, state, lr, beta1, beta2, eps):
    """One step of the active policy's idiomatic Adam (policy ``adam_eps_placement``):
    'after_bias_correction' torch ``Adam(lr, betas, eps)`` (``p -= lr/c1 m / (sqrt(v/c2) +
    eps)``), 'before_bias_correction' chainer ``Adam(alpha, beta1, beta2, eps)`` (``p -=
    alpha sqrt(c2)/c1 m / (sqrt(v) + eps)``). No weight decay. Returns ``(new_param,
    new_state)``."""
    from .. import policies
    if policies.current().adam_eps_placement == "after_bias_correction":
        return torch_rules.adam(param, grad, state, {
            "lr": lr, "betas": (beta1, beta2), "eps": eps, "weight_decay": 0, "amsgrad": False,
            "maximize": False})
    return chainer_rules.adam(param, grad, state, {
        "alpha": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "eta": 1.0,
        "weight_decay_rate": 0, "amsgrad": False, "adabound": False})
