"""stack of one input under the 'none_seed' policy (chainer): chainer's F.stack is one node whose
backward separates the (missing) output gradient and fails, unlike F.concat of one input, which
passes it through (nothing is computed). Observed on chainer 7.8.1 and 6.7.0:
``F.stack([Variable(zeros(2, float32))]).backward()`` raises TypeError."""
import numpy as np
import pytest

import refimpl
import refimpl.functions as F


def test_stack_of_one_input_fails_without_a_seed_where_concat_passes():
    with refimpl.semantics("chainer"):
        x = refimpl.Variable(np.zeros((1, 2), np.float32))
        F.concat([x], axis=0).backward()          # passes the missing gradient: nothing done
        assert x.grad is None
        x = refimpl.Variable(np.zeros(2, np.float32))
        with pytest.raises((TypeError, AttributeError)):
            F.stack([x]).backward()


def test_stack_of_one_input_under_torch_still_raises_its_implicit_seed_error():
    with refimpl.semantics("torch"):
        x = refimpl.Variable(np.zeros(2, np.float32), requires_grad=True)
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
            F.stack([x]).backward()
