"""refimpl.optimizers: hand-computed steps, class behaviour, hooks and clipping, and
trajectories against torch 2.13 / chainer 7.8.1 where they are installed.

Expected numbers in the hand-computed tests are worked out from each framework's formula on
paper (the arithmetic is written out), never by calling refimpl. Framework tests skip with
the reason when the framework cannot be imported.
"""
import importlib
import importlib.util
import inspect
import json
import math
import os

import numpy as np
import pytest
from hypothesis import given, strategies as st

import refimpl
import refimpl.functions as F
import refimpl.nn
from refimpl.optimizers import (DEFAULTS, chainer_rules, chainer_style as CS, clip_grad_norm_,
                                clip_grad_value_, hooks, torch_rules, torch_style as TS)
from refimpl.optimizers.defaults import TORCH_IMPLEMENTATION_SWITCHES

# torch's CPU kernels (lerp, addcmul, addcdiv, possibly fused multiply-adds) round a few ulp
# differently from NumPy; over a few steps that stays far below 1e-12 relative (observed
# <= 4e-16 in scripts/probe_results/optim-torch-2.13.0.jsonl), while the smallest formula
# difference tested here (eps placement) is ~1e-2 relative.
RTOL, ATOL = 1e-12, 1e-14


def leaf(values):
    return refimpl.Variable(np.array(values, dtype=np.float64), requires_grad=True)


class Target:
    """The chainer target interface: params(), namedparams(), cleargrads()."""

    def __init__(self, **params):
        self._params = params

    def params(self, include_uninit=True):
        return iter(self._params.values())

    def namedparams(self, include_uninit=True):
        return (("/" + name, p) for name, p in self._params.items())

    def cleargrads(self):
        for p in self._params.values():
            p.cleargrad()


def run_torch_style(optimizer, param, grads):
    """Param values after each step, feeding ``grads`` one per step."""
    values = []
    for g in grads:
        param.grad = np.asarray(g, dtype=param.data.dtype)
        optimizer.step()
        values.append(param.data.copy())
    return values


def run_chainer_style(optimizer, param, grads):
    values = []
    for g in grads:
        param.grad = np.asarray(g, dtype=param.data.dtype)
        optimizer.update()
        values.append(param.data.copy())
    return values


def close(actual, expected):
    np.testing.assert_allclose(np.ravel(actual), np.ravel(expected), rtol=1e-15, atol=1e-15)


# ======================================================================================
# Hand-computed steps: torch formulas
# ======================================================================================

def test_torch_sgd_momentum_dampening_first_buffer_is_the_grad():
    # b1 = g1 = 1 (no dampening on step 1); p = 1 - 0.1*1 = 0.9
    # b2 = 0.9*1 + 0.5*2 = 1.9; p = 0.9 - 0.19 = 0.71
    # b3 = 0.9*1.9 + 0.5*(-1) = 1.21; p = 0.71 - 0.121 = 0.589
    p = leaf([1.0])
    opt = TS.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    values = run_torch_style(opt, p, [[1.0], [2.0], [-1.0]])
    close(values, [0.9, 0.71, 0.589])
    close(opt.state[p]["momentum_buffer"], [1.21])


def test_torch_sgd_nesterov_with_weight_decay():
    # step 1: g = 1 + 0.1*2 = 1.2; b = 1.2; g = 1.2 + 0.5*1.2 = 1.8; p = 2 - 0.18 = 1.82
    # step 2: g = 1 + 0.1*1.82 = 1.182; b = 0.5*1.2 + 1.182 = 1.782; g = 1.182 + 0.891 = 2.073
    #         p = 1.82 - 0.2073 = 1.6127
    p = leaf([2.0])
    opt = TS.SGD([p], lr=0.1, momentum=0.5, weight_decay=0.1, nesterov=True)
    close(run_torch_style(opt, p, [[1.0], [1.0]]), [1.82, 1.6127])


def test_torch_sgd_maximize_ascends():
    p = leaf([1.0])
    opt = TS.SGD([p], lr=0.1, maximize=True)
    close(run_torch_style(opt, p, [[1.0]]), [1.1])  # p = 1 + 0.1*1


def test_torch_adam_bias_correction_and_eps_after_division():
    # betas (0.5, 0.75), lr 0.1, eps 0.1
    # t=1, g=2: m = 1, v = 0.25*4 = 1, c1 = 0.5, c2 = 0.25
    #   d = sqrt(1)/sqrt(0.25) + 0.1 = 2.1; p = 1 - (0.1/0.5)*1/2.1 = 19/21
    # t=2, g=-2: m = 0.5 - 1 = -0.5, v = 0.75 + 1 = 1.75, c1 = 0.75, c2 = 0.4375
    #   d = sqrt(1.75/0.4375) + 0.1 = 2.1; p = 19/21 + (0.1/0.75)*0.5/2.1 = 59/63
    p = leaf([1.0])
    opt = TS.Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.1)
    close(run_torch_style(opt, p, [[2.0], [-2.0]]), [19 / 21, 59 / 63])
    assert opt.state[p]["step"] == 2
    close(opt.state[p]["exp_avg"], [-0.5])
    close(opt.state[p]["exp_avg_sq"], [1.75])


def test_torch_adam_amsgrad_keeps_the_largest_second_moment():
    # betas (0.5, 0.75), lr 0.1, eps 0; t=1, g=2: m = 1, v = 1; p = 1 - 0.2*1/2 = 0.9
    # t=2, g=0: m = 0.5, v = 0.75, vmax = max(1, 0.75) = 1, c1 = 0.75, c2 = 0.4375
    #   amsgrad: p = 0.9 - (0.1/0.75)*0.5/(1/sqrt(0.4375))
    #   plain:   p = 0.9 - (0.1/0.75)*0.5/(sqrt(0.75)/sqrt(0.4375))
    for amsgrad, second in ((True, 1.0), (False, 0.75)):
        p = leaf([1.0])
        opt = TS.Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.0, amsgrad=amsgrad)
        expected = 0.9 - (0.1 / 0.75) * 0.5 / (math.sqrt(second) / math.sqrt(0.4375))
        close(run_torch_style(opt, p, [[2.0], [0.0]]), [0.9, expected])
    assert "max_exp_avg_sq" not in opt.state[p]


def test_torch_adam_l2_vs_adamw_decoupled_weight_decay():
    # lr 0.1, wd 0.5, betas (0.5, 0.75), eps 0, p = 1, g = 2
    # AdamW: p = 1*(1 - 0.05) = 0.95; m = 1, v = 1; p = 0.95 - 0.2*1/(1/0.5) = 0.85
    # Adam:  g = 2 + 0.5*1 = 2.5; m = 1.25; v = 1.5625; p = 1 - 0.2*1.25/(1.25/0.5) = 0.9
    adamw, adam = leaf([1.0]), leaf([1.0])
    run_torch_style(TS.AdamW([adamw], lr=0.1, betas=(0.5, 0.75), eps=0.0, weight_decay=0.5), adamw, [[2.0]])
    run_torch_style(TS.Adam([adam], lr=0.1, betas=(0.5, 0.75), eps=0.0, weight_decay=0.5), adam, [[2.0]])
    close(adamw.data, [0.85])
    close(adam.data, [0.9])


