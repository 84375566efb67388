"""Chainer-style optimizers: ``SGD``, ``MomentumSGD``, ``NesterovAG``, ``Adam`` (and
``AdamW``, ``AMSGrad``, ``AdaBound``, ``AMSBound``), ``RMSprop``, ``RMSpropGraves``, ``AdaGrad``,
``CorrectedMomentumSGD``, ``AdaDelta``, ``SMORMS3``.

Thin classes over ``chainer_rules`` that follow chainer 7.8.1's ``GradientMethod``:

* ``setup(target)`` takes anything with chainer's ``params(include_uninit=True)`` (and
  ``namedparams(include_uninit=True)``, ``cleargrads()`` for the methods that need them;
  ``refimpl.nn.Module`` has all three), resets ``t`` and ``epoch``, and gives every
  parameter its own ``update_rule`` attribute (hyperparameters default to the optimizer's).
* ``update(lossfun=None, *args, **kwds)``: with ``lossfun``, ``loss = lossfun(*args,
  **kwds)``, then ``target.cleargrads()``, then ``loss.backward()``; then grads that are
  None are replaced by zeros, the 'pre' hooks run, ``t`` increments, every parameter with an
  update rule is updated (its rule's ``t`` increments too), grads that are None are again
  replaced by zeros, and the 'post' hooks run. So a parameter without a gradient is updated
  with a zero gradient (momentum and Adam's bias correction still move it), where torch
  leaves it and its state alone.
* ``state_dict()`` gives the flat dict chainer's ``DictionarySerializer`` writes:
  ``{'t', 'epoch', '<param path>/t', '<param path>/<state name>', ...}``.

Chainer checks no hyperparameter ranges (a negative lr is accepted); refimpl only raises
TypeError for a non-number. Not modelled: loss scaling (``loss_scaling``), fp32 updates of
float16 parameters, update-rule hooks, ``use_cleargrads(False)``.

>>> import numpy, refimpl
>>> class Target:
...     def __init__(self, w): self.w = w
...     def params(self, include_uninit=True): yield self.w
...     def namedparams(self, include_uninit=True): yield "/w", self.w
...     def cleargrads(self): self.w.cleargrad()
>>> w = refimpl.Variable(numpy.array([1.0, 2.0]), requires_grad=True)
>>> opt = MomentumSGD(lr=0.1, momentum=0.9).setup(Target(w))
>>> w.grad = numpy.array([1.0, -1.0])
>>> opt.update()
>>> w.data
array([0.9, 2.1])
"""
import collections
import warnings

import numpy

from .. import _backend
from . import chainer_rules
from ._validate import require_real


class Hyperparameter:
    """Hyperparameter entries as attributes, falling back to a parent (chainer's class).

    Also readable as a mapping (``hp['lr']``), which is what the pure rules take.
    """

    def __init__(self, parent=None):
        self._parent = parent

    def __getattr__(self, name):
        if name.startswith("__") or "_parent" not in self.__dict__ or self._parent is None:
            raise AttributeError(name)
        return getattr(self._parent, name)

    def __getitem__(self, name):
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def get(self, name, default=None):
        return getattr(self, name, default)

    def get_dict(self):
        """Every entry visible from here (the parent's, overridden by this one's)."""
        entries = {} if self._parent is None else self._parent.get_dict()
        entries.update({k: v for k, v in self.__dict__.items() if k != "_parent"})
        return entries

    def __repr__(self):
        return "Hyperparameter(%s)" % ", ".join(f"{k}={v}" for k, v in sorted(self.get_dict().items()))


class UpdateRule:
    """How one parameter is updated: a pure rule, its hyperparameters, state and count ``t``.

    ``state`` is None until the first update (as chainer's); ``enabled = False`` skips it.
    """

    def __init__(self, step, parent_hyperparam):
        self._step = step
        self.hyperparam = Hyperparameter(parent_hyperparam)
        self.state = None
        self.t = 0
        self.enabled = True

    def update(self, param):
        """Apply the rule to ``param`` (its data is written in place)."""
        if not self.enabled:
            return
        if param.data is None or param.grad is None:  # counted, not updated, as chainer
            self.t += 1  # (chainer also creates the zero state of a parameter with data here)
            return
        _backend.get_array_module(param.data, param.grad)  # DeviceMismatchError: grad elsewhere
        state = dict(self.state or {}, t=self.t)
        new_param, new_state = self._step(param.data, param.grad, state, self.hyperparam)
        self.t = new_state.pop("t")
        self.state = new_state
        param.data[...] = new_param


