"""PyTorch 2.13's update rules as pure functions (``torch/optim/*.py``, single-tensor path).

Each rule is ``step(param, grad, state, hp) -> (new_param, new_state)``: arrays in, new
arrays out, nothing mutated. ``state`` is the per-parameter state dict (empty before the
first step: the rule initialises it, except Adagrad, whose state torch creates in the
constructor: see ``adagrad_init``); ``hp`` is a mapping of the hyperparameters under torch's
names (a param group). ``step`` in the state counts the updates made, as torch's
``state["step"]`` does (torch keeps it in a 0-d float32 tensor; refimpl in a Python float).

One comment per equation line; ``g`` is the gradient after ``maximize`` and weight decay.
"""
from .._backend import get_array_module


def _ascent(grad, hp):
    """The gradient, negated when ``hp['maximize']`` (torch's ``maximize=True``)."""
    return -grad if hp.get("maximize", False) else grad


def _lerp(start, end, weight):
    """torch.lerp: ``start + weight*(end - start)``, in torch's two-branch form."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def sgd(param, grad, state, hp):
    """torch.optim.SGD: momentum buffer, dampening, nesterov, L2 weight decay, maximize.

    hp: lr, momentum, dampening, weight_decay, nesterov, maximize. state: momentum_buffer
    (absent until the first step with momentum != 0).
    """
    lr, momentum, wd = hp["lr"], hp["momentum"], hp["weight_decay"]
    g = _ascent(grad, hp)                                        # g = -grad when maximizing
    if wd != 0:
        g = g + wd * param                                       # g = g + wd * p  (L2)
    new_state = dict(state)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = g.copy()                                       # b_1 = g_1 (no dampening)
        else:
            buf = buf * momentum + (1 - hp["dampening"]) * g     # b_t = mu b_{t-1} + (1 - tau) g_t
        new_state["momentum_buffer"] = buf
        g = g + momentum * buf if hp["nesterov"] else buf        # nesterov: g + mu b_t; else b_t
    return param - lr * g, new_state                             # p = p - lr * g


def adam_init(param, hp):
    """Fresh Adam/AdamW state: step 0, zero moments (and zero max_exp_avg_sq with amsgrad)."""
    xp = get_array_module(param)
    state = {"step": 0.0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}
    if hp["amsgrad"]:
        state["max_exp_avg_sq"] = xp.zeros_like(param)
    return state


def adam(param, grad, state, hp):
    """torch.optim.Adam / AdamW.

    hp: lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay (True for
    AdamW). Bias correction divides the step size by ``1 - beta1^t`` and sqrt(v) by
    ``sqrt(1 - beta2^t)``; eps is added after that division (chainer adds it before the
    correction: see ``chainer_rules.adam``).
    """
    xp = get_array_module(param)
    state = state or adam_init(param, hp)
    lr, (beta1, beta2), eps, wd = hp["lr"], hp["betas"], hp["eps"], hp["weight_decay"]
    step = state["step"] + 1                                     # t = t + 1
    g = _ascent(grad, hp)                                        # g = -grad when maximizing
    if wd != 0 and hp.get("decoupled_weight_decay", False):
        param = param * (1 - lr * wd)                            # AdamW: p = p * (1 - lr*wd)
    elif wd != 0:
        g = g + wd * param                                       # Adam: g = g + wd * p  (L2)
    exp_avg = _lerp(state["exp_avg"], g, 1 - beta1)              # m = b1 m + (1 - b1) g
    exp_avg_sq = state["exp_avg_sq"] * beta2 + (1 - beta2) * g * g   # v = b2 v + (1 - b2) g^2
    new_state = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    bias_correction1 = 1 - beta1 ** step                         # c1 = 1 - b1^t
    bias_correction2 = 1 - beta2 ** step                         # c2 = 1 - b2^t
    second_moment = exp_avg_sq
    if hp["amsgrad"]:
        second_moment = xp.maximum(state["max_exp_avg_sq"], exp_avg_sq)  # vmax = max(vmax, v)
        new_state["max_exp_avg_sq"] = second_moment
    denom = xp.sqrt(second_moment) / bias_correction2 ** 0.5 + eps   # d = sqrt(v)/sqrt(c2) + eps
    step_size = lr / bias_correction1                            # s = lr / c1
    return param + (-step_size * exp_avg) / denom, new_state     # p = p - s * m / d (addcdiv order)


def rmsprop_init(param, hp):
    """Fresh RMSprop state: step 0, square_avg, and momentum_buffer / grad_avg when used."""
    xp = get_array_module(param)
    state = {"step": 0.0, "square_avg": xp.zeros_like(param)}
    if hp["momentum"] > 0:
        state["momentum_buffer"] = xp.zeros_like(param)
    if hp["centered"]:
        state["grad_avg"] = xp.zeros_like(param)
    return state


def rmsprop(param, grad, state, hp):
    """torch.optim.RMSprop: eps outside the square root, optional centering and momentum.

    hp: lr, alpha, eps, weight_decay, momentum, centered, maximize.
    """
    xp = get_array_module(param)
    state = state or rmsprop_init(param, hp)
    lr, alpha, eps, wd, momentum = hp["lr"], hp["alpha"], hp["eps"], hp["weight_decay"], hp["momentum"]
    new_state = dict(state, step=state["step"] + 1)              # t = t + 1
    g = _ascent(grad, hp)                                        # g = -grad when maximizing
    if wd != 0:
        g = g + wd * param                                       # g = g + wd * p  (L2)
    square_avg = state["square_avg"] * alpha + (1 - alpha) * g * g   # s = a s + (1 - a) g^2
    new_state["square_avg"] = square_avg
    if hp["centered"]:
        grad_avg = _lerp(state["grad_avg"], g, 1 - alpha)        # gbar = a gbar + (1 - a) g
        new_state["grad_avg"] = grad_avg
        avg = xp.sqrt(square_avg - grad_avg * grad_avg)          # d = sqrt(s - gbar^2)
    else:
        avg = xp.sqrt(square_avg)                                # d = sqrt(s)
    avg = avg + eps                                              # d = d + eps
    if momentum > 0:
        buf = state["momentum_buffer"] * momentum + g / avg      # b = mu b + g / d
        new_state["momentum_buffer"] = buf
        return param - lr * buf, new_state                       # p = p - lr * b
    return param - lr * (g / avg), new_state                     # p = p - lr * g / d


def adagrad_init(param, hp):
    """Adagrad state as torch's constructor creates it: step 0, sum = initial_accumulator_value."""
    xp = get_array_module(param)
    return {"step": 0.0, "sum": xp.full_like(param, hp["initial_accumulator_value"])}