def test_torch_rmsprop_plain_centered_and_momentum():
    # lr 0.1, alpha 0.5, eps 0.1. plain: g=2: s = 2; p = 1 - 0.1*2/(sqrt(2) + 0.1)
    #   g=1: s = 1 + 0.5 = 1.5; p -= 0.1*1/(sqrt(1.5) + 0.1)
    p = leaf([1.0])
    first = 1 - 0.2 / (math.sqrt(2) + 0.1)
    close(run_torch_style(TS.RMSprop([p], lr=0.1, alpha=0.5, eps=0.1), p, [[2.0], [1.0]]),
          [first, first - 0.1 / (math.sqrt(1.5) + 0.1)])
    # centered + momentum 0.5: g=2: s = 2, gbar = 1, d = sqrt(2 - 1) + 0.1 = 1.1, b = 2/1.1
    #   g=1: s = 1.5, gbar = 1, d = sqrt(0.5) + 0.1, b = 0.5*2/1.1 + 1/d
    p = leaf([1.0])
    opt = TS.RMSprop([p], lr=0.1, alpha=0.5, eps=0.1, centered=True, momentum=0.5)
    b1 = 2 / 1.1
    b2 = 0.5 * b1 + 1 / (math.sqrt(0.5) + 0.1)
    close(run_torch_style(opt, p, [[2.0], [1.0]]), [1 - 0.1 * b1, 1 - 0.1 * b1 - 0.1 * b2])


def test_torch_adagrad_lr_decay_and_initial_accumulator():
    # lr 0.1, lr_decay 0.5, initial 1, eps 0. t=1, g=1: h = 2, p = 1 - 0.1/sqrt(2)
    # t=2, g=1: lr_t = 0.1/(1 + 0.5) ; h = 3; p -= lr_t/sqrt(3)
    p = leaf([1.0])
    opt = TS.Adagrad([p], lr=0.1, lr_decay=0.5, initial_accumulator_value=1.0, eps=0.0)
    first = 1 - 0.1 / math.sqrt(2)
    close(run_torch_style(opt, p, [[1.0], [1.0]]), [first, first - (0.1 / 1.5) / math.sqrt(3)])


# ======================================================================================
# Hand-computed steps: chainer formulas
# ======================================================================================

def chainer_setup(optimizer, param):
    return optimizer.setup(Target(a=param))


def test_chainer_momentum_sgd_velocity():
    # v = 0.9 v - 0.1 g, p += v with g = 1: v = -0.1, -0.19, -0.271; p = 0.9, 0.71, 0.439
    p = leaf([1.0])
    opt = chainer_setup(CS.MomentumSGD(lr=0.1, momentum=0.9), p)
    close(run_chainer_style(opt, p, [[1.0]] * 3), [0.9, 0.71, 0.439])
    close(p.update_rule.state["v"], [-0.271])


def test_chainer_nesterov_ag():
    # lr 0.1, mu 0.5, g = 1. v = -0.1; p = 1 + 0.25*(-0.1) - 1.5*0.1 = 0.825
    # v = -0.05 - 0.1 = -0.15; p = 0.825 + 0.25*(-0.15) - 0.15 = 0.6375
    p = leaf([1.0])
    opt = chainer_setup(CS.NesterovAG(lr=0.1, momentum=0.5), p)
    close(run_chainer_style(opt, p, [[1.0]] * 2), [0.825, 0.6375])


def test_chainer_adam_eps_before_bias_correction():
    # alpha 0.1, betas (0.5, 0.75), eps 0.1 (torch gives 19/21 at t=1 with the same numbers)
    # t=1, g=2: m = 1, v = 1, alpha_t = 0.1*sqrt(0.25)/0.5 = 0.1; p = 1 - 0.1/(1 + 0.1) = 10/11
    # t=2, g=-2: m = -0.5, v = 1.75, alpha_t = 0.1*sqrt(0.4375)/0.75
    #   p = 10/11 + 0.5*alpha_t/(sqrt(1.75) + 0.1)
    p = leaf([1.0])
    opt = chainer_setup(CS.Adam(alpha=0.1, beta1=0.5, beta2=0.75, eps=0.1), p)
    second = 10 / 11 + 0.5 * (0.1 * math.sqrt(0.4375) / 0.75) / (math.sqrt(1.75) + 0.1)
    close(run_chainer_style(opt, p, [[2.0], [-2.0]]), [10 / 11, second])
    assert p.update_rule.t == 2 and opt.t == 2
    assert opt.alpha_t == pytest.approx(0.1 * math.sqrt(0.4375) / 0.75, rel=1e-15)


def test_chainer_adam_weight_decay_is_not_scaled_by_alpha():
    # alpha 0.1, wd 0.5, eta 1, betas (0.5, 0.75), eps 0, g = 2: m = v = 1, alpha_t = 0.1
    # p = (1 - 0.5)*1 - 0.1*1/1 = 0.4   (torch AdamW with lr 0.1, wd 0.5 gives 0.85)
    p = leaf([1.0])
    opt = chainer_setup(CS.Adam(alpha=0.1, beta1=0.5, beta2=0.75, eps=0.0, weight_decay_rate=0.5), p)
    close(run_chainer_style(opt, p, [[2.0]]), [0.4])


def test_chainer_amsgrad_and_adabound():
    # AMSGrad: alpha 0.1, betas (0.5, 0.75), eps 0; t=1 g=2: m=v=vhat=1, p = 1 - 0.1 = 0.9
    # t=2 g=0: m = 0.5, v = 0.75, vhat = 1, alpha_t = 0.1*sqrt(0.4375)/0.75; p = 0.9 - alpha_t*0.5
    p = leaf([1.0])
    opt = chainer_setup(CS.AMSGrad(alpha=0.1, beta1=0.5, beta2=0.75, eps=0.0), p)
    close(run_chainer_style(opt, p, [[2.0], [0.0]]),
          [0.9, 0.9 - 0.1 * math.sqrt(0.4375) / 0.75 * 0.5])
    # AdaBound: final_lr 0.1, gamma 0.5, alpha 0.1 (initial alpha 0.1): at t=1 the bounds are
    # [0.1*(1 - 1/1.5), 0.1*(1 + 1/0.5)] = [1/30, 0.3]; step = 0.1/(1 + 0) = 0.1 is inside
    # with g = 2 (m = 1, v = 1); with g = 200 (m = 100, v = 1e4) the step 0.1/100 = 1e-3 is
    # clipped up to 1/30: p = 1 - (1/30)*100
    for g, expected in ((2.0, 0.9), (200.0, 1 - 100 / 30)):
        p = leaf([1.0])
        opt = chainer_setup(CS.AdaBound(alpha=0.1, beta1=0.5, beta2=0.75, final_lr=0.1, gamma=0.5, eps=0.0), p)
        close(run_chainer_style(opt, p, [[g]]), [expected])


def test_chainer_rmsprop_eps_inside_and_outside_sqrt():
    # lr 0.1, alpha 0.5, eps 0.1, g = 2: ms = 2
    for inside, expected in ((False, 1 - 0.2 / (math.sqrt(2) + 0.1)), (True, 1 - 0.2 / math.sqrt(2.1))):
        p = leaf([1.0])
        opt = chainer_setup(CS.RMSprop(lr=0.1, alpha=0.5, eps=0.1, eps_inside_sqrt=inside), p)
        close(run_chainer_style(opt, p, [[2.0]]), [expected])


