"""refimpl's public API rejects input it would otherwise misread silently (issue 15), with a
TypeError (or the framework's class) whose message names the argument and its value."""
import re

import numpy as np
import pytest

import refimpl
import refimpl.functions as F

MATRIX = np.matrix([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("policy", ["torch", "chainer"])
def test_array_subclasses_are_rejected(policy):
    """np.matrix's * is a matrix product: accepted, it would silently change every op."""
    with refimpl.semantics(policy):
        with pytest.raises(TypeError, match="data must be a plain ndarray, not the subclass matrix"):
            refimpl.Variable(MATRIX)
        x = refimpl.Variable(np.ones((2, 2)))
        with pytest.raises(TypeError, match="subclass matrix"):
            F.mul(x, MATRIX)
        with pytest.raises(TypeError, match="subclass matrix"):
            MATRIX * x
        with pytest.raises(TypeError, match="subclass matrix"):
            F.relu(MATRIX)
    assert refimpl.Variable(np.asarray(MATRIX)).shape == (2, 2)  # the suggested fix works


@pytest.mark.parametrize("dtype", [object, str, bytes, "datetime64[s]", "timedelta64[s]", "V4"])
def test_cast_to_a_non_numeric_dtype_is_rejected(dtype):
    with pytest.raises(TypeError, match="cast needs a numeric dtype.*dtype="):
        F.cast(refimpl.Variable(np.ones(2, np.float32)), dtype)


def test_cast_to_numeric_dtypes_still_works():
    x = refimpl.Variable(np.ones(2, np.float32))
    for dtype in (np.float16, np.float64, np.int32, np.bool_, np.complex64):
        assert F.cast(x, dtype).dtype == dtype
    with pytest.raises(TypeError, match="cast needs a NumPy dtype, got dtype='no such'"):
        F.cast(x, "no such")


def test_non_numeric_arrays_are_rejected_as_operands():
    with pytest.raises(TypeError, match="numeric dtype"):
        F.add(refimpl.Variable(np.ones(2)), np.array(["a", "b"]))


@pytest.mark.parametrize("value", ["no", 1, 0, 1.0, [True]])
def test_requires_grad_must_be_a_bool(value):
    """torch: tensor(requires_grad='no') raises TypeError ('must be bool, not str'), also for 1."""
    with pytest.raises(TypeError, match=re.escape(
            f"requires_grad must be a bool or None, got requires_grad={value!r}")):
        refimpl.Variable(np.ones(2), requires_grad=value)
    with pytest.raises(TypeError, match="requires_grad must be a bool"):
        refimpl.Variable(np.ones(2)).requires_grad_(value)


def test_requires_grad_accepts_bools_and_none():
    assert refimpl.Variable(np.ones(2), requires_grad=np.bool_(True)).requires_grad is True
    assert refimpl.Variable(np.ones(2), requires_grad=False).requires_grad is False
    with refimpl.semantics("torch"):
        assert refimpl.Variable(np.ones(2), requires_grad=None).requires_grad is False


def test_backward_inputs_must_be_variables():
    """torch 2.13: RuntimeError('all inputs have to be Tensors or GradientEdges, but got
    numpy.ndarray'); before, refimpl ignored the array and computed nothing."""
    x = refimpl.Variable(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"inputs must hold Variables, got inputs\[0\] of type ndarray"):
        F.sum(x * 2).backward(inputs=[np.ones(2)])
    with pytest.raises(RuntimeError, match="inputs must hold Variables"):
        F.sum(x * 2).backward(inputs=np.ones(2))
    with pytest.raises(RuntimeError, match="inputs must hold Variables"):
        refimpl.grad([F.sum(x * 2)], [np.ones(2)])
    with pytest.raises(RuntimeError, match="outputs must hold Variables"):
        refimpl.grad([np.ones(())], [x])
    F.sum(x * 2).backward(inputs=[x])
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


@pytest.mark.parametrize("op", [F.concat, F.stack])
def test_concat_and_stack_need_a_sequence(op):
    """torch.cat(tensor) raises TypeError; refimpl used to iterate the Variable's rows."""
    x = refimpl.Variable(np.ones((2, 3)))
    with pytest.raises(TypeError, match="xs must be a list or tuple of Variables, got xs=variable"):
        op(x)
    assert op((x, x)).shape[0] in (2, 4)


@pytest.mark.parametrize("call", [
    lambda x: F.sum(x, axis=True), lambda x: F.mean(x, axis=False), lambda x: F.max(x, True),
    lambda x: F.argmax(x, True), lambda x: F.logsumexp(x, (0, True)), lambda x: F.squeeze(x, True),
    lambda x: F.softmax(x, True), lambda x: F.sum(x, axis=1.0), lambda x: F.sum(x, axis="0"),
    lambda x: F.expand_dims(x, True), lambda x: F.stack([x, x], True), lambda x: F.topk(x, True),
    lambda x: F.reshape(x, (3.0, 2)),
], ids=["sum", "mean", "max", "argmax", "logsumexp", "squeeze", "softmax", "float axis",
        "str axis", "expand_dims", "stack", "topk k", "reshape"])
def test_booleans_and_floats_are_not_integers(call):
    """A bool is an int in Python; as an axis it would silently mean 1 (or 0)."""
    with pytest.raises(TypeError, match=r"True|False|1\.0|'0'|3\.0"):
        call(refimpl.Variable(np.ones((2, 3))))


@pytest.mark.parametrize("call, name", [
    (F.relu, "relu"), (lambda x: F.leaky_relu(x, 0.1), "leaky_relu"), (F.max, "max"),
    (F.min, "min"), (F.argmax, "argmax"), (F.argmin, "argmin"),
    (lambda x: F.clip(x, 0.0, 1.0), "clip"), (lambda x: F.topk(x, 1), "topk"),
])
@pytest.mark.parametrize("policy, expected", [("torch", RuntimeError),
                                              ("chainer", refimpl.InvalidType)])
def test_real_only_ops_reject_complex_input(call, name, policy, expected):
    """torch 2.13 raises RuntimeError (NotImplementedError for some), chainer InvalidType."""
    with refimpl.semantics(policy), pytest.raises(expected, match=f"{name}.*complex"):
        call(refimpl.Variable(np.array([1 + 1j, 2.0], np.complex64)))
