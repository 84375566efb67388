"""Chainer's optimizer hooks (``chainer/optimizer_hooks``), for ``chainer_style`` optimizers.

Register with ``optimizer.add_hook(hook)``. A hook whose ``call_for_each_param`` is True
is called as ``hook(update_rule, param)`` for every parameter of the target; otherwise as
``hook(optimizer)``, once. All of these run before the update (``timing = 'pre'``), after
the optimizer has replaced missing grads with zeros. Each rewrites ``param.grad``.

torch has no hooks: weight decay is a hyperparameter of each optimizer (L2 added to the
gradient, as ``WeightDecay``; decoupled in AdamW), and clipping is a call before ``step()``
(``clip.clip_grad_norm_``, ``clip.clip_grad_value_``).
"""
from .._backend import get_array_module
from ._validate import require_real
from .clip import chainer_clip_rate


class WeightDecay:
    """``g += rate * p`` for every parameter (L2 regularisation; torch's ``weight_decay``)."""

    name = "WeightDecay"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, rate):
        require_real("rate", rate)
        self.rate = rate

    def __call__(self, rule, param):
        if param.data is None or param.grad is None:
            return
        param.grad = param.grad + self.rate * param.data         # g = g + rate * p


class Lasso:
    """``g += rate * sign(p)`` for every parameter (L1 regularisation)."""

    name = "Lasso"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, rate):
        require_real("rate", rate)
        self.rate = rate

    def __call__(self, rule, param):
        if param.data is None or param.grad is None:
            return
        xp = get_array_module(param.data)
        param.grad = param.grad + self.rate * xp.sign(param.data)   # g = g + rate * sign(p)


class GradientClipping:
    """Scale all grads by ``threshold / ||g||_2`` when that is below 1 (global L2 norm).

    ``||g||_2 = sqrt(sum over params of g . g)``; unlike torch's ``clip_grad_norm_`` there is
    no ``+ 1e-6`` and no scaling at all when the norm is at most ``threshold``.
    """

    name = "GradientClipping"
    timing = "pre"

    def __init__(self, threshold):
        require_real("threshold", threshold)
        self.threshold = threshold

    def __call__(self, optimizer):
        params = [p for p in optimizer.target.params(False) if p.grad is not None]
        rate = chainer_clip_rate([p.grad for p in params], self.threshold) if params else None
        if rate is None:
            return
        for param in params:
            param.grad = param.grad * rate                       # g = g * threshold / norm


class GradientHardClipping:
    """Clip every gradient element to ``[lower_bound, upper_bound]``."""

    name = "GradientHardClipping"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def __call__(self, rule, param):
        if param.grad is None:
            return
        xp = get_array_module(param.grad)
        param.grad = xp.clip(param.grad, self.lower_bound, self.upper_bound)