def test_chainer_rmsprop_graves_and_adagrad():
    # Graves: lr 0.1, alpha 0.5, mu 0.5, eps 0.25, g = 2: n = 2, gbar = 1
    #   delta = -0.1*2/sqrt(2 - 1 + 0.25); p = 1 + delta
    p = leaf([1.0])
    opt = chainer_setup(CS.RMSpropGraves(lr=0.1, alpha=0.5, momentum=0.5, eps=0.25), p)
    close(run_chainer_style(opt, p, [[2.0]]), [1 - 0.2 / math.sqrt(1.25)])
    # AdaGrad: lr 0.1, eps 0, g = 1: h = 1, p = 0.9; h = 2, p = 0.9 - 0.1/sqrt(2)
    p = leaf([1.0])
    opt = chainer_setup(CS.AdaGrad(lr=0.1, eps=0.0), p)
    close(run_chainer_style(opt, p, [[1.0], [1.0]]), [0.9, 0.9 - 0.1 / math.sqrt(2)])


def test_momentum_forms_agree_for_constant_lr_and_differ_when_lr_changes():
    # g = 1, momentum 0.9, lr 0.1, 0.1, then 0.01, 0.01
    # torch: b = 1, 1.9, 2.71, 3.439; p = -0.1, -0.29, -0.3171, -0.35149
    # chainer: v = -0.1, -0.19, -0.181, -0.1729; p = -0.1, -0.29, -0.471, -0.6439
    torch_param, chainer_param = leaf([0.0]), leaf([0.0])
    torch_opt = TS.SGD([torch_param], lr=0.1, momentum=0.9)
    chainer_opt = chainer_setup(CS.MomentumSGD(lr=0.1, momentum=0.9), chainer_param)
    torch_values, chainer_values = [], []
    for lr in (0.1, 0.1, 0.01, 0.01):
        torch_opt.param_groups[0]["lr"] = lr
        chainer_opt.lr = lr
        torch_values += run_torch_style(torch_opt, torch_param, [[1.0]])
        chainer_values += run_chainer_style(chainer_opt, chainer_param, [[1.0]])
    close(torch_values, [-0.1, -0.29, -0.3171, -0.35149])
    close(chainer_values, [-0.1, -0.29, -0.471, -0.6439])


def test_pure_rules_do_not_mutate_their_inputs():
    param, grad = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    cases = [
        (torch_rules.sgd, {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.1,
                           "nesterov": True, "maximize": False}),
        (torch_rules.adam, {"lr": 0.1, "betas": (0.9, 0.99), "eps": 1e-8, "weight_decay": 0.1,
                            "amsgrad": True, "maximize": False}),
        (torch_rules.rmsprop, {"lr": 0.1, "alpha": 0.9, "eps": 1e-8, "weight_decay": 0.0,
                               "momentum": 0.5, "centered": True}),
        (chainer_rules.momentum_sgd, {"lr": 0.1, "momentum": 0.9}),
        (chainer_rules.adam, {"alpha": 0.1, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "eta": 1.0,
                              "weight_decay_rate": 0.1, "amsgrad": True, "adabound": False}),
    ]
    for rule, hp in cases:
        _, state = rule(param, grad, {}, hp)
        frozen = {k: np.copy(v) for k, v in state.items()}
        new_param, new_state = rule(param, grad, state, hp)
        assert np.array_equal(param, [1.0, -2.0]) and np.array_equal(grad, [0.5, 0.25]), rule
        for key, value in frozen.items():
            assert np.array_equal(state[key], value), (rule.__name__, key)
        assert new_state is not state and not np.array_equal(new_param, param)


def test_rules_keep_float32():
    param, grad = np.ones(3, np.float32), np.full(3, 0.5, np.float32)
    for rule, hp in ((torch_rules.adam, {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8,
                                         "weight_decay": 0.01, "amsgrad": False}),
                     (chainer_rules.adam, {"alpha": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                           "eta": 1.0, "weight_decay_rate": 0.0, "amsgrad": False,
                                           "adabound": False})):
        new_param, state = rule(param, grad, {}, hp)
        assert new_param.dtype == np.float32, rule


# ======================================================================================
# torch-style classes
# ======================================================================================

def test_torch_step_skips_params_without_grad_and_creates_no_state():
    a, b = leaf([1.0]), leaf([3.0])
    opt = TS.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt.step()
    b.grad = None
    opt.step()
    # a: b = 1, 1.9 -> p = 0.9, 0.71; b: moved once (2.9), then left alone
    close(a.data, [0.71])
    close(b.data, [2.9])
    close(opt.state[b]["momentum_buffer"], [1.0])
    c = leaf([5.0])
    adam = TS.Adam([c])
    adam.step()
    assert c.data[0] == 5.0 and adam.state == {} and adam.state_dict()["state"] == {}


def test_torch_zero_grad_sets_none_by_default_or_zeros():
    a = leaf([1.0, 2.0])
    opt = TS.SGD([a])
    a.grad = np.array([1.0, 1.0])
    opt.zero_grad(set_to_none=False)
    assert np.array_equal(a.grad, [0.0, 0.0])
    opt.zero_grad()
    assert a.grad is None


def test_torch_step_closure_runs_with_grad_enabled_and_returns_the_loss():
    w = leaf([2.0])
    opt = TS.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = F.sum(w * w)  # grad 2w = 4
        loss.backward()
        return loss

    with refimpl.no_grad():
        loss = opt.step(closure)
    assert loss.data == 4.0
    close(w.data, [1.6])  # 2 - 0.1*4


def test_torch_param_groups_use_their_own_hyperparameters():
    a, b = leaf([1.0]), leaf([1.0])
    opt = TS.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt.step()
    close(a.data, [0.9])
    close(b.data, [0.5])
    assert opt.param_groups[1]["momentum"] == 0  # filled from the defaults


def test_torch_state_dict_round_trip_continues_the_trajectory():
    grads = [[0.5, -1.0], [0.25, 2.0], [-0.5, 0.1], [1.0, -0.3]]
    reference = leaf([1.0, -2.0])
    run_torch_style(TS.Adam([reference], lr=0.1, amsgrad=True), reference, grads)
    first = leaf([1.0, -2.0])
    opt = TS.Adam([first], lr=0.1, amsgrad=True)
    run_torch_style(opt, first, grads[:2])
    saved = opt.state_dict()
    assert saved["param_groups"][0]["params"] == [0] and set(saved["state"][0]) == \
        {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    resumed = leaf(first.data.copy())
    opt2 = TS.Adam([resumed], lr=0.5)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["params"] == [resumed]
    run_torch_style(opt2, resumed, grads[2:])
    np.testing.assert_array_equal(resumed.data, reference.data)


def test_torch_load_state_dict_checks_the_group_structure():
    opt = TS.SGD([leaf([1.0]), leaf([2.0])])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0], "lr": 0.1}]})


def test_torch_adagrad_state_exists_before_the_first_step():
    opt = TS.Adagrad([leaf([0.0, 0.0])], initial_accumulator_value=0.5)
    state = opt.state_dict()["state"][0]
    assert state["step"] == 0.0 and np.array_equal(state["sum"], [0.5, 0.5])


