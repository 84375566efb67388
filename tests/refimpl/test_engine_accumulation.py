"""The engine adds a Variable's gradients in place only into a sum it made itself: every
other gradient array (a user's seed, a retained grad, another input's gradient) may be seen
elsewhere and is never written."""
import numpy as np
import pytest

import refimpl

POLICIES = ["torch", "chainer"]


def leaf(values):
    return refimpl.Variable(np.array(values, dtype=np.float32), requires_grad=True)


@pytest.mark.parametrize("policy", POLICIES)
def test_a_user_seed_shared_by_several_inputs_is_not_written(policy):
    with refimpl.semantics(policy):
        x = leaf([1.0, 2.0])
        y = x + x + x  # Add's backward hands the same gradient to both of its inputs
        seed = np.array([1.0, 10.0], dtype=np.float32)
        y.backward(seed)
        np.testing.assert_array_equal(seed, [1.0, 10.0])
        np.testing.assert_array_equal(x.grad, [3.0, 30.0])


@pytest.mark.parametrize("policy", POLICIES)
def test_a_retained_gradient_is_not_written_by_later_accumulation(policy):
    with refimpl.semantics(policy):
        x = leaf([1.0, 2.0])
        h = x * 1.0
        s = h + h  # s's gradient reaches h twice, then h is used once more below
        if policy == "torch":
            s.retain_grad()
            h.retain_grad()
        y = s + h + s
        y.backward(np.ones(2, dtype=np.float32), retain_grad=True) if policy == "chainer" \
            else y.backward(np.ones(2, dtype=np.float32))
        np.testing.assert_array_equal(s.grad, [2.0, 2.0])  # two uses of s, one seed each
        np.testing.assert_array_equal(h.grad, [5.0, 5.0])  # 2 * 2 through s, plus 1
        np.testing.assert_array_equal(x.grad, [5.0, 5.0])


def test_four_contributions_sum_exactly():
    x = leaf([0.5, -1.5])
    y = x * 2.0 + x * 3.0 + x * 4.0 + x * 5.0
    y.backward(np.ones(2, dtype=np.float32))
    np.testing.assert_array_equal(x.grad, [14.0, 14.0])