class _Proxy:
    """A property that reads and writes ``optimizer.hyperparam.<name>`` (HyperparameterProxy)."""

    def __init__(self, name):
        self.name = name

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(obj.hyperparam, self.name)

    def __set__(self, obj, value):
        setattr(obj.hyperparam, self.name, value)


def _check_numbers(**values):
    """TypeError naming the first hyperparameter that is not a real number."""
    for name, value in values.items():
        if not isinstance(value, bool):
            require_real(name, value)


class GradientMethod:
    """Base of the chainer-style optimizers (see the module docstring for ``update``)."""

    _rule = None  # a chainer_rules step function

    def __init__(self, **hyperparameters):
        _check_numbers(**hyperparameters)
        self.hyperparam = Hyperparameter()
        for name, value in hyperparameters.items():
            setattr(self.hyperparam, name, value)
        self.target = None
        self.t = 0
        self.epoch = 0
        self.use_auto_new_epoch = False
        self._hooks = None

    # --- set-up and hooks --------------------------------------------------------------
    def setup(self, target):
        """Attach ``target``; reset ``t``, ``epoch`` and hooks; one update rule per parameter."""
        if not callable(getattr(target, "params", None)):
            raise TypeError("optimization target must be a link")
        self.target = target
        self.t = 0
        self.epoch = 0
        self._hooks = {"pre": collections.OrderedDict(), "post": collections.OrderedDict()}
        for param in target.params():
            param.update_rule = self.create_update_rule()
        return self

    def create_update_rule(self):
        """A fresh rule whose hyperparameters default to this optimizer's."""
        return UpdateRule(self._rule, self.hyperparam)

    def _check_set_up(self):
        if self._hooks is None:
            raise RuntimeError("Optimizer is not set up. Call `setup` method.")

    def add_hook(self, hook, name=None, timing="auto"):
        """Register ``hook`` under ``name`` (default ``hook.name``) to run 'pre' or 'post' update."""
        self._check_set_up()
        if not callable(hook):
            raise TypeError("hook function must be callable")
        if timing not in ("pre", "post", "auto"):
            raise ValueError("timing must be one of ('pre', 'post', 'auto')")
        if timing == "auto":
            timing = getattr(hook, "timing", "pre")
            if timing not in ("pre", "post"):
                warnings.warn("Hook timing attribute not in ('pre', 'post'), defaulting timing to 'pre'.",
                              stacklevel=2)
                timing = "pre"
        if name is None:
            name = getattr(hook, "name", getattr(hook, "__name__", None))
            if name is None:
                raise ValueError("the name of the hook function is not specified")
        if name in self._hooks["pre"] or name in self._hooks["post"]:
            raise KeyError('hook "{}" already exists'.format(name))
        self._hooks[timing][name] = hook

    def remove_hook(self, name):
        """Unregister the hook called ``name`` (KeyError if there is none)."""
        self._check_set_up()
        if name in self._hooks["pre"]:
            del self._hooks["pre"][name]
        else:
            del self._hooks["post"][name]

    def call_hooks(self, timing="pre"):
        """Run the ``timing`` hooks in registration order."""
        self._check_set_up()
        for hook in list(self._hooks[timing].values()):
            self.call_hook(hook)

    def call_hook(self, hook):
        """One hook: per parameter ``hook(rule, param)`` or once ``hook(self)``; then refill grads."""
        if getattr(hook, "call_for_each_param", False):
            for param in self.target.params():
                hook(getattr(param, "update_rule", None), param)
        else:
            hook(self)
        self.reallocate_cleared_grads()

    # --- the update ---------------------------------------------------------------------
    def reallocate_cleared_grads(self):
        """Give every initialised parameter whose grad is None a zero gradient."""
        for param in self.target.params(False):
            if param.grad is None:
                param.grad = _backend.get_array_module(param.data).zeros_like(param.data)

    def update(self, lossfun=None, *args, **kwds):
        """One step: from ``lossfun(*args, **kwds)`` (cleargrads, backward) or the current grads."""
        self._check_set_up()
        if lossfun is not None:
            loss = lossfun(*args, **kwds)
            self.target.cleargrads()
            loss.backward()
            del loss
        self.reallocate_cleared_grads()
        self.call_hooks("pre")
        self.t += 1
        for param in self.target.params():
            rule = getattr(param, "update_rule", None)
            if rule is not None:
                rule.update(param)
        self.reallocate_cleared_grads()
        self.call_hooks("post")

    def new_epoch(self, auto=False):
        """``epoch += 1`` (RuntimeError, as chainer, when ``auto`` disagrees with the updater flag)."""
        if auto and not self.use_auto_new_epoch:
            raise RuntimeError("invalid new_epoch call with auto=True.\n"
                               "Fix the updater to set optimizer.use_auto_new_epoch = True.")
        if not auto and self.use_auto_new_epoch:
            raise RuntimeError("duplicated new_epoch with the updater.\nPass auto_new_epoch=False "
                               "to the updater or stop calling new_epoch outside the updater.")
        self.epoch += 1

    # --- serialization ------------------------------------------------------------------
    def _state_names(self):
        """Names of the arrays a fresh update rule keeps (for loading a state dict)."""
        return ()

    def state_dict(self):
        """The flat dict chainer's ``serialize`` writes to a ``DictionarySerializer``."""
        self._check_set_up()
        entries = {"t": numpy.asarray(self.t), "epoch": numpy.asarray(self.epoch)}
        for name, param in self.target.namedparams():
            rule = getattr(param, "update_rule", None)
            if rule is not None:
                prefix = name.strip("/") + "/"
                entries[prefix + "t"] = numpy.asarray(rule.t)
                for key, value in (rule.state or {}).items():
                    entries[prefix + key] = _to_host(value)
        return entries

    def load_state_dict(self, entries):
        """Load ``state_dict()`` output; a rule whose arrays are absent starts fresh."""
        self._check_set_up()
        self.t = int(entries["t"])
        self.epoch = int(entries["epoch"])
        for name, param in self.target.namedparams():
            rule = getattr(param, "update_rule", None)
            if rule is None:
                continue
            prefix = name.strip("/") + "/"
            rule.t = int(entries[prefix + "t"])
            names = self._state_names()
            if all(prefix + key in entries for key in names):
                xp = _backend.get_array_module(param.data)
                rule.state = {key: xp.array(entries[prefix + key]) for key in names}
            else:
                rule.state = None


