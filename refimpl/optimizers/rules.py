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
