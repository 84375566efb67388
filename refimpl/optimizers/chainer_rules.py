"""Chainer 7.8.1's update rules as pure functions (``chainer/optimizers/*.py``, CPU path).

Each rule is ``step(param, grad, state, hp) -> (new_param, new_state)``: arrays in, new
arrays out, nothing mutated. ``state`` holds the rule's arrays under chainer's names plus
``t``, the number of updates made (chainer's ``UpdateRule.t``, which it increments before
each update); an empty state means a fresh rule. ``hp`` is a mapping of the hyperparameters
under chainer's names.

One comment per equation line.
"""
import math

import numpy

from .._backend import get_array_module


def _fresh(state, param, *names):
    """``state`` when it holds every array in ``names``, else zeros under those names (same t)."""
    if all(name in state for name in names):
        return dict(state, t=state.get("t", 0))
    xp = get_array_module(param)
    return dict({name: xp.zeros_like(param) for name in names}, t=state.get("t", 0))


def _eps_in_dtype(eps, dtype, optimizer):
    """eps cast to ``dtype``; ValueError, as chainer, when it rounds to 0 there."""
    cast = numpy.dtype(dtype).type(eps)
    if eps != 0 and cast == 0:
        raise ValueError(f"eps of {optimizer} optimizer is too small for {numpy.dtype(dtype).name} ({eps})")
    return cast


def sgd(param, grad, state, hp):
    """chainer.optimizers.SGD. hp: lr."""
    t = state.get("t", 0) + 1                                    # t = t + 1
    return param - hp["lr"] * grad, {"t": t}                     # p = p - lr * g


def momentum_sgd(param, grad, state, hp):
    """chainer.optimizers.MomentumSGD. hp: lr, momentum. state: v (velocity).

    Equals torch SGD(momentum, dampening=0) while lr is constant (v = -lr * b); differs
    once lr changes, because chainer's v already holds the past learning rates.
    """
    state = _fresh(state, param, "v")
    v = state["v"] * hp["momentum"] - hp["lr"] * grad            # v = mu v - lr g
    return param + v, {"v": v, "t": state["t"] + 1}              # p = p + v


def nesterov_ag(param, grad, state, hp):
    """chainer.optimizers.NesterovAG. hp: lr, momentum. state: v.

    Equals torch SGD(nesterov=True) while lr is constant.
    """
    state = _fresh(state, param, "v")
    lr, momentum = hp["lr"], hp["momentum"]
    v = state["v"] * momentum - lr * grad                        # v = mu v - lr g
    param = param + momentum * momentum * v                      # p = p + mu^2 v
    param = param - (1 + momentum) * lr * grad                   # p = p - (1 + mu) lr g
    return param, {"v": v, "t": state["t"] + 1}


def adam_alpha_t(hp, t):
    """Chainer's bias-corrected step size ``alpha * sqrt(1 - beta2^t) / (1 - beta1^t)``."""
    if t == 0:
        raise RuntimeError("Can't determine the learning rate of Adam optimizer "
                           "because the update steps have not been started.")
    fix1 = 1. - math.pow(hp["beta1"], t)                         # c1 = 1 - b1^t
    fix2 = 1. - math.pow(hp["beta2"], t)                         # c2 = 1 - b2^t
    return hp["alpha"] * math.sqrt(fix2) / fix1                  # alpha_t = alpha sqrt(c2) / c1


def adabound_bounds(hp, t):
    """AdaBound's clipping bounds of the per-element step at update ``t``."""
    final_lr = hp["final_lr"] * hp["alpha"] / hp["initial_alpha"]   # scaled with alpha
    lower = final_lr * (1.0 - 1.0 / (hp["gamma"] * t + 1))       # lo = f (1 - 1/(gamma t + 1))
    upper = final_lr * (1.0 + 1.0 / (hp["gamma"] * t))           # hi = f (1 + 1/(gamma t))
    return lower, upper


def adam(param, grad, state, hp):
    """chainer.optimizers.Adam (and AdamW, AMSGrad, AdaBound, AMSBound).

    hp: alpha, beta1, beta2, eps, eta, weight_decay_rate, amsgrad, adabound (with final_lr,
    gamma, initial_alpha = alpha at setup). state: m, v, vhat (amsgrad).
    Unlike torch, eps is added to sqrt(v) *before* the bias correction
    (``alpha_t / (sqrt(v) + eps)`` = ``alpha/c1 / (sqrt(v/c2) + eps/sqrt(c2))``), and weight
    decay is decoupled and not scaled by alpha: ``p -= eta * weight_decay_rate * p``.
    """
    xp = get_array_module(param)
    state = _fresh(state, param, *(("m", "v", "vhat") if hp["amsgrad"] else ("m", "v")))
    eps = _eps_in_dtype(hp["eps"], numpy.float32 if param.dtype == numpy.float16 else param.dtype, "Adam")
    t = state["t"] + 1                                           # t = t + 1
    m = state["m"] + (1.0 - hp["beta1"]) * (grad - state["m"])   # m = m + (1 - b1)(g - m)
    v = state["v"] + (1.0 - hp["beta2"]) * (grad * grad - state["v"])   # v = v + (1 - b2)(g^2 - v)
    new_state = {"m": m, "v": v, "t": t}
    vhat = v
    if hp["amsgrad"]:
        vhat = xp.maximum(state["vhat"], v)                      # vhat = max(vhat, v)
        new_state["vhat"] = vhat
    step = adam_alpha_t(hp, t) / (xp.sqrt(vhat) + eps)           # s = alpha_t / (sqrt(vhat) + eps)
    if hp["adabound"]:
        lower, upper = adabound_bounds(hp, t)
        step = xp.clip(step, lower, upper)                       # s = clip(s, lo, hi)
    decay = 1.0 - hp["eta"] * hp["weight_decay_rate"]
    if decay == 1:
        return param + -hp["eta"] * (step * m), new_state        # p = p - eta s m
    return decay * param + -hp["eta"] * (step * m), new_state    # p = (1 - eta wd) p - eta s m


