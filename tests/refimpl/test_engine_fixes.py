"""Regressions for defects the conformance harness found by running torch 2.13.0 and chainer
7.8.1 next to refimpl. Each expectation is what the framework was observed to do (the
probe that shows it is in the test's docstring or comment).
"""
import numpy as np
import pytest

import refimpl
import refimpl.functions as F

POLICIES = ["torch", "chainer", "chainer5"]


def leaf(values, dtype=np.float32):
    return refimpl.Variable(np.array(values, dtype=dtype), requires_grad=True)


# --------------------------------------------------------------------------------------
# A float op keeps a 0-d input's dtype. NumPy turns a 0-d result into a scalar and promotes
# it with a Python number (np.clip(0-d float32, None, 0.0) is float64); torch and chainer
# keep float32 (torch.clamp(torch.tensor(1.), max=0.).dtype, F.clip(...).dtype: float32).
# --------------------------------------------------------------------------------------

#: Every op of refimpl.functions.OPS applied to one array x (plus constant arguments):
#: name -> (call, the smallest ndim it takes).
ONE_ARRAY_CALLS = {
    "abs": (F.abs, 0),
    "add": (lambda x: x + 1.5, 0),
    "broadcast_to": (lambda x: F.broadcast_to(x, (2,) + x.shape), 0),
    "cast": (lambda x: F.cast(x, x.dtype), 0),
    "cat": (lambda x: F.cat([x, x], axis=0), 1),
    "clip": (lambda x: F.clip(x, None, 0.0), 0),
    "concat": (lambda x: F.concat([x, x], axis=0), 1),
    "cos": (F.cos, 0),
    "div": (lambda x: 3.0 / x, 0),
    "dot": (lambda x: F.dot(F.reshape(x, (-1,)), F.reshape(x, (-1,))), 1),
    "exp": (F.exp, 0),
    "expand_dims": (lambda x: F.expand_dims(x, 0), 0),
    "getitem": (lambda x: x[...], 0),
    "leaky_relu": (F.leaky_relu, 0),
    "log": (F.log, 0),
    "log_softmax": (lambda x: F.log_softmax(x, axis=-1), 1),
    "logsumexp": (F.logsumexp, 0),
    "matmul": (lambda x: F.matmul(x, x), 1),
    "max": (F.max, 0),
    "mean": (F.mean, 0),
    "min": (F.min, 0),
    "mul": (lambda x: x * 1.5, 0),
    "neg": (F.neg, 0),
    "permute": (lambda x: F.permute(x, tuple(reversed(range(x.ndim)))), 0),
    "pow": (lambda x: x ** 2.0, 0),
    "relu": (F.relu, 0),
    "reshape": (lambda x: F.reshape(x, (-1,)), 0),
    "sigmoid": (F.sigmoid, 0),
    "sin": (F.sin, 0),
    "softmax": (lambda x: F.softmax(x, axis=-1), 1),
    "split": (lambda x: F.split(x, 1, axis=0)[0], 1),
    "sqrt": (F.sqrt, 0),
    "squeeze": (F.squeeze, 0),
    "stack": (lambda x: F.stack([x, x]), 0),
    "sub": (lambda x: 1.5 - x, 0),
    "sum": (F.sum, 0),
    "sum_to": (lambda x: F.sum_to(F.broadcast_to(x, (2,) + x.shape), x.shape), 0),
    "swapaxes": (lambda x: F.swapaxes(F.expand_dims(x, 0), 0, -1), 0),
    "tanh": (F.tanh, 0),
    "topk": (lambda x: F.topk(x, 1)[0], 1),
    "transpose": (F.transpose, 0),
    "unsqueeze": (lambda x: F.unsqueeze(x, -1), 0),
    "where": (lambda x: F.where(np.array(True), x, 0.0), 0),
    # the maths, activation and shape ops of issue 17
    **{name: (getattr(F, name), 0) for name in (
        "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "ceil", "celu",
        "clipped_relu", "cosh", "cumprod", "cumsum", "digamma", "elu", "erf", "erfc", "erfinv",
        "expm1", "flatten", "floor", "hard_sigmoid", "hardtanh", "lgamma", "log10", "log1p",
        "log2", "log_sigmoid", "prod", "reciprocal", "relu6", "rsqrt", "selu", "sign", "silu",
        "sinh", "softplus", "softsign", "square", "tan", "tanhshrink",
        "gelu", "mish", "hardswish", "hardshrink", "softshrink", "rrelu")},
    "softmin": (lambda x: F.softmin(x, -1), 1),
    "glu": (lambda x: F.glu(F.stack([x, x]), 0), 0),
    "crelu": (lambda x: F.crelu(x, 0), 1),
    **{name: (lambda x, op=getattr(F, name): op(x, x), 0)
       for name in ("arctan2", "fmod", "maximum", "minimum")},
    "bmm": (lambda x: F.bmm(F.reshape(x, (1, 1, -1)), F.reshape(x, (1, -1, 1))), 1),
    "einsum": (lambda x: F.einsum("{0},{0}->{0}".format("ij"[:x.ndim]), x, x), 0),
    "flip": (lambda x: F.flip(x, 0), 1),
    "lerp": (lambda x: F.lerp(x, x, 0.5), 0),
    "moveaxis": (lambda x: F.moveaxis(x, 0, -1), 1),
    "polygamma": (lambda x: F.polygamma(1, x), 0),
    "repeat": (lambda x: F.repeat(x, 2), 0),
    "tensordot": (lambda x: F.tensordot(x, x, axes=x.ndim), 0),
    "tile": (lambda x: F.tile(x, 2), 0),
    # the shape and maths ops of issue 17 (ops_shape2)
    "average": (lambda x: F.average(x, None, np.ones(x.shape, x.dtype)), 1),
    "depth2space": (lambda x: F.depth2space(F.reshape(x, (1, 1, 1, -1))[..., :1], 1), 2),
    "diagonal": (lambda x: F.diagonal(x), 2),
    "im2col": (lambda x: F.im2col(F.reshape(x, (1, 1) + x.shape), 1), 2),
    "normalize": (lambda x: F.normalize(x + 1.0), 2),
    "pad": (lambda x: F.pad(x, 1), 1),
    "resize_images": (lambda x: F.resize_images(F.reshape(x, (1, 1) + x.shape), (3, 3), True), 2),
    "affine_grid": (lambda x: F.affine_grid(F.reshape(F.concat([x, x[:, :1]], axis=1),
                                                      (1, 2, 3)), (2, 2)), 2),
    "grid_sample": (lambda x: F.grid_sample(F.reshape(x, (1, 1) + x.shape),  # (N, 2, 2, 2):
                                            np.zeros((1, 2, 2, 2), x.dtype)), 2),  # both layouts
    "scatter_add": (lambda x: F.scatter_add(x, x, np.arange(x.shape[0])), 1),
    "select_item": (lambda x: F.select_item(x, np.zeros(x.shape[0], np.int32)), 2),
    "space2depth": (lambda x: F.space2depth(F.reshape(x, (1, 1) + x.shape), 1), 2),
}