def test_torch_adagrad_ignores_a_groups_initial_accumulator_value():
    # torch 2.13 initialises "sum" from the constructor's value (0 here) for every group,
    # also for a group added later: g = 1 gives h = 1 and p = 1 - 0.1*1/1 = 0.9 for both
    a, b = leaf([1.0]), leaf([1.0])
    opt = TS.Adagrad([{"params": [a], "initial_accumulator_value": 5.0}], lr=0.1, eps=0.0)
    opt.add_param_group({"params": [b], "initial_accumulator_value": 7.0})
    assert np.array_equal(opt.state[a]["sum"], [0.0]) and b not in opt.state
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt.step()
    close([a.data[0], b.data[0]], [0.9, 0.9])
    assert opt.param_groups[1]["initial_accumulator_value"] == 7.0


def test_torch_named_parameters_are_recorded():
    a, b = leaf([1.0]), leaf([2.0])
    opt = TS.SGD([("a", a), ("b", b)])
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]
    with pytest.raises(ValueError, match="Some param names are missing"):
        TS.SGD([("a", a), b])


TORCH_ARGUMENT_ERRORS = [
    ("SGD", {"lr": -1}, "Invalid learning rate: -1"),
    ("SGD", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("SGD", {"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
    ("SGD", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ("Adam", {"lr": float("nan")}, "Invalid learning rate: nan"),
    ("Adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("Adam", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("Adam", {"betas": (0, 0.999)}, "betas must be either both floats or both Tensors"),
    ("AdamW", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("RMSprop", {"lr": -1}, "Invalid learning rate: -1"),
    ("RMSprop", {"eps": -1}, "Invalid epsilon value: -1"),
    ("RMSprop", {"momentum": -1}, "Invalid momentum value: -1"),
    ("RMSprop", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("RMSprop", {"alpha": -0.5}, "Invalid alpha value: -0.5"),
    ("Adagrad", {"lr": -1}, "Invalid learning rate: -1"),
    ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    ("Adagrad", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("Adagrad", {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
    ("Adagrad", {"eps": -1}, "Invalid epsilon value: -1"),
]


@pytest.mark.parametrize("name, kwargs, message", TORCH_ARGUMENT_ERRORS,
                         ids=[f"{n}-{sorted(k)}" for n, k, _ in TORCH_ARGUMENT_ERRORS])
def test_torch_style_argument_errors(name, kwargs, message):
    with pytest.raises(ValueError) as error:
        getattr(TS, name)([leaf([1.0])], **kwargs)
    assert str(error.value) == message


def test_torch_style_parameter_list_errors():
    a = leaf([1.0])
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        TS.SGD([])
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        TS.SGD(a)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is numpy.ndarray"):
        TS.SGD([np.ones(2)])
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        TS.SGD([a * 2])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        TS.SGD([{"params": [a]}, {"params": [a]}])
    with pytest.raises(TypeError, match="ordered collections"):
        TS.SGD([{"params": {a}}])  # a set of groups' params; torch accepts a top-level set
    with pytest.raises(TypeError, match="lr must be a real number, got lr='0.1'"):
        TS.SGD([a], lr="0.1")
    TS.SGD([a], lr=float("nan"))  # torch's SGD checks lr < 0, which nan passes


# ======================================================================================
# chainer-style classes
# ======================================================================================

def test_chainer_update_treats_a_missing_grad_as_zeros():
    a, b = leaf([1.0]), leaf([3.0])
    opt = CS.MomentumSGD(lr=0.1, momentum=0.9).setup(Target(a=a, b=b))
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt.update()
    b.cleargrad()
    opt.update()
    # b: v = -0.1 (p = 2.9), then v = 0.9*(-0.1) - 0 = -0.09 (p = 2.81); its grad is now zeros
    close(b.data, [2.81])
    assert np.array_equal(b.grad, [0.0]) and b.update_rule.t == 2 and opt.t == 2


def test_chainer_update_lossfun_computes_the_loss_then_clears_grads_then_backprops():
    a = leaf([2.0])
    opt = CS.SGD(lr=0.1).setup(Target(a=a))
    a.grad = np.array([100.0])
    seen = []

    def lossfun(scale):
        seen.append(None if a.grad is None else a.grad.copy())
        return F.sum(a * a) * scale

    with refimpl.semantics("chainer"):
        opt.update(lossfun, 3.0)
    # lossfun saw the stale grad; backward then starts from None: grad = 2*a*3 = 12
    assert seen[0].tolist() == [100.0]
    assert a.grad.tolist() == [12.0]
    close(a.data, [0.8])  # 2 - 0.1*12
    assert opt.t == 1


def test_chainer_update_with_refimpl_nn_module():
    class TwoParameters(refimpl.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = refimpl.nn.Parameter(np.array([1.0, 2.0]))
            self.b = refimpl.nn.Parameter(np.array([0.5]))

        def forward(self, x):
            return F.sum(self.w * x) + F.sum(self.b)

    with refimpl.semantics("chainer"):
        model = TwoParameters()
        opt = CS.SGD(lr=0.1).setup(model)
        opt.update(lambda x: model(x), np.array([3.0, -1.0]))
    # d/dw = x, d/db = 1
    close(model.w.data, [0.7, 2.1])
    close(model.b.data, [0.4])
    assert sorted(opt.state_dict()) == ["b/t", "epoch", "t", "w/t"]


def test_chainer_per_parameter_hyperparameters_and_disabled_rules():
    a, b, c = leaf([1.0]), leaf([1.0]), leaf([1.0])
    opt = CS.SGD(lr=0.1).setup(Target(a=a, b=b, c=c))
    b.update_rule.hyperparam.lr = 0.5
    c.update_rule.enabled = False
    for p in (a, b, c):
        p.grad = np.array([1.0])
    opt.update()
    close([a.data[0], b.data[0], c.data[0]], [0.9, 0.5, 1.0])
    assert (a.update_rule.t, c.update_rule.t) == (1, 0)
    opt.lr = 0.2  # the optimizer's value is the default for rules without their own
    opt.update()
    close([a.data[0], b.data[0]], [0.7, 0.0])


def test_chainer_state_dict_round_trip():
    grads = [[0.5, -1.0], [0.25, 2.0], [-0.5, 0.1]]
    reference = leaf([1.0, -2.0])
    run_chainer_style(chainer_setup(CS.Adam(alpha=0.1, amsgrad=True), reference), reference, grads)
    first = leaf([1.0, -2.0])
    opt = chainer_setup(CS.Adam(alpha=0.1, amsgrad=True), first)
    run_chainer_style(opt, first, grads[:2])
    saved = opt.state_dict()
    assert sorted(saved) == ["a/m", "a/t", "a/v", "a/vhat", "epoch", "t"]
    resumed = leaf(first.data.copy())
    opt2 = chainer_setup(CS.Adam(alpha=0.1, amsgrad=True), resumed)
    opt2.load_state_dict(saved)
    assert opt2.t == 2 and resumed.update_rule.t == 2
    run_chainer_style(opt2, resumed, grads[2:])
    np.testing.assert_array_equal(resumed.data, reference.data)


def test_chainer_hook_registration_errors():
    opt = CS.SGD()
    with pytest.raises(RuntimeError, match="Optimizer is not set up"):
        opt.add_hook(hooks.WeightDecay(0.1))
    opt.setup(Target(a=leaf([1.0])))
    opt.add_hook(hooks.WeightDecay(0.1))
    with pytest.raises(KeyError, match='hook "WeightDecay" already exists'):
        opt.add_hook(hooks.WeightDecay(0.2))
    with pytest.raises(TypeError, match="hook function must be callable"):
        opt.add_hook(1, name="one")
    with pytest.raises(ValueError, match="timing must be one of"):
        opt.add_hook(hooks.Lasso(0.1), timing="later")
    opt.remove_hook("WeightDecay")
    opt.add_hook(hooks.WeightDecay(0.2))
    with pytest.raises(TypeError, match="optimization target must be a link"):
        CS.SGD().setup(object())
    with pytest.raises(TypeError, match="lr must be a real number"):
        CS.SGD(lr=None)
    with pytest.raises(TypeError, match="rate must be a real number"):
        hooks.WeightDecay("0.1")


def test_chainer_hooks_by_hand():
    # p = [1, -2], g = [3, 4] (norm 5); SGD lr 0 leaves p, so only the hooks change g
    def hooked(*hook_list):
        p = leaf([1.0, -2.0])
        opt = chainer_setup(CS.SGD(lr=0.0), p)
        for hook in hook_list:
            opt.add_hook(hook)
        p.grad = np.array([3.0, 4.0])
        opt.update()
        return p.grad

    close(hooked(hooks.WeightDecay(0.5)), [3.5, 3.0])           # g + 0.5 p
    close(hooked(hooks.Lasso(0.5)), [3.5, 3.5])                 # g + 0.5 sign(p)
    close(hooked(hooks.GradientClipping(2.5)), [1.5, 2.0])      # g * 2.5/5
    close(hooked(hooks.GradientClipping(5.0)), [3.0, 4.0])      # rate = 1: untouched
    close(hooked(hooks.GradientHardClipping(-1.0, 3.5)), [3.0, 3.5])
    # hooks run in registration order: decay first (g = [3.5, 3]), then clip to norm 1
    norm = math.hypot(3.5, 3.0)
    close(hooked(hooks.WeightDecay(0.5), hooks.GradientClipping(1.0)), [3.5 / norm, 3.0 / norm])


def test_chainer_new_epoch():
    opt = CS.SGD().setup(Target(a=leaf([1.0])))
    opt.new_epoch()
    assert opt.epoch == 1
    with pytest.raises(RuntimeError, match="invalid new_epoch call with auto=True"):
        opt.new_epoch(auto=True)


def test_chainer_adam_alpha_t_before_any_update_raises():
    opt = CS.Adam().setup(Target(a=leaf([1.0])))
    with pytest.raises(RuntimeError, match="because the update steps have not been started"):
        _ = opt.alpha_t


# ======================================================================================
# torch clipping
# ======================================================================================

def test_clip_grad_norm_by_hand():
    a, b, c = leaf([0.0, 0.0]), leaf([0.0]), leaf([0.0])
    a.grad, b.grad = np.array([3.0, 4.0]), np.array([12.0])
    total = clip_grad_norm_([a, b, c], 6.5)  # ||(5, 12)|| = 13; coef = 6.5/(13 + 1e-6)
    assert float(total) == 13.0 and c.grad is None
    coef = 6.5 / (13.0 + 1e-6)
    close(a.grad, [3.0 * coef, 4.0 * coef])
    close(b.grad, [12.0 * coef])
    a.grad, b.grad = np.array([3.0, -4.0]), np.array([12.0])
    assert float(clip_grad_norm_([a, b], 100.0, norm_type=math.inf)) == 12.0  # max |g|
    close(a.grad, [3.0, -4.0])  # coef clamped to 1
    a.grad = np.array([3.0, 4.0])
    clip_grad_norm_(a, 5.0)  # norm == max_norm: still scaled by 5/(5 + 1e-6)
    close(a.grad, [3.0 * 5 / (5 + 1e-6), 4.0 * 5 / (5 + 1e-6)])
    assert float(clip_grad_norm_([c], 1.0)) == 0.0


def test_clip_grad_norm_nonfinite_and_arguments():
    a = leaf([0.0, 0.0])
    a.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="max_norm must be a real number"):
        clip_grad_norm_([a], "1")
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_value_by_hand():
    a = leaf([0.0, 0.0, 0.0])
    a.grad = np.array([-3.0, 0.5, 2.0])
    clip_grad_value_([a], 1.0)
    close(a.grad, [-1.0, 0.5, 1.0])
    clip_grad_value_(a, -0.25)  # min(max(g, 0.25), -0.25) = -0.25 everywhere, as torch.clamp_
    close(a.grad, [-0.25, -0.25, -0.25])


# ======================================================================================
# Defaults table
# ======================================================================================

def _signature_defaults(function, skip=("self", "params")):
    return {p.name: p.default for p in inspect.signature(function).parameters.values()
            if p.name not in skip and p.name not in TORCH_IMPLEMENTATION_SWITCHES}


@pytest.mark.parametrize("framework, name", [(f, n) for f in DEFAULTS for n in DEFAULTS[f]])
def test_refimpl_classes_use_the_defaults_table(framework, name):
    module = TS if framework == "torch" else CS
    assert _signature_defaults(getattr(module, name).__init__) == DEFAULTS[framework][name]


def _framework(name):
    try:
        return importlib.import_module(name)
    except Exception as error:  # ImportError, or chainer's import-time environment errors
        pytest.skip(f"{name} cannot be imported: {error!r}")


@pytest.mark.frameworks
@pytest.mark.parametrize("framework, name", [(f, n) for f in DEFAULTS for n in DEFAULTS[f]])
def test_defaults_table_matches_the_installed_framework(framework, name):
    module = _framework("torch.optim" if framework == "torch" else "chainer.optimizers")
    assert _signature_defaults(getattr(module, name).__init__) == DEFAULTS[framework][name]


# ======================================================================================
# Recorded framework trajectories (scripts/probe_optimizers.py output; no framework needed)
# ======================================================================================

PROBE_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "scripts")


def _probe_module():
    spec = importlib.util.spec_from_file_location("probe_optimizers",
                                                  os.path.join(PROBE_DIR, "probe_optimizers.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _recorded(filename):
    with open(os.path.join(PROBE_DIR, "probe_results", filename)) as lines:
        return [json.loads(line) for line in lines]


RECORDED = [(framework, record) for framework, filename in
            (("torch", "optim-torch-2.13.0.jsonl"), ("chainer", "optim-chainer-7.8.1.jsonl"))
            for record in _recorded(filename) if record["scenario"].startswith("trajectory.")]


@pytest.mark.parametrize("framework, record", RECORDED,
                         ids=[f"{f}-{r['scenario']}" for f, r in RECORDED])
def test_refimpl_reproduces_recorded_trajectories(framework, record):
    probe = _probe_module()
    name = record["scenario"].split(".")[1].split("_")[0]
    config = record["result"]["config"]
    param = leaf(probe.PARAM0)
    if framework == "torch":
        values = run_torch_style(getattr(TS, name)([param], **config), param, probe.GRADS)
    else:
        values = run_chainer_style(chainer_setup(getattr(CS, name)(**config), param), param, probe.GRADS)
    np.testing.assert_allclose(values, record["result"]["params"], rtol=RTOL, atol=ATOL,
                               err_msg=f"{framework} {record['version']} {record['scenario']}")


def test_recorded_defaults_match_the_table():
    for framework, filename in (("torch", "optim-torch-2.13.0.jsonl"), ("chainer", "optim-chainer-7.8.1.jsonl")):
        recorded = next(r for r in _recorded(filename) if r["scenario"] == "defaults")["result"]
        table = {name: {k: list(v) if isinstance(v, tuple) else v for k, v in defaults.items()}
                 for name, defaults in DEFAULTS[framework].items()}
        assert recorded == table, framework


# ======================================================================================
# Against torch (hypothesis-drawn hyperparameters and gradients)
# ======================================================================================

unit = st.floats(0.0, 0.99)
small = st.floats(0.0, 0.1)
rates = st.floats(1e-4, 0.5)
epsilons = st.floats(1e-10, 1e-2)
GRAD_VALUES = st.floats(-10.0, 10.0, allow_subnormal=False)


@st.composite
def torch_sgd_configs(draw):
    nesterov = draw(st.booleans())
    momentum = draw(st.floats(0.05, 0.99) if nesterov else unit)
    dampening = 0.0 if nesterov else draw(unit)
    return {"lr": draw(rates), "momentum": momentum, "dampening": dampening,
            "weight_decay": draw(small), "nesterov": nesterov, "maximize": draw(st.booleans())}


@st.composite
def torch_adam_configs(draw):
    return {"lr": draw(rates), "betas": (draw(unit), draw(st.floats(0.0, 0.9999))),
            "eps": draw(epsilons), "weight_decay": draw(small), "amsgrad": draw(st.booleans()),
            "maximize": draw(st.booleans())}


@st.composite
def torch_rmsprop_configs(draw):
    return {"lr": draw(rates), "alpha": draw(st.floats(0.5, 0.999)), "eps": draw(epsilons),
            "weight_decay": draw(small), "momentum": draw(unit), "centered": draw(st.booleans()),
            "maximize": draw(st.booleans())}


@st.composite
def torch_adagrad_configs(draw):
    return {"lr": draw(rates), "lr_decay": draw(small), "weight_decay": draw(small),
            "initial_accumulator_value": draw(st.floats(0.0, 1.0)), "eps": draw(epsilons),
            "maximize": draw(st.booleans())}


TORCH_CONFIGS = {"SGD": torch_sgd_configs(), "Adam": torch_adam_configs(),
                 "AdamW": torch_adam_configs(), "RMSprop": torch_rmsprop_configs(),
                 "Adagrad": torch_adagrad_configs()}


@st.composite
def grad_sequences(draw, shapes=((3,), (2, 2))):
    """Per step, one gradient per parameter shape, or None (the parameter gets no grad)."""
    steps = draw(st.integers(1, 4))
    sequence = []
    for _ in range(steps):
        sequence.append([None if draw(st.integers(0, 5)) == 0 else
                         np.array(draw(st.lists(GRAD_VALUES, min_size=int(np.prod(s)),
                                                max_size=int(np.prod(s))))).reshape(s)
                         for s in shapes])
    return sequence


def initial_params():
    return [np.array([1.0, -2.0, 0.5]), np.array([[0.3, -0.7], [2.0, 0.0]])]


def param_groups(params, group_config):
    """The first parameter in a group of its own with the defaults, the second with
    ``group_config`` (None: one plain list of parameters)."""
    if group_config is None:
        return params
    return [{"params": [params[0]]}, {"params": [params[1]], **group_config}]


def torch_trajectory(torch, name, config, sequence, group_config=None):
    params = [torch.tensor(p, requires_grad=True) for p in initial_params()]
    opt = getattr(torch.optim, name)(param_groups(params, group_config), **config)
    values = []
    for grads in sequence:
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(g)
        opt.step()
        values.append([p.detach().numpy().copy() for p in params])
    return values, opt.state_dict()


def refimpl_torch_trajectory(name, config, sequence, group_config=None):
    params = [leaf(p) for p in initial_params()]
    opt = getattr(TS, name)(param_groups(params, group_config), **config)
    values = []
    for grads in sequence:
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
        values.append([p.data.copy() for p in params])
    return values, opt.state_dict()


def assert_trajectories_match(actual, expected, context):
    assert len(actual) == len(expected), context
    for step, (actual_params, expected_params) in enumerate(zip(actual, expected)):
        for index, (a, e) in enumerate(zip(actual_params, expected_params)):
            np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL,
                                       err_msg=f"param {index} after step {step + 1}: {context}")


def assert_torch_states_match(actual, expected, context):
    assert sorted(actual["state"]) == sorted(expected["state"]), context
    for index, state in expected["state"].items():
        assert sorted(actual["state"][index]) == sorted(state), context
        for key, value in state.items():
            np.testing.assert_allclose(np.asarray(actual["state"][index][key]), value.numpy(),
                                       rtol=RTOL, atol=ATOL, err_msg=f"state[{index}][{key}]: {context}")
    switches = set(TORCH_IMPLEMENTATION_SWITCHES)
    for a, e in zip(actual["param_groups"], expected["param_groups"]):
        assert a == {k: v for k, v in e.items() if k not in switches}, context


@pytest.mark.frameworks
@pytest.mark.parametrize("name", sorted(TORCH_CONFIGS))
@given(data=st.data())
def test_torch_style_matches_torch(name, data):
    torch = _framework("torch")
    config = data.draw(TORCH_CONFIGS[name], label="config")
    group_config = data.draw(st.none() | TORCH_CONFIGS[name], label="second param group")
    sequence = data.draw(grad_sequences(), label="grads")
    expected, expected_state = torch_trajectory(torch, name, config, sequence, group_config)
    actual, actual_state = refimpl_torch_trajectory(name, config, sequence, group_config)
    context = f"torch {torch.__version__} {name}({config}), second group {group_config}"
    assert_trajectories_match(actual, expected, context)
    assert_torch_states_match(actual_state, expected_state, context)


@pytest.mark.frameworks
@pytest.mark.parametrize("name, kwargs, message", TORCH_ARGUMENT_ERRORS,
                         ids=[f"{n}-{sorted(k)}" for n, k, _ in TORCH_ARGUMENT_ERRORS])
def test_torch_raises_the_same_argument_errors(name, kwargs, message):
    torch = _framework("torch")
    with pytest.raises(ValueError) as error:
        getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **kwargs)
    assert str(error.value) == message


@pytest.mark.frameworks
def test_torch_step_closure_and_lr_change_match_torch():
    torch = _framework("torch")
    t_param = torch.tensor([2.0, -1.0], dtype=torch.float64, requires_grad=True)
    t_opt = torch.optim.SGD([t_param], lr=0.1, momentum=0.9)
    r_param = leaf([2.0, -1.0])
    r_opt = TS.SGD([r_param], lr=0.1, momentum=0.9)
    for lr in (0.1, 0.05, 0.01):
        t_opt.param_groups[0]["lr"] = r_opt.param_groups[0]["lr"] = lr

        def t_closure():
            t_opt.zero_grad()
            loss = (t_param ** 3).sum()
            loss.backward()
            return loss

        def r_closure():
            r_opt.zero_grad()
            loss = F.sum(r_param * r_param * r_param)
            loss.backward()
            return loss

        t_loss, r_loss = t_opt.step(t_closure), r_opt.step(r_closure)
        np.testing.assert_allclose(r_loss.data, t_loss.item(), rtol=RTOL)
        np.testing.assert_allclose(r_param.data, t_param.detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.frameworks
def test_torch_adagrad_group_initial_accumulator_matches_torch():
    torch = _framework("torch")
    t_a, t_b = (torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True) for _ in range(2))
    t_opt = torch.optim.Adagrad([{"params": [t_a], "initial_accumulator_value": 5.0}], lr=0.1,
                                initial_accumulator_value=0.5)
    t_opt.add_param_group({"params": [t_b], "initial_accumulator_value": 7.0})
    r_a, r_b = leaf([1.0, 2.0]), leaf([1.0, 2.0])
    r_opt = TS.Adagrad([{"params": [r_a], "initial_accumulator_value": 5.0}], lr=0.1,
                       initial_accumulator_value=0.5)
    r_opt.add_param_group({"params": [r_b], "initial_accumulator_value": 7.0})
    for g in ([1.0, -1.0], [0.5, 2.0]):
        for t in (t_a, t_b):
            t.grad = torch.tensor(g, dtype=torch.float64)
        for r in (r_a, r_b):
            r.grad = np.array(g)
        t_opt.step()
        r_opt.step()
    for r, t in ((r_a, t_a), (r_b, t_b)):
        np.testing.assert_allclose(r.data, t.detach().numpy(), rtol=RTOL, atol=ATOL)
    assert_torch_states_match(r_opt.state_dict(), t_opt.state_dict(), "Adagrad groups")


@st.composite
def gradient_lists(draw):
    return [None if draw(st.integers(0, 4)) == 0 else
            np.array(draw(st.lists(GRAD_VALUES, min_size=1, max_size=4)))
            for _ in range(draw(st.integers(1, 3)))]


@pytest.mark.frameworks
@given(grads=gradient_lists(), max_norm=st.floats(0.01, 20.0),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_clip_grad_norm_matches_torch(grads, max_norm, norm_type):
    torch = _framework("torch")
    t_params = [torch.zeros(len(g) if g is not None else 1, dtype=torch.float64, requires_grad=True)
                for g in grads]
    r_params = [leaf(np.zeros(len(g) if g is not None else 1)) for g in grads]
    for t, r, g in zip(t_params, r_params, grads):
        t.grad = None if g is None else torch.tensor(g)
        r.grad = g
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type=norm_type)
    r_norm = clip_grad_norm_(r_params, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(r_norm, t_norm.numpy(), rtol=RTOL, atol=ATOL)
    for t, r in zip(t_params, r_params):
        assert (t.grad is None) == (r.grad is None)
        if r.grad is not None:
            np.testing.assert_allclose(r.grad, t.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.frameworks
@given(grads=gradient_lists(), clip_value=st.floats(-1.0, 5.0))
def test_clip_grad_value_matches_torch(grads, clip_value):
    torch = _framework("torch")
    for g in grads:
        if g is None:
            continue
        t_param = torch.zeros(len(g), dtype=torch.float64, requires_grad=True)
        t_param.grad = torch.tensor(g)
        r_param = leaf(np.zeros(len(g)))
        r_param.grad = g
        torch.nn.utils.clip_grad_value_([t_param], clip_value)
        clip_grad_value_([r_param], clip_value)
        np.testing.assert_array_equal(r_param.grad, t_param.grad.numpy())


# ======================================================================================
# Against chainer
# ======================================================================================

@st.composite
def chainer_adam_configs(draw):
    return {"alpha": draw(rates), "beta1": draw(unit), "beta2": draw(st.floats(0.0, 0.9999)),
            "eps": draw(epsilons), "eta": draw(st.floats(0.1, 1.0)),
            "weight_decay_rate": draw(small), "amsgrad": draw(st.booleans()),
            "adabound": draw(st.booleans()), "final_lr": draw(st.floats(0.01, 0.5)),
            "gamma": draw(st.floats(1e-3, 0.5))}


CHAINER_CONFIGS = {
    "SGD": st.fixed_dictionaries({"lr": rates}),
    "MomentumSGD": st.fixed_dictionaries({"lr": rates, "momentum": unit}),
    "NesterovAG": st.fixed_dictionaries({"lr": rates, "momentum": unit}),
    "Adam": chainer_adam_configs(),
    "RMSprop": st.fixed_dictionaries({"lr": rates, "alpha": st.floats(0.5, 0.999),
                                      "eps": epsilons, "eps_inside_sqrt": st.booleans()}),
    "RMSpropGraves": st.fixed_dictionaries({"lr": rates, "alpha": st.floats(0.5, 0.999),
                                            "momentum": unit, "eps": st.floats(1e-4, 1e-2)}),
    "AdaGrad": st.fixed_dictionaries({"lr": rates, "eps": epsilons}),
}


def chainer_link(chainer, arrays):
    link = chainer.Chain()
    with link.init_scope():
        for index, array in enumerate(arrays):
            setattr(link, f"p{index}", chainer.Parameter(array.copy()))
    return link


def chainer_trajectory(chainer, name, config, sequence, hook_list=()):
    link = chainer_link(chainer, initial_params())
    opt = getattr(chainer.optimizers, name)(**config).setup(link)
    for hook in hook_list:
        opt.add_hook(hook)
    params = [link.p0, link.p1]
    values = []
    for grads in sequence:
        for p, g in zip(params, grads):
            p.grad = None if g is None else g.copy()
        opt.update()
        values.append([p.array.copy() for p in params])
    target = {}
    opt.serialize(chainer.serializers.DictionarySerializer(target))
    return values, target


def refimpl_chainer_trajectory(name, config, sequence, hook_list=()):
    params = [leaf(p) for p in initial_params()]
    opt = getattr(CS, name)(**config).setup(Target(p0=params[0], p1=params[1]))
    for hook in hook_list:
        opt.add_hook(hook)
    values = []
    for grads in sequence:
        for p, g in zip(params, grads):
            p.grad = None if g is None else g.copy()
        opt.update()
        values.append([p.data.copy() for p in params])
    return values, opt.state_dict()


def assert_chainer_states_match(actual, expected, context):
    assert sorted(actual) == sorted(expected), context
    for key, value in expected.items():
        np.testing.assert_allclose(actual[key], value, rtol=RTOL, atol=ATOL, err_msg=f"{key}: {context}")


@pytest.mark.frameworks
@pytest.mark.parametrize("name", sorted(CHAINER_CONFIGS))
@given(data=st.data())
def test_chainer_style_matches_chainer(name, data):
    chainer = _framework("chainer")
    config = data.draw(CHAINER_CONFIGS[name], label="config")
    sequence = data.draw(grad_sequences(), label="grads")
    expected, expected_state = chainer_trajectory(chainer, name, config, sequence)
    actual, actual_state = refimpl_chainer_trajectory(name, config, sequence)
    context = f"chainer {chainer.__version__} {name}({config})"
    assert_trajectories_match(actual, expected, context)
    assert_chainer_states_match(actual_state, expected_state, context)


@pytest.mark.frameworks
@given(data=st.data())
def test_chainer_hooks_match_chainer(data):
    chainer = _framework("chainer")
    decay = data.draw(small, label="weight decay")
    lasso = data.draw(small, label="lasso")
    threshold = data.draw(st.floats(0.1, 20.0), label="threshold")
    bounds = sorted(data.draw(st.lists(st.floats(-5.0, 5.0), min_size=2, max_size=2), label="bounds"))
    sequence = data.draw(grad_sequences(), label="grads")
    chainer_hooks = chainer.optimizer_hooks
    expected, _ = chainer_trajectory(
        chainer, "MomentumSGD", {"lr": 0.1, "momentum": 0.5}, sequence,
        [chainer_hooks.WeightDecay(decay), chainer_hooks.Lasso(lasso),
         chainer_hooks.GradientClipping(threshold), chainer_hooks.GradientHardClipping(*bounds)])
    actual, _ = refimpl_chainer_trajectory(
        "MomentumSGD", {"lr": 0.1, "momentum": 0.5}, sequence,
        [hooks.WeightDecay(decay), hooks.Lasso(lasso), hooks.GradientClipping(threshold),
         hooks.GradientHardClipping(*bounds)])
    assert_trajectories_match(actual, expected, f"hooks decay={decay} lasso={lasso} "
                                                f"threshold={threshold} bounds={bounds}")


@pytest.mark.frameworks
def test_chainer_update_lossfun_matches_chainer():
    chainer = _framework("chainer")
    link = chainer_link(chainer, [np.array([2.0, -1.0])])
    opt = chainer.optimizers.MomentumSGD(lr=0.1).setup(link)
    link.p0.grad = np.array([100.0, 100.0])
    param = leaf([2.0, -1.0])
    r_opt = CS.MomentumSGD(lr=0.1).setup(Target(p0=param))
    param.grad = np.array([100.0, 100.0])
    for scale in (3.0, 0.5, -1.0):
        opt.update(lambda s: chainer.functions.sum(link.p0 ** 3) * s, scale)
        with refimpl.semantics("chainer"):
            r_opt.update(lambda s: F.sum(param * param * param) * s, scale)
        np.testing.assert_allclose(param.data, link.p0.array, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(param.grad, link.p0.grad, rtol=RTOL, atol=ATOL)
    assert r_opt.t == opt.t == 3


@pytest.mark.frameworks
def test_chainer_accepts_a_negative_learning_rate_as_refimpl_does():
    chainer = _framework("chainer")
    sequence = [[np.array([1.0, 1.0, 1.0]), np.ones((2, 2))]]
    expected, _ = chainer_trajectory(chainer, "SGD", {"lr": -0.1}, sequence)
    actual, _ = refimpl_chainer_trajectory("SGD", {"lr": -0.1}, sequence)
    assert_trajectories_match(actual, expected, "SGD(lr=-0.1)")


# ======================================================================================
# The Adam epsilon placement, against both frameworks
# ======================================================================================

@pytest.mark.frameworks
@given(scale=st.floats(1e-10, 1e-7), steps=st.integers(1, 3))
def test_adam_epsilon_placement_differs_and_each_side_matches_its_framework(scale, steps):
    """With |g| ~ eps, sqrt(v) ~ eps: torch divides by sqrt(v/c2) + eps, chainer by
    sqrt(v/c2) + eps/sqrt(c2), so chainer's step is markedly smaller early on."""
    torch, chainer = _framework("torch"), _framework("chainer")
    grads = [np.array([scale, -2 * scale, 0.5 * scale])] * steps
    t_param = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64, requires_grad=True)
    t_opt = torch.optim.Adam([t_param], lr=1e-3)
    link = chainer_link(chainer, [np.array([1.0, 1.0, 1.0])])
    c_opt = chainer.optimizers.Adam(alpha=1e-3).setup(link)
    r_torch, r_chainer = leaf([1.0, 1.0, 1.0]), leaf([1.0, 1.0, 1.0])
    r_torch_opt = TS.Adam([r_torch], lr=1e-3)
    r_chainer_opt = chainer_setup(CS.Adam(alpha=1e-3), r_chainer)
    for g in grads:
        t_param.grad = torch.tensor(g)
        t_opt.step()
        link.p0.grad = g.copy()
        c_opt.update()
    run_torch_style(r_torch_opt, r_torch, grads)
    run_chainer_style(r_chainer_opt, r_chainer, grads)
    # compare the updates 1 - p (~1e-3): the subtraction cancels about 3 of the 16 digits
    torch_update = 1.0 - t_param.detach().numpy()
    chainer_update = 1.0 - link.p0.array
    np.testing.assert_allclose(1.0 - r_torch.data, torch_update, rtol=1e-9)
    np.testing.assert_allclose(1.0 - r_chainer.data, chainer_update, rtol=1e-9)
    # the two frameworks' updates differ by more than 1% (they would agree if eps were 0)
    assert np.all(np.abs(chainer_update - torch_update) > 0.01 * np.abs(torch_update))


# ======================================================================================
# float32 parameters
# ======================================================================================

FLOAT32_CASES = [("torch", "Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}),
                 ("torch", "RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
                 ("torch", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                 ("chainer", "Adam", {"alpha": 0.01, "weight_decay_rate": 0.01}),
                 ("chainer", "RMSpropGraves", {"lr": 0.01}),
                 ("chainer", "NesterovAG", {"lr": 0.1})]


@pytest.mark.frameworks
@pytest.mark.parametrize("framework, name, config", FLOAT32_CASES,
                         ids=[f"{f}-{n}" for f, n, _ in FLOAT32_CASES])
def test_float32_trajectories_match_the_framework(framework, name, config):
    module = _framework(framework)
    rng = np.random.default_rng(0)
    grads = list(rng.standard_normal((5, 4)).astype(np.float32))
    start = rng.standard_normal(4).astype(np.float32)
    param = refimpl.Variable(start.copy(), requires_grad=True)
    if framework == "torch":
        t_param = module.tensor(start.copy(), requires_grad=True)
        t_opt = getattr(module.optim, name)([t_param], **config)
        for g in grads:
            t_param.grad = module.tensor(g)
            t_opt.step()
        expected = t_param.detach().numpy()
        run_torch_style(getattr(TS, name)([param], **config), param, grads)
    else:
        link = chainer_link(module, [start])
        opt = getattr(module.optimizers, name)(**config).setup(link)
        for g in grads:
            link.p0.grad = g.copy()
            opt.update()
        expected = link.p0.array
        run_chainer_style(chainer_setup(getattr(CS, name)(**config), param), param, grads)
    assert param.data.dtype == np.float32
    # Both compute in float32; torch's kernels round a few ulp differently (see RTOL): after
    # 5 steps refimpl was within 3 ulp of torch 2.13 here (chainer's CPU path is NumPy's, so
    # exact). 2e-6 relative is ~16 ulp; a formula difference would be far larger.
    np.testing.assert_allclose(param.data, expected, rtol=2e-6, atol=1e-7,
                               err_msg=f"{framework} {name}({config}) float32")


def test_corrected_momentum_sgd_is_torch_momentum_sgd_whatever_the_lr_schedule():
    """chainer's CorrectedMomentumSGD (p += lr v, v = mu v - g) equals torch's SGD(momentum)
    (p -= lr b, b = mu b + g) step by step while lr changes; MomentumSGD does not."""
    hp = {"momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": False}
    grads = [np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([-1.0, 3.0])]
    torch_p = corrected_p = plain_p = np.array([1.0, 2.0])
    torch_s, corrected_s, plain_s = {}, {}, {}
    for lr, grad in zip((0.1, 0.01, 0.3), grads):
        torch_p, torch_s = torch_rules.sgd(torch_p, grad, torch_s, dict(hp, lr=lr))
        corrected_p, corrected_s = chainer_rules.corrected_momentum_sgd(
            corrected_p, grad, corrected_s, {"lr": lr, "momentum": 0.9})
        plain_p, plain_s = chainer_rules.momentum_sgd(plain_p, grad, plain_s,
                                                      {"lr": lr, "momentum": 0.9})
        np.testing.assert_allclose(corrected_p, torch_p, rtol=1e-14)
    assert not np.allclose(plain_p, torch_p)
