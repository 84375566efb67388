"""Optimizers: pure update rules with thin PyTorch-style and Chainer-style classes.

* ``torch_rules`` / ``chainer_rules``: ``step(param, grad, state, hp) -> (param, state)``
  for each framework's formulas, one comment per equation line; ``rules.RULES`` indexes them.
* ``torch_style``: ``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``, ``Adadelta``
  (param groups, ``zero_grad``, ``step(closure)``, ``state_dict``), torch 2.13's defaults and messages.
* ``chainer_style``: ``SGD``, ``MomentumSGD``, ``NesterovAG``, ``Adam`` (+ ``AdamW``,
  ``AMSGrad``, ``AdaBound``, ``AMSBound``), ``RMSprop``, ``RMSpropGraves``, ``AdaGrad``,
  ``CorrectedMomentumSGD``, ``AdaDelta``, ``SMORMS3`` (``setup``, ``update([lossfun])``,
  ``add_hook``, ``t``/``epoch``), chainer 7.8.1's defaults.
* ``hooks``: chainer's ``WeightDecay``, ``Lasso``, ``GradientClipping``, ``GradientHardClipping``.
* ``clip``: torch's ``clip_grad_norm_`` / ``clip_grad_value_`` and the pure clipping factors.
* ``defaults.DEFAULTS``: every framework's default hyperparameters, as data.

Where the frameworks differ (each checked against the running framework by
``tests/refimpl/test_optimizers.py``):

=====================  ===========================================  =======================================
behaviour              torch 2.13                                   chainer 7.8.1
=====================  ===========================================  =======================================
momentum form          b = mu b + (1-damp) g (b_1 = g); p -= lr b   v = mu v - lr g; p += v
                       (same for constant lr; differ when lr changes mid-training: policy
                       field momentum_lr_form; chainer's CorrectedMomentumSGD is torch's form)
Adam eps               p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps)    p -= alpha sqrt(c2)/c1 * m/(sqrt(v) + eps)
                       (policy field adam_eps_placement)
Adam weight decay      Adam: g += wd p; AdamW: p *= 1 - lr wd       p -= eta wd p (not scaled by alpha)
                       (policy field adam_weight_decay)
grad None              parameter and its state skipped              treated as zeros (momentum still moves it)
norm clipping          g *= min(max/(norm + 1e-6), 1), any p-norm   g *= thr/norm only if norm > thr, L2
                       (policy field grad_norm_clipping)
weight decay / L1      optimizer hyperparameter                     hooks WeightDecay / Lasso
defaults               SGD lr 1e-3, Adagrad lr 1e-2 eps 1e-10       SGD lr 0.01, AdaGrad lr 1e-3 eps 1e-8
                       (policy field optimizer_defaults)
=====================  ===========================================  =======================================
"""
from . import chainer_rules, chainer_style, hooks, rules, torch_rules, torch_style
from .clip import clip_grad_norm_, clip_grad_value_
from .defaults import DEFAULTS

__all__ = ["DEFAULTS", "chainer_rules", "chainer_style", "clip_grad_norm_", "clip_grad_value_",
           "hooks", "rules", "torch_rules", "torch_style"]