#: Ops whose output has no graph under a policy with step_functions_in_graph False.
STEP_OPS = {"floor", "ceil", "sign"}

#: Ops of __all__ whose output is not a float (an index).
INDEX_OPS = {"argmax", "argmin"}


def test_every_op_is_in_the_dtype_table():
    assert set(F.OPS) == set(ONE_ARRAY_CALLS) | INDEX_OPS


DTYPE_CASES = [(name, policy, ndim, dtype)
               for name in sorted(ONE_ARRAY_CALLS) for policy in ("torch", "chainer")
               for ndim in (0, 2) for dtype in (np.float32, np.float16)
               if ndim >= ONE_ARRAY_CALLS[name][1]]


@pytest.mark.parametrize("name, policy, ndim, dtype", DTYPE_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}d-{np.dtype(c[3]).name}" for c in DTYPE_CASES])
def test_float_ops_keep_the_dtype_of_0d_and_nd_inputs(name, policy, ndim, dtype):
    call, _ = ONE_ARRAY_CALLS[name]
    with refimpl.semantics(policy):
        x = leaf(np.full((2,) * ndim, 0.5), dtype)
        y = call(x)
        assert y.dtype == dtype, f"{name}: {y.dtype} vs {np.dtype(dtype)} for x of shape {x.shape}"
        assert isinstance(y.data, np.ndarray), type(y.data)
        if name in STEP_OPS and not refimpl.current_semantics().step_functions_in_graph:
            return  # outside the graph (chainer): no gradient to check
        (gx,) = refimpl.grad(F.sum(y), [x])  # chainer: a float64 step in between raises here
        assert gx.dtype == dtype, f"{name} gradient: {gx.dtype} vs {np.dtype(dtype)}"