def adagrad(param, grad, state, hp):
    """torch.optim.Adagrad: learning-rate decay, initial accumulator, eps outside the sqrt.

    hp: lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize.
    """
    xp = get_array_module(param)
    state = state or adagrad_init(param, hp)
    step = state["step"] + 1                                     # t = t + 1
    g = _ascent(grad, hp)                                        # g = -grad when maximizing
    if hp["weight_decay"] != 0:
        g = g + hp["weight_decay"] * param                       # g = g + wd * p  (L2)
    clr = hp["lr"] / (1 + (step - 1) * hp["lr_decay"])           # lr_t = lr / (1 + (t-1) decay)
    total = state["sum"] + g * g                                 # h = h + g^2
    std = xp.sqrt(total) + hp["eps"]                             # d = sqrt(h) + eps
    return param - clr * (g / std), {"step": step, "sum": total}  # p = p - lr_t * g / d


def adadelta_init(param, hp):
    """Fresh Adadelta state: step 0, zero square_avg and acc_delta."""
    xp = get_array_module(param)
    return {"step": 0.0, "square_avg": xp.zeros_like(param), "acc_delta": xp.zeros_like(param)}


def adadelta(param, grad, state, hp):
    """torch.optim.Adadelta: chainer's AdaDelta times a learning rate, with L2 weight decay.

    hp: lr, rho, eps, weight_decay, maximize. state: square_avg, acc_delta.
    """
    xp = get_array_module(param)
    state = state or adadelta_init(param, hp)
    rho, eps = hp["rho"], hp["eps"]
    g = _ascent(grad, hp)                                        # g = -grad when maximizing
    if hp["weight_decay"] != 0:
        g = g + hp["weight_decay"] * param                       # g = g + wd * p  (L2)
    square_avg = state["square_avg"] * rho + (1 - rho) * g * g   # s = rho s + (1 - rho) g^2
    std = xp.sqrt(square_avg + eps)                              # d = sqrt(s + eps)
    delta = xp.sqrt(state["acc_delta"] + eps) / std * g          # delta = sqrt(a + eps) / d * g
    acc_delta = state["acc_delta"] * rho + (1 - rho) * delta * delta   # a = rho a + (1 - rho) delta^2
    return param - hp["lr"] * delta, {"step": state["step"] + 1, "square_avg": square_avg,
                                      "acc_delta": acc_delta}    # p = p - lr * delta