def rmsprop(param, grad, state, hp):
    """chainer.optimizers.RMSprop. hp: lr, alpha, eps, eps_inside_sqrt. state: ms.

    eps outside the square root by default (as torch); ``eps_inside_sqrt=True`` divides by
    ``sqrt(ms + eps)``. No weight decay, momentum or centering (torch has them).
    """
    xp = get_array_module(param)
    state = _fresh(state, param, "ms")
    eps = _eps_in_dtype(hp["eps"], grad.dtype, "RMSprop")
    ms = state["ms"] * hp["alpha"] + (1 - hp["alpha"]) * grad * grad   # ms = a ms + (1 - a) g^2
    if hp["eps_inside_sqrt"]:
        denom = xp.sqrt(ms + eps)                                # d = sqrt(ms + eps)
    else:
        denom = xp.sqrt(ms) + eps                                # d = sqrt(ms) + eps
    return param - hp["lr"] * grad / denom, {"ms": ms, "t": state["t"] + 1}   # p = p - lr g / d


def rmsprop_graves(param, grad, state, hp):
    """chainer.optimizers.RMSpropGraves. hp: lr, alpha, momentum, eps. state: n, g, delta."""
    xp = get_array_module(param)
    state = _fresh(state, param, "n", "g", "delta")
    alpha = hp["alpha"]
    n = state["n"] * alpha + (1 - alpha) * grad * grad          # n = a n + (1 - a) g^2
    mean = state["g"] * alpha + (1 - alpha) * grad              # gbar = a gbar + (1 - a) g
    delta = state["delta"] * hp["momentum"] - hp["lr"] * grad / xp.sqrt(n - mean * mean + hp["eps"])
    # delta = mu delta - lr g / sqrt(n - gbar^2 + eps)
    return param + delta, {"n": n, "g": mean, "delta": delta, "t": state["t"] + 1}   # p = p + delta


def ada_grad(param, grad, state, hp):
    """chainer.optimizers.AdaGrad. hp: lr, eps. state: h."""
    xp = get_array_module(param)
    state = _fresh(state, param, "h")
    h = state["h"] + grad * grad                                 # h = h + g^2
    return param - hp["lr"] * grad / (xp.sqrt(h) + hp["eps"]), {"h": h, "t": state["t"] + 1}
    # p = p - lr g / (sqrt(h) + eps)


def corrected_momentum_sgd(param, grad, state, hp):
    """chainer.optimizers.CorrectedMomentumSGD. hp: lr, momentum. state: v.

    The learning rate multiplies the velocity at each step instead of being folded into it,
    so this is torch SGD(momentum, dampening=0) for any lr schedule (v = -b): the form
    MomentumSGD is not, once lr changes.
    """
    state = _fresh(state, param, "v")
    v = state["v"] * hp["momentum"] - grad                       # v = mu v - g
    return param + hp["lr"] * v, {"v": v, "t": state["t"] + 1}   # p = p + lr v


def ada_delta(param, grad, state, hp):
    """chainer.optimizers.AdaDelta. hp: rho, eps. state: msg, msdx.

    No learning rate (torch's Adadelta multiplies the step by lr, default 1.0, and defaults
    to rho 0.9 where chainer has 0.95).
    """
    xp = get_array_module(param)
    state = _fresh(state, param, "msg", "msdx")
    rho, eps = hp["rho"], hp["eps"]
    msg = state["msg"] * rho + (1 - rho) * grad * grad           # msg = rho msg + (1 - rho) g^2
    dx = xp.sqrt((state["msdx"] + eps) / (msg + eps)) * grad     # dx = sqrt((msdx + eps) / (msg + eps)) g
    msdx = state["msdx"] * rho + (1 - rho) * dx * dx             # msdx = rho msdx + (1 - rho) dx^2
    return param - dx, {"msg": msg, "msdx": msdx, "t": state["t"] + 1}   # p = p - dx


def smorms3(param, grad, state, hp):
    """chainer.optimizers.SMORMS3 (Simon Funk's). hp: lr, eps. state: mem (starts at ones),
    g, g2. No torch counterpart."""
    xp = get_array_module(param)
    if not all(name in state for name in ("mem", "g", "g2")):
        state = {"mem": xp.ones_like(param), "g": xp.zeros_like(param),
                 "g2": xp.zeros_like(param), "t": state.get("t", 0)}
    r = 1 / (state["mem"] + 1)                                   # r = 1 / (mem + 1)
    g = (1 - r) * state["g"] + r * grad                          # g = (1 - r) g + r grad
    g2 = (1 - r) * state["g2"] + r * grad * grad                 # g2 = (1 - r) g2 + r grad^2
    x = g * g / (g2 + hp["eps"])                                 # x = g^2 / (g2 + eps)
    param = param - grad * xp.minimum(x, hp["lr"]) / (xp.sqrt(g2) + hp["eps"])
    # p = p - grad min(x, lr) / (sqrt(g2) + eps)
    mem = 1 + state["mem"] * (1 - x)                             # mem = 1 + mem (1 - x)
    return param, {"mem": mem, "g": g, "g2": g2, "t": state["t"] + 1}