@pytest.mark.parametrize("policy", ["torch", "chainer"])
def test_index_ops_of_0d_inputs(policy):
    with refimpl.semantics(policy):
        expected = refimpl.current_semantics().index_dtype
        for op in (F.argmax, F.argmin):
            assert op(leaf(0.5)).dtype == expected


def test_logsumexp_of_0d_float32_backward_under_chainer():
    """chainer: y = F.logsumexp(Variable(np.array(0., np.float32))); y.backward() works and
    x.grad is float32 (refimpl's float64 output made its backward raise InvalidType)."""
    with refimpl.semantics("chainer"):
        x = leaf(0.0)
        y = F.logsumexp(x)
        y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and x.grad == 1.0


# --------------------------------------------------------------------------------------
# Which ops save tensors: under torch a second backward without retain_graph raises only
# through ops that saved tensors. Observed with torch 2.13.0 for each line below:
#   x = torch.tensor([1., 2., 3.], requires_grad=True); y = f(x); y.backward(); y.backward()
# --------------------------------------------------------------------------------------

MASK = np.array([True, False, True])

SECOND_BACKWARD = [
    # (description, f, torch raises on the second backward)
    ("x.mean()", lambda x: F.mean(x), False),  # MeanBackward0 keeps only sizes
    ("x.mean(0)", lambda x: F.mean(x, 0), False),
    ("x.sum()", lambda x: F.sum(x), False),
    ("(x + 2).sum()", lambda x: F.sum(x + 2), False),
    ("(x - 2).sum()", lambda x: F.sum(x - 2), False),
    ("(-x).sum()", lambda x: F.sum(-x), False),
    ("(x * 2).sum()", lambda x: F.sum(x * 2), True),  # MulBackward0 saves the wrapped scalar
    ("(2 / x).sum()", lambda x: F.sum(2 / x), True),
    ("(x / 2).sum()", lambda x: F.sum(x / 2), True),
    ("(x ** 1).sum()", lambda x: F.sum(x ** 1), True),
    ("x.to(float64).sum()", lambda x: F.sum(F.cast(x, np.float64)), False),
    ("x.reshape(3, 1).sum()", lambda x: F.sum(F.reshape(x, (3, 1))), False),
    ("x.expand(2, 3).sum()", lambda x: F.sum(F.broadcast_to(x, (2, 3))), False),
    ("cat([x, x]).sum()", lambda x: F.sum(F.cat([x, x])), False),
    ("stack([x, x]).sum()", lambda x: F.sum(F.stack([x, x])), False),
    ("split(x, 1)[0].sum()", lambda x: F.sum(F.split(x, 1)[0]), False),
    ("x[0:2].sum()", lambda x: F.sum(x[0:2]), False),  # SliceBackward0
    ("x[1]", lambda x: x[1], False),  # SelectBackward0
    ("x[np.array(1)]", lambda x: x[np.array(1)], False),  # a 0-d integer index selects too
    ("x[None].sum()", lambda x: F.sum(x[None]), False),
    ("x[..., 1]", lambda x: x[..., 1], False),
    ("x[::-1].sum()", lambda x: F.sum(x[::-1]), False),
    ("x[[0, 0, 1]].sum()", lambda x: F.sum(x[[0, 0, 1]]), True),  # IndexBackward0 saves indices
    ("x[np.array([0, 0, 1])].sum()", lambda x: F.sum(x[np.array([0, 0, 1])]), True),
    ("x[mask].sum()", lambda x: F.sum(x[MASK]), True),
    ("x[True].sum()", lambda x: F.sum(x[True]), True),
    ("x[np.array(True)].sum()", lambda x: F.sum(x[np.array(True)]), True),
    ("x.max()", lambda x: F.max(x), True),
    ("x.max(0)[0]", lambda x: F.max(x, 0)[0], True),
    ("x.logsumexp(0)", lambda x: F.logsumexp(x, 0), True),
    ("x.relu().sum()", lambda x: F.sum(F.relu(x)), True),
    ("x.clamp(0, 2).sum()", lambda x: F.sum(F.clip(x, 0.0, 2.0)), True),
    ("x.abs().sum()", lambda x: F.sum(F.abs(x)), True),
    ("x.exp().sum()", lambda x: F.sum(F.exp(x)), True),
    ("where(mask, x, 0).sum()", lambda x: F.sum(F.where(MASK, x, np.zeros(3, np.float32))),
     True),
    ("x.topk(2)[0].sum()", lambda x: F.sum(F.topk(x, 2)[0]), True),
    ("x.softmax(0)[0]", lambda x: F.softmax(x, 0)[0], True),
    ("x.log_softmax(0)[0]", lambda x: F.log_softmax(x, 0)[0], True),
    ("x @ ones(3)", lambda x: F.matmul(x, np.ones(3, np.float32)), True),
]