def _to_host(array):
    """A NumPy copy of ``array`` (CuPy arrays come back to the host, as chainer's serializer)."""
    if _backend.is_cupy_array(array):
        return _backend.cupy.asnumpy(array)
    return numpy.array(array)


class SGD(GradientMethod):
    """Vanilla SGD, as ``chainer.optimizers.SGD``: ``p -= lr * g``. lr: 0.01 (torch: 1e-3)."""

    _rule = staticmethod(chainer_rules.sgd)
    lr = _Proxy("lr")

    def __init__(self, lr=0.01):
        super().__init__(lr=lr)


class MomentumSGD(GradientMethod):
    """Classical momentum, as ``chainer.optimizers.MomentumSGD``.

    ``v = momentum*v - lr*g; p += v``. lr: 0.01, momentum: 0.9.
    torch ``SGD(momentum)``: ``b = momentum*b + (1 - dampening)*g; p -= lr*b``, with
    ``b = g`` on the first step: identical for a constant lr (``v = -lr*b``), different once
    lr changes mid-training.
    """

    _rule = staticmethod(chainer_rules.momentum_sgd)
    lr = _Proxy("lr")
    momentum = _Proxy("momentum")

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr=lr, momentum=momentum)

    def _state_names(self):
        return ("v",)


class NesterovAG(MomentumSGD):
    """Nesterov's accelerated gradient, as ``chainer.optimizers.NesterovAG``.

    ``v = momentum*v - lr*g; p += momentum^2*v - (1 + momentum)*lr*g``. lr 0.01, momentum 0.9.
    Equals torch ``SGD(nesterov=True)`` for a constant lr.
    """

    _rule = staticmethod(chainer_rules.nesterov_ag)


