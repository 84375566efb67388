"""refimpl's engine additions of issue 17: gradient hooks (torch's ``register_hook``), in-place
edits and the version counter, and zeroing a gradient in place (the policy-dependent parts are
tested in test_policies.py)."""
import numpy as np
import pytest

import refimpl
import refimpl.functions as F


def leaf(values):
    return refimpl.Variable(np.array(values, dtype=np.float32), requires_grad=True)


def test_hook_on_intermediate_replaces_the_gradient_flowing_on():
    x = leaf([1.0, 2.0])
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()) or g * 10)
    F.sum(y * y).backward()
    assert [s.tolist() for s in seen] == [[4, 8]]
    assert x.grad.tolist() == [80, 160]


def test_hook_on_leaf_runs_before_accumulation_and_in_grad():
    x = leaf([1.0, 2.0])
    handle = x.register_hook(lambda g: g * 10)
    F.sum(x * 3).backward()
    assert x.grad.tolist() == [30, 30]
    (gx,) = refimpl.grad([F.sum(x * 3)], [x])
    assert gx.data.tolist() == [30, 30]
    handle.remove()
    F.sum(x * 3).backward()
    assert x.grad.tolist() == [33, 33]


def test_a_hook_returning_none_keeps_the_gradient():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: None)
    F.sum(x * x).backward()
    assert x.grad.tolist() == [2, 4]


def test_register_hook_checks_its_arguments():
    with pytest.raises(TypeError, match="hook must be callable, got hook=3"):
        leaf([1.0]).register_hook(3)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        refimpl.Variable(np.ones(1), requires_grad=False).register_hook(lambda g: g)


def test_add_in_place_bumps_the_version_and_edits_the_shared_array():
    x = leaf([1.0, 2.0])
    data = x.data
    assert x.add_(np.array([1.0, 1.0])) is x
    assert x._version == 1 and data.tolist() == [2, 3]
    x.add_(1)
    assert x._version == 2 and x.data.tolist() == [3, 4]
    with pytest.raises(TypeError, match="other must be a constant"):
        x.add_(leaf([1.0, 1.0]))


def test_version_check_names_the_input_and_versions():
    with refimpl.semantics("torch"):
        a = leaf([1.0, 2.0])
        b = F.sin(a)  # as torch SinBackward0, Sin saves its input
        a.add_(1)
        with pytest.raises(RuntimeError, match="input 0 of Sin .* at version 1; expected "
                                               "version 0 instead"):
            F.sum(b).backward()


def test_zerograd_zeroes_an_existing_gradient_in_place():
    x = leaf([1.0, 2.0])
    F.sum(x * x).backward()
    grad = x.grad
    x.zerograd()
    assert x.grad is grad and grad.tolist() == [0, 0]
    y = leaf([1.0])
    y.zerograd()
    assert y.grad.tolist() == [0]


def test_inference_mode_makes_inference_variables_that_autograd_refuses_to_save():
    x = leaf([1.0, 2.0])
    with refimpl.inference_mode():
        assert refimpl.is_inference_mode_enabled() and not refimpl.is_grad_enabled()
        y = x * 2
        made = refimpl.Variable(np.ones(2, np.float32))
        with refimpl.enable_grad():
            assert (x * x).creator is None
    assert not refimpl.is_inference_mode_enabled()
    assert y._is_inference and made._is_inference and not y.requires_grad
    with refimpl.no_grad():
        assert not (x * 2)._is_inference
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        y * x
    F.sum(y + x).backward()
    assert x.grad.tolist() == [1, 1]
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside"):
        y.add_(1)
    with pytest.raises(RuntimeError, match="Setting requires_grad=True on inference tensor"):
        made.requires_grad_()
    with refimpl.inference_mode():
        y.add_(1)  # allowed inside
    assert y.data.tolist() == [3, 5]


@pytest.mark.parametrize("policy", ["torch", "chainer"])
def test_warmup_schedule(policy):
    """From 0.25 to 1 in 4 calls, then kept (a hand-set value too, after the warmup)."""
    from refimpl.schedules import lr_sequence
    with refimpl.semantics(policy):
        values = lr_sequence("warmup", 1.0, 6, start_factor=0.25, total_iters=4)
        assert values == pytest.approx([0.25, 0.4375, 0.625, 0.8125, 1, 1, 1])
        kept = lr_sequence("warmup", 1.0, 6, set_lr=(5, 0.5), start_factor=0.25, total_iters=4)
        assert kept[-2:] == [0.5, 0.5]


def test_inverse_schedule_has_only_the_closed_form():
    from refimpl.schedules import lr_sequence
    with refimpl.semantics("chainer"):
        assert lr_sequence("inverse", 2.0, 2, gamma=1.0, power=1.0) == [2.0, 1.0, 2.0 / 3.0]
    with refimpl.semantics("torch"), pytest.raises(ValueError, match="no recursive form"):
        lr_sequence("inverse", 2.0, 2, gamma=1.0, power=1.0)