@pytest.mark.parametrize("description, f, raises", SECOND_BACKWARD,
                         ids=[c[0] for c in SECOND_BACKWARD])
def test_second_backward_raises_only_through_ops_that_save_tensors(description, f, raises):
    with refimpl.semantics("torch"):
        x = leaf([1.0, 2.0, 3.0])
        y = f(x)
        y.backward()
        first = x.grad.copy()
        if raises:
            with pytest.raises(RuntimeError, match="backward through the graph a second time"):
                y.backward()
        else:
            y.backward()  # accumulates
            np.testing.assert_array_equal(x.grad, 2 * first)


def test_mean_gradient_and_empty_mean():
    with refimpl.semantics("torch"):
        x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        y = F.mean(x, 1, keepdims=True)
        assert y.data.tolist() == [[2.0], [5.0]] and y.dtype == np.float32
        (gx,) = refimpl.grad(F.sum(y), [x])
        np.testing.assert_array_equal(gx.data, np.full((2, 3), 1 / 3, np.float32))
        (ggx,) = refimpl.grad(F.sum(F.mean(x * x)), [x], create_graph=True)  # 2x / 6
        np.testing.assert_allclose(ggx.data, x.data / 3, rtol=1e-7)
        empty = leaf(np.zeros((0, 2)))
        y = F.mean(empty, 0)
        assert y.shape == (2,) and np.isnan(y.data).all()
        (gx,) = refimpl.grad(y, [empty], np.ones(2, np.float32))
        assert gx.shape == (0, 2)


# --------------------------------------------------------------------------------------
# loss_scale multiplies only the seed chainer makes itself (function_node.py / variable.py:
# ``if gy is None: ... loss_scale``). chainer 7.8.1, x = [1, 2, 3], y = F.sum(x * x):
#   chainer.grad([y], [x], loss_scale=4.0)                       -> [8, 16, 24]
#   chainer.grad([y], [x], grad_outputs=[ones], loss_scale=4.0)  -> [2, 4, 6]
#   y.backward(loss_scale=4.0)                                   -> x.grad [8, 16, 24]
#   y.grad = 1.0; y.backward(loss_scale=4.0)                     -> x.grad [2, 4, 6]
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["chainer", "chainer5"])
def test_loss_scale_scales_only_the_implicit_seed(policy):
    with refimpl.semantics(policy):
        x = leaf([1.0, 2.0, 3.0])
        y = F.sum(x * x)
        assert refimpl.grad([y], [x], loss_scale=4.0)[0].data.tolist() == [8, 16, 24]
        ones = np.array(1.0, np.float32)
        assert refimpl.grad([y], [x], [ones], loss_scale=4.0)[0].data.tolist() == [2, 4, 6]
        y.backward(loss_scale=4.0)
        assert x.grad.tolist() == [8, 16, 24]
        x.cleargrad()
        y.grad = ones
        y.backward(loss_scale=4.0)
        assert x.grad.tolist() == [2, 4, 6]
        x.cleargrad()
        z = x * x  # not a scalar: the preset grad is used as it is
        z.grad = np.ones(3, np.float32)
        z.backward(loss_scale=4.0)
        assert x.grad.tolist() == [2, 4, 6]
        leaf_output = leaf(1.0)  # a leaf's implicit seed is scaled
        leaf_output.backward(loss_scale=4.0)
        assert leaf_output.grad == (4.0 if policy == "chainer" else None)