class Adam(GradientMethod):
    """Adam, as ``chainer.optimizers.Adam`` (with AMSGrad and AdaBound switches).

    ``m += (1-beta1)*(g - m)``; ``v += (1-beta2)*(g^2 - v)``; amsgrad ``vhat = max(vhat, v)``;
    ``alpha_t = alpha*sqrt(1-beta2^t)/(1-beta1^t)``; ``s = alpha_t/(sqrt(vhat) + eps)``
    (adabound: clipped to the bounds); ``p -= eta*(s*m + weight_decay_rate*p)``.

    Args: alpha 0.001, beta1 0.9, beta2 0.999, eps 1e-8, eta 1.0, weight_decay_rate 0,
    amsgrad False, adabound False, final_lr 0.1, gamma 1e-3.

    torch's Adam adds eps after dividing sqrt(v) by sqrt(1-beta2^t): chainer's eps acts like
    torch's ``eps/sqrt(1-beta2^t)``. chainer's weight decay is decoupled and scaled by eta
    only; torch's AdamW scales it by lr (``p *= 1 - lr*weight_decay``); torch's Adam adds it
    to the gradient.
    """

    _rule = staticmethod(chainer_rules.adam)
    alpha = _Proxy("alpha")
    beta1 = _Proxy("beta1")
    beta2 = _Proxy("beta2")
    eps = _Proxy("eps")
    eta = _Proxy("eta")
    weight_decay_rate = _Proxy("weight_decay_rate")
    amsgrad = _Proxy("amsgrad")
    adabound = _Proxy("adabound")
    final_lr = _Proxy("final_lr")
    gamma = _Proxy("gamma")

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-08, eta=1.0,
                 weight_decay_rate=0, amsgrad=False, adabound=False, final_lr=0.1, gamma=0.001):
        super().__init__(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta,
                         weight_decay_rate=weight_decay_rate, amsgrad=amsgrad, adabound=adabound,
                         final_lr=final_lr, gamma=gamma)

    def create_update_rule(self):
        rule = super().create_update_rule()
        if self.hyperparam.adabound:
            rule.hyperparam.initial_alpha = self.hyperparam.alpha  # AdamRule.initial_alpha
        return rule

    @property
    def alpha_t(self):
        """The bias-corrected step size at the optimizer's ``t``."""
        return chainer_rules.adam_alpha_t(self.hyperparam, self.t)

    def _state_names(self):
        return ("m", "v", "vhat") if self.hyperparam.amsgrad else ("m", "v")


class AdamW(Adam):
    """``chainer.optimizers.AdamW``: Adam with the same defaults (weight_decay_rate 0)."""

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-08, eta=1.0, weight_decay_rate=0):
        super().__init__(alpha, beta1, beta2, eps, eta, weight_decay_rate)


class AMSGrad(Adam):
    """``chainer.optimizers.AMSGrad``: Adam with ``amsgrad=True`` (no weight decay argument)."""

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-08, eta=1.0):
        super().__init__(alpha, beta1, beta2, eps, eta, amsgrad=True)


class AdaBound(Adam):
    """``chainer.optimizers.AdaBound``: Adam with the per-element step clipped to bounds."""

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, final_lr=0.1, gamma=0.001, eps=1e-08, eta=1.0):
        super().__init__(alpha, beta1, beta2, eps, eta, adabound=True, final_lr=final_lr, gamma=gamma)


class AMSBound(Adam):
    """``chainer.optimizers.AMSBound``: AdaBound with AMSGrad's running maximum."""

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, final_lr=0.1, gamma=0.001, eps=1e-08, eta=1.0):
        super().__init__(alpha, beta1, beta2, eps, eta, amsgrad=True, adabound=True,
                         final_lr=final_lr, gamma=gamma)