# --------------------------------------------------------------------------------------
# Views made under no_grad (torch 2.13.0):
#   x = torch.ones(3, requires_grad=True)
#   with torch.no_grad(): v = x.view(3)
#   v.requires_grad, v.grad_fn, v.is_leaf -> True, None, True
#   v.sum().backward() -> no error; v.grad, x.grad -> None, None
#   v.backward(torch.ones(3)) -> RuntimeError: element 0 of tensors does not require grad ...
#   with torch.no_grad(): x * 2, x[[0, 1]], x[mask], x.sum() -> requires_grad False
# --------------------------------------------------------------------------------------

def _views(x):
    return {"reshape": F.reshape(x, (3, 1)), "x[0:2]": x[0:2], "x[1]": x[1],
            "x[None]": x[None], "transpose": F.transpose(F.reshape(x, (1, 3))),
            "broadcast_to": F.broadcast_to(x, (2, 3)), "expand_dims": F.expand_dims(x, 0),
            "squeeze": F.squeeze(F.reshape(x, (1, 3))), "split": F.split(x, 1)[0],
            "permute": F.permute(x, 0), "swapaxes": F.swapaxes(F.reshape(x, (3, 1)), 0, 1)}


def _copies(x):
    return {"x * 2": x * 2, "x[[0, 1]]": x[[0, 1]], "x[mask]": x[MASK], "sum": F.sum(x),
            "cast to float64": F.cast(x, np.float64), "concat": F.concat([x, x], axis=0),
            "exp": F.exp(x)}


def test_torch_views_under_no_grad_require_grad_and_lead_nowhere():
    with refimpl.semantics("torch"):
        x = leaf([1.0, 2.0, 3.0])
        with refimpl.no_grad():
            views, copies = _views(x), _copies(x)
            view_of_view = F.reshape(views["reshape"], (1, 3))
        for name, v in list(views.items()) + [("view of a view", view_of_view)]:
            assert v.requires_grad and v.creator is None and v.is_leaf, name
            y = F.sum(v * 2)  # recorded: v requires grad
            assert y.requires_grad and y.creator is not None
            y.backward()
            assert v.grad is None and x.grad is None, name
            with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
                v.backward(np.ones(v.shape, np.float32))
            with pytest.raises(RuntimeError, match="does not require grad"):
                refimpl.grad(v, [x], np.ones(v.shape, np.float32))
            with pytest.raises(RuntimeError, match="appears to not have been used"):
                refimpl.grad(F.sum(v * 2), [v])
            assert refimpl.grad(F.sum(v * 2), [x], allow_unused=True) == (None,)
        for name, c in copies.items():
            assert not c.requires_grad and c.creator is None, name
        # views of a Variable that does not require grad stay as they were
        with refimpl.no_grad():
            assert not F.reshape(leaf([1.0, 2.0, 3.0]).detach(), (3, 1)).requires_grad


def test_cast_to_the_same_dtype_under_no_grad_returns_the_input_everywhere():
    """torch: x.to(x.dtype) is x. chainer: F.cast(x, x.dtype) is x under no_backprop_mode
    (else a Cast node)."""
    for policy in POLICIES:
        with refimpl.semantics(policy):
            x = leaf([1.0, 2.0])
            with refimpl.no_grad():
                assert F.cast(x, np.float32) is x
            assert (F.cast(x, np.float32) is x) == (policy == "torch")


def test_squeeze_with_nothing_to_squeeze_and_0d_transposes_are_nodes():
    """torch: x.squeeze() -> SqueezeBackward0, s.t() -> TBackward0, s.permute(()) ->
    PermuteBackward0, x.transpose(0, 0) -> TransposeBackward0; chainer: F.squeeze ->
    Squeeze, F.transpose(0-d / 1-d) -> Transpose, F.swapaxes(x, 1, 1) -> Swapaxes."""
    for policy in POLICIES:
        with refimpl.semantics(policy):
            x, s, v = leaf(np.ones((2, 3))), leaf(1.0), leaf([1.0, 2.0, 3.0])
            ys = [F.squeeze(x), F.transpose(s), F.transpose(v), F.permute(x, 0, 1),
                  F.swapaxes(x, 1, 1)]
            if policy == "torch":
                ys += [F.squeeze(s, 0), F.swapaxes(s, 0, -1), F.transpose(x, (0, 1))]
            for y, source in zip(ys, [x, s, v, x, x, s, s, x]):
                assert y is not source and y.creator is not None, (policy, y)
                np.testing.assert_array_equal(y.data, source.data)
            (gx,) = refimpl.grad(F.sum(F.squeeze(x) * 3), [x])
            assert gx.data.tolist() == [[3, 3, 3], [3, 3, 3]]


# --------------------------------------------------------------------------------------
# y.backward() on a non-scalar y with no gradient (chainer 7.8.1's None seed): what the
# creator does with the missing gradient. Observed with x = Variable(2x3 float32):
#   y = f(x); y.backward() -> raises, or x.grad is None, or x.grad is zeros
# --------------------------------------------------------------------------------------

ARRAY = np.ones((2, 3), np.float32)

NONE_SEED = [
    # (description, f, chainer's outcome: 'raise', 'none' or 'zeros')
    ("x + 1.0 (AddConstant)", lambda x: x + 1.0, "none"),
    ("1.0 + x (AddConstant)", lambda x: 1.0 + x, "none"),
    ("x - 1.0 (AddConstant(-1))", lambda x: x - 1.0, "none"),
    ("x + np.float32(1) (AddConstant)", lambda x: x + np.float32(1), "none"),
    ("1.0 - x (SubFromConstant)", lambda x: 1.0 - x, "raise"),
    ("x + ndarray (Add)", lambda x: x + ARRAY, "raise"),
    ("ndarray - x (Sub)", lambda x: ARRAY - x, "raise"),
    ("x + x (Add)", lambda x: x + x, "raise"),
    ("x * 2.0 (MulConstant)", lambda x: x * 2.0, "raise"),
    ("split_axis(x, 1, 0)[0]", lambda x: F.split(x, 1, axis=0)[0], "zeros"),
    ("split_axis(x, 2, 0)[0]", lambda x: F.split(x, 2, axis=0)[0], "zeros"),
    ("split_axis(x, [1], 1)[0]", lambda x: F.split(x, [1], axis=1)[0], "zeros"),
    ("reshape", lambda x: F.reshape(x, (3, 2)), "raise"),
    ("transpose", F.transpose, "raise"),
    ("sum(x, 1)", lambda x: F.sum(x, 1), "raise"),
]


@pytest.mark.parametrize("description, f, outcome", NONE_SEED, ids=[c[0] for c in NONE_SEED])
def test_nonscalar_backward_without_a_gradient_under_chainer(description, f, outcome):
    with refimpl.semantics("chainer"):
        x = leaf(np.arange(6.0).reshape(2, 3))
        y = f(x)
        if outcome == "raise":
            with pytest.raises(AttributeError, match="NoneType"):
                y.backward()
            return
        y.backward()
        if outcome == "none":
            assert x.grad is None
        else:
            np.testing.assert_array_equal(x.grad, np.zeros((2, 3), np.float32))