class RMSprop(GradientMethod):
    """RMSprop, as ``chainer.optimizers.RMSprop``.

    ``ms = alpha*ms + (1-alpha)*g^2``; ``p -= lr*g/(sqrt(ms) + eps)`` (or ``/sqrt(ms + eps)``
    with ``eps_inside_sqrt``). lr 0.01, alpha 0.99, eps 1e-8: torch RMSprop's defaults too.
    """

    _rule = staticmethod(chainer_rules.rmsprop)
    lr = _Proxy("lr")
    alpha = _Proxy("alpha")
    eps = _Proxy("eps")
    eps_inside_sqrt = _Proxy("eps_inside_sqrt")

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-08, eps_inside_sqrt=False):
        super().__init__(lr=lr, alpha=alpha, eps=eps, eps_inside_sqrt=eps_inside_sqrt)

    def _state_names(self):
        return ("ms",)


class RMSpropGraves(GradientMethod):
    """Graves' RMSprop, as ``chainer.optimizers.RMSpropGraves``.

    ``n = alpha*n + (1-alpha)*g^2``; ``gbar = alpha*gbar + (1-alpha)*g``;
    ``delta = momentum*delta - lr*g/sqrt(n - gbar^2 + eps)``; ``p += delta``.
    lr 1e-4, alpha 0.95, momentum 0.9, eps 1e-4. (torch's nearest: RMSprop(centered=True,
    momentum), which puts eps outside the square root.)
    """

    _rule = staticmethod(chainer_rules.rmsprop_graves)
    lr = _Proxy("lr")
    alpha = _Proxy("alpha")
    momentum = _Proxy("momentum")
    eps = _Proxy("eps")

    def __init__(self, lr=0.0001, alpha=0.95, momentum=0.9, eps=0.0001):
        super().__init__(lr=lr, alpha=alpha, momentum=momentum, eps=eps)

    def _state_names(self):
        return ("n", "g", "delta")


class AdaGrad(GradientMethod):
    """AdaGrad, as ``chainer.optimizers.AdaGrad``: ``h += g^2; p -= lr*g/(sqrt(h) + eps)``.

    lr 0.001, eps 1e-8 (torch Adagrad: lr 1e-2, eps 1e-10, plus lr_decay, weight_decay and
    initial_accumulator_value).
    """

    _rule = staticmethod(chainer_rules.ada_grad)
    lr = _Proxy("lr")
    eps = _Proxy("eps")

    def __init__(self, lr=0.001, eps=1e-08):
        super().__init__(lr=lr, eps=eps)

    def _state_names(self):
        return ("h",)


class CorrectedMomentumSGD(MomentumSGD):
    """``chainer.optimizers.CorrectedMomentumSGD``: ``v = momentum*v - g; p += lr*v``.

    lr 0.01, momentum 0.9. torch ``SGD(momentum)`` (dampening 0) is this form: unlike
    ``MomentumSGD``, a change of lr takes effect on the whole velocity at once.
    """

    _rule = staticmethod(chainer_rules.corrected_momentum_sgd)


class AdaDelta(GradientMethod):
    """``chainer.optimizers.AdaDelta``: ``msg = rho*msg + (1-rho)*g^2``;
    ``dx = sqrt((msdx + eps)/(msg + eps))*g``; ``msdx = rho*msdx + (1-rho)*dx^2``; ``p -= dx``.

    rho 0.95, eps 1e-6; no lr (torch ``Adadelta``: lr 1.0, rho 0.9, the same update times lr).
    """

    _rule = staticmethod(chainer_rules.ada_delta)
    rho = _Proxy("rho")
    eps = _Proxy("eps")

    def __init__(self, rho=0.95, eps=1e-06):
        super().__init__(rho=rho, eps=eps)

    def _state_names(self):
        return ("msg", "msdx")


class SMORMS3(GradientMethod):
    """``chainer.optimizers.SMORMS3``: ``r = 1/(mem + 1)``; ``g = (1-r)*g + r*grad``;
    ``g2 = (1-r)*g2 + r*grad^2``; ``x = g^2/(g2 + eps)``;
    ``p -= grad*min(x, lr)/(sqrt(g2) + eps)``; ``mem = 1 + mem*(1 - x)`` (mem starts at 1).

    lr 0.001, eps 1e-16. torch has no counterpart.
    """

    _rule = staticmethod(chainer_rules.smorms3)
    lr = _Proxy("lr")
    eps = _Proxy("eps")

    def __init__(self, lr=0.001, eps=1e-16):
        super().__init__(lr=lr, eps=eps)

    def _state_names(self):
        return ("mem", "g", "g2")
