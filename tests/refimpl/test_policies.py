"""One test per semantics-policy field: each asserts the observed behaviour of every
policy, so a wrong field value (or an engine that ignores it) fails."""
import dataclasses
import warnings

import numpy as np
import pytest

import refimpl
import refimpl.functions as F
from refimpl import policies

ALL = ["torch", "chainer", "chainer5"]
TESTED_FIELDS = set()


def field(*names):
    """Mark a test as the one verifying these policy fields, run under every policy."""
    TESTED_FIELDS.update(names)
    return pytest.mark.parametrize("policy", ALL)


def V(values, policy, requires_grad=True, dtype=np.float32):
    with refimpl.semantics(policy):
        return refimpl.Variable(np.array(values, dtype=dtype), requires_grad=requires_grad)


@field("requires_grad_default")
def test_requires_grad_default(policy):
    with refimpl.semantics(policy):
        assert refimpl.Variable(np.ones(2)).requires_grad == (policy != "torch")


@field("free_graph_after_backward")
def test_second_backward(policy):
    with refimpl.semantics(policy):
        x = V([1, 2, 3], policy)
        y = F.sum(x * x)
        y.backward()
        if policy == "torch":
            with pytest.raises(RuntimeError, match="backward through the graph a second time"):
                y.backward()
            assert x.grad.tolist() == [2, 4, 6]
            z = F.sum(x + 1)  # saves no tensors: no error, accumulates
            z.backward()
            z.backward()
            assert x.grad.tolist() == [4, 6, 8]
        else:
            y.backward()
            assert x.grad.tolist() == [4, 8, 12]


def test_retain_graph_true_accumulates():
    with refimpl.semantics("torch"):
        x = V([1, 2, 3], "torch")
        y = F.sum(x * x)
        y.backward(retain_graph=True)
        y.backward(retain_graph=True)
        assert x.grad.tolist() == [4, 8, 12]
        y.backward()  # third call frees
        with pytest.raises(RuntimeError):
            y.backward()


@field("nonscalar_backward_without_grad")
def test_nonscalar_backward(policy):
    with refimpl.semantics(policy):
        x = V(np.ones((2, 3)), policy)
        y = x ** 2
        if policy == "torch":
            with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
                y.backward()
        else:
            with pytest.raises(AttributeError, match="NoneType"):
                y.backward()
            z = x ** 3 - 4 * x ** 2 + 2  # last op has a constant operand: silently nothing
            z.backward()
            F.concat([x * 2], axis=0).backward()  # chainer's one-input Concat passes None on
            F.cumprod(x[:, :1], axis=1).backward()  # so does Cumprod along a length-1 axis
            with pytest.raises(AttributeError, match="NoneType"):
                F.cumprod(x, axis=1).backward()
            with pytest.raises(AttributeError, match="NoneType"):
                F.concat([x * 2, x], axis=0).backward()
        assert x.grad is None
        F.sum(x[0:1, 0:1] * 3).backward()  # size-1 outputs get an implicit seed everywhere
        assert x.grad[0, 0] == 3


@field("backward_seed_from_output_grad")
def test_backward_seed_from_output_grad(policy):
    with refimpl.semantics(policy):
        x = V([1, 2], policy)
        y = F.sum(x * x)
        y.grad = np.array(5, np.float32)
        y.backward()
        assert x.grad.tolist() == ([2, 4] if policy == "torch" else [10, 20])
        x.cleargrad()
        z = x * x  # non-scalar: a preset grad is the seed, or torch wants a gradient
        z.grad = np.array([5, 7], np.float32)
        if policy == "torch":
            with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
                z.backward()
        else:
            z.backward()
            assert x.grad.tolist() == [10, 28]


@field("leaf_backward_accumulates")
def test_leaf_backward(policy):
    with refimpl.semantics(policy):
        x = V(3.0, policy)
        x.backward()
        x.backward()
    expected = {"torch": 2.0, "chainer": 1.0, "chainer5": None}[policy]  # 5.4.0: 'noop'
    assert (None if x.grad is None else x.grad.item()) == expected


@field("grad_nonscalar_output_default")
def test_grad_nonscalar_output(policy):
    with refimpl.semantics(policy):
        x = V([1, 2, 3], policy)
        z = x * x
        if policy == "torch":
            with pytest.raises(RuntimeError, match="implicitly created"):
                refimpl.grad(z, x)
        else:
            assert refimpl.grad([z], [x])[0].data.tolist() == [2, 4, 6]


@field("intermediate_grads", "intermediate_grads_without_retain", "output_grad_after_backward")
def test_intermediate_grads(policy):
    with refimpl.semantics(policy):
        x = V([5], policy)
        z = 2 * x
        y = x ** 2 - z + 1
        if policy == "torch":
            z.retain_grad()
            y.backward(retain_graph=True)
            y.backward()
            assert z.grad.tolist() == [-2]  # per tensor, accumulating
            assert y.grad is None
            return
        y.backward(retain_grad=True)
        assert (z.grad.tolist(), y.grad.tolist(), x.grad.tolist()) == ([-1], [1], [8])
        y.backward()
        expected_z = [-1] if policy == "chainer" else None
        expected_y = None if policy == "chainer" else [1]
        assert (None if z.grad is None else z.grad.tolist()) == expected_z
        assert (None if y.grad is None else y.grad.tolist()) == expected_y
        assert x.grad.tolist() == [16]
        z.grad = np.array([7], np.float32)
        y.backward(retain_grad=True)  # overwrites, does not accumulate
        assert z.grad.tolist() == [-1] and x.grad.tolist() == [24]


@field("grad_unused_input")
def test_grad_unused_input(policy):
    with refimpl.semantics(policy):
        x, w = V([1, 2, 3], policy), V([1, 1, 1], policy)
        y = F.sum(x * x)
        if policy == "torch":
            with pytest.raises(RuntimeError, match="at index 1 appears to not have been used"):
                refimpl.grad(y, [x, w])
            gx, gw = refimpl.grad(F.sum(x * x), [x, w], allow_unused=True)
            assert gw is None
            gx, gw = refimpl.grad(F.sum(x * x), [x, w], materialize_grads=True)
            assert gw.data.tolist() == [0, 0, 0]
        else:
            gx, gw = refimpl.grad([y], [x, w])
            assert gw is None and gx.data.tolist() == [2, 4, 6]


@field("grad_input_without_requires_grad")
def test_grad_input_without_requires_grad(policy):
    with refimpl.semantics(policy):
        x, w = V([1, 2], policy, requires_grad=False), V([3, 4], policy)
        y = F.sum(x * w)
        if policy == "torch":
            with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
                refimpl.grad(y, [x, w])
        else:
            assert list(refimpl.grad([y], [x])) == [None]


@field("backward_without_graph", "outputs_require_grad")
def test_backward_without_graph(policy):
    with refimpl.semantics(policy):
        x = V([1.0], policy)
        with refimpl.no_grad():
            y = F.sum(x * x)
        assert y.creator is None
        assert y.requires_grad == (policy != "torch")
        if policy == "torch":
            with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
                y.backward()
            with pytest.raises(RuntimeError, match="does not require grad"):
                refimpl.grad(y, x)
        else:
            y.backward()
            assert x.grad is None
            assert y.grad == (1.0 if policy == "chainer" else None)
            assert refimpl.grad([y], [x]) == [None]


@field("no_grad_views")
def test_no_grad_views(policy):
    with refimpl.semantics(policy):
        x = V([1, 2, 3], policy)
        with refimpl.no_grad():
            view, sliced, copy = F.reshape(x, (3, 1)), x[0:2], x * 2
            indexed = x[[0, 1]]
            permuted, summed = F.einsum("i->i", x), F.einsum("i->", x)  # a view; a sum is not
        for v in (view, sliced, permuted):
            assert v.requires_grad and v.creator is None
        assert summed.requires_grad == (policy != "torch")
        F.sum(view * 2).backward()
        if policy == "torch":  # requires grad, but no gradient reaches or leaves it
            assert not copy.requires_grad and not indexed.requires_grad
            assert view.grad is None and x.grad is None
            with pytest.raises(RuntimeError, match="does not have a grad_fn"):
                sliced.backward(np.ones(2, np.float32))
        else:  # a leaf like every output made under no_backprop_mode
            assert copy.requires_grad and indexed.requires_grad
            assert view.grad.tolist() == [[2], [2], [2]] and x.grad is None


@field("identity_ops_return_input")
def test_identity_ops_return_input(policy):
    returning_input = {"torch": {"cast", "sum_to"}}.get(policy, {"reshape", "broadcast_to", "sum_to"})
    with refimpl.semantics(policy):
        x = V(np.ones((2, 3)), policy)
        calls = {"reshape": lambda: F.reshape(x, (2, 3)), "transpose": lambda: F.transpose(x, (0, 1)),
                 "squeeze": lambda: F.squeeze(x), "cast": lambda: F.cast(x, np.float32),
                 "broadcast_to": lambda: F.broadcast_to(x, (2, 3)),
                 "sum_to": lambda: F.sum_to(x, (2, 3))}
        for name, call in calls.items():
            y = call()
            assert (y is x) == (name in returning_input), name
            assert (y.creator is None) == (name in returning_input), name
            np.testing.assert_array_equal(y.data, x.data)
        with refimpl.no_grad():  # chainer's cast returns its input only without backprop
            assert F.cast(x, np.float32) is x
        # chainer compares the shape as given: -1 or a list is never "the same shape"
        for shape in ((-1, 3), [2, 3]):
            assert F.reshape(x, shape) is not x and F.reshape(x, shape).creator is not None
        scalar = V(1.0, policy)  # torch: a 0-d x.sum_to_size(()) is x.sum() (SumBackward0)
        y = F.sum_to(scalar, ())
        assert (y is scalar) == (policy != "torch") and y.shape == () and y.data == 1


@field("zero_dim_axis")
def test_zero_dim_axis(policy):
    with refimpl.semantics(policy):
        x = V(2.0, policy)
        if policy == "torch":
            assert F.sum(x, 0).data == 2 and F.squeeze(x, -1).shape == ()
        else:
            with pytest.raises(refimpl.InvalidType, match="x.ndim > 0"):
                F.sum(x, 0)
            with pytest.raises(refimpl.InvalidType, match=r"in_types\[0\].ndim > 0"):
                F.squeeze(x, -1)
        assert F.sum(x).data == 2 and F.sum(x, ()).data == 2  # no axis: fine everywhere


def test_second_derivative_without_double_backprop():
    for policy in ALL:
        with refimpl.semantics(policy):
            x = V([1, 2, 3], policy)
            y = F.sum(x ** 3)
            (gx,) = refimpl.grad([y], [x])
            assert gx.creator is None
            if policy == "torch":
                assert not gx.requires_grad
                with pytest.raises(RuntimeError, match="does not require grad"):
                    refimpl.grad(F.sum(gx), x)
            else:
                assert gx.requires_grad
                assert refimpl.grad([F.sum(gx)], [x]) == [None]
            (gx,) = refimpl.grad([F.sum(x ** 3)], [x], create_graph=True)
            assert refimpl.grad([F.sum(gx)], [x])[0].data.tolist() == [6, 12, 18]


@field("mixed_dtypes")
def test_mixed_dtypes(policy):
    with refimpl.semantics(policy):
        a = V([1, 2], policy)
        b = V([1, 2], policy, dtype=np.float64)
        assert (a * 2.5).dtype == np.float32
        if policy == "torch":
            assert (a + b).dtype == np.float64
            assert (a + V(1.0, policy, dtype=np.float64)).dtype == np.float32  # 0-d does not upcast
        else:
            with pytest.raises(refimpl.InvalidType, match="lhs.dtype == rhs.dtype"):
                a + b
            assert (a + np.array([1.0, 2.0])).dtype == np.float32  # constants are cast


@field("integer_arithmetic", "integer_requires_grad")
def test_integer_arithmetic(policy):
    with refimpl.semantics(policy):
        if policy == "torch":
            with pytest.raises(RuntimeError, match="floating point"):
                refimpl.Variable(np.array([1, 2, 3]), requires_grad=True)
            x = refimpl.Variable(np.array([1, 2, 3], np.int32))
            assert (x / 2).data.tolist() == [0.5, 1.0, 1.5] and (x / 2).dtype == np.float32
        else:
            x = refimpl.Variable(np.array([1, 2, 3], np.int32))
            assert x.requires_grad
            assert (x / 2).data.tolist() == [0, 0, 0]  # chainer's silent integer reciprocal
            with pytest.raises(refimpl.InvalidType, match="lhs.dtype.kind == f"):
                x * x
            with pytest.raises(refimpl.InvalidType, match="x.dtype.kind == f"):
                x ** 2


@field("index_dtype")
def test_index_dtype(policy):
    with refimpl.semantics(policy):
        index = F.argmax(V([1, 3, 3], policy))
        assert index.dtype == (np.int64 if policy == "torch" else np.int32) and int(index.data) == 1


@field("max_returns_indices", "max_tie_gradient", "max_axis_tie_gradient")
def test_max_ties(policy):
    with refimpl.semantics(policy):
        a = V([1, 3, 3], policy)
        F.max(a).backward()
        assert a.grad.tolist() == ([0, 0.5, 0.5] if policy == "torch" else [0, 1, 1])
        b = V([[1, 3, 3], [2, 3, 0]], policy)
        result = F.max(b, 0)
        if policy == "torch":
            values, indices = result
            assert indices.data.tolist() == [1, 0, 0] and indices.creator is None
        else:
            values = result
        F.sum(values).backward()
        expected = [[0, 1, 1], [1, 0, 0]] if policy == "torch" else [[0, 1, 1], [1, 1, 0]]
        assert b.grad.tolist() == expected


@field("concat_default_axis")
def test_concat_default_axis(policy):
    with refimpl.semantics(policy):
        a, b = V(np.ones((2, 3)), policy), V(np.ones((2, 3)), policy)
        assert F.concat([a, b]).shape == ((4, 3) if policy == "torch" else (2, 6))


@field("softmax_default_axis")
def test_softmax_default_axis(policy):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10
    with refimpl.semantics(policy):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = F.softmax(refimpl.Variable(x))
        axis = 0 if policy == "torch" else 1
        np.testing.assert_allclose(y.data.sum(axis=axis), 1, rtol=1e-6)
        assert any("Implicit dimension" in str(w.message) for w in caught) == (policy == "torch")


@field("split_semantics")
def test_split_semantics(policy):
    with refimpl.semantics(policy):
        x = V(np.ones((2, 6)), policy)
        pieces = F.split(x, 2, axis=1)
        assert [p.shape for p in pieces] == ([(2, 2)] * 3 if policy == "torch" else [(2, 3)] * 2)


@field("leaky_relu_default_slope")
def test_leaky_relu_default_slope(policy):
    with refimpl.semantics(policy):
        y = F.leaky_relu(V([-1.0], policy))
        assert y.data[0] == pytest.approx(-0.01 if policy == "torch" else -0.2)


@field("grad_returns")
def test_grad_returns(policy):
    with refimpl.semantics(policy):
        x = V([1.0], policy)
        result = refimpl.grad([F.sum(x * x)], [x])
        assert type(result) is (tuple if policy == "torch" else list)


@field("fresh_parameter_grad")
def test_fresh_parameter_grad(policy):
    with refimpl.semantics(policy):
        weight = refimpl.nn.Linear(3, 2, rng=0).weight
    if policy == "torch":
        assert weight.grad is None
    else:
        assert weight.grad.shape == (2, 3) and np.isnan(weight.grad).all()
    # A plain Variable starts with None in every policy; cleargrad -> None, zerograd -> zeros.
    x = V([1.0, 2.0], policy)
    assert x.grad is None
    x.zerograd()
    assert x.grad.tolist() == [0, 0]
    x.cleargrad()
    assert x.grad is None


@field("max_pooling_cover_all")
def test_max_pooling_cover_all(policy):
    x = V(np.arange(25).reshape(1, 1, 5, 5), policy)
    with refimpl.semantics(policy):
        y = F.max_pooling_2d(x, 2)
    # floor((5 - 2) / 2) + 1 = 2 (torch) vs ceil: 3, the last window covers the 5th row
    assert y.shape == ((1, 1, 2, 2) if policy == "torch" else (1, 1, 3, 3))


@field("linear_input_layout")
def test_linear_input_layout(policy):
    x = V(np.ones((2, 3, 4)), policy)
    with refimpl.semantics(policy):
        if policy == "torch":
            assert F.linear(x, V(np.ones((5, 4)), policy)).shape == (2, 3, 5)
        else:
            assert F.linear(x, V(np.ones((5, 12)), policy)).shape == (2, 5)


@field("weight_initializer", "bias_initializer")
def test_default_initializers(policy):
    with refimpl.semantics(policy):
        layer = refimpl.nn.Linear(100, 200, rng=0)
    weight, bias = layer.weight.data, layer.bias.data
    if policy == "torch":  # both U(-0.1, 0.1)
        assert np.abs(weight).max() <= 0.1 and np.abs(bias).max() <= 0.1 and bias.std() > 0.03
    else:  # N(0, 0.01) weights (values beyond 0.1 appear), zero bias
        assert np.abs(weight).max() > 0.3 and not bias.any()


@field("linear_mixed_dtypes", "conv_mixed_dtypes")
def test_mixed_dtypes_of_input_and_weight(policy):
    x = V(np.ones((1, 1, 3, 3)), policy, dtype=np.float32)
    W = V(np.ones((1, 1, 2, 2)), policy, dtype=np.float64)
    with refimpl.semantics(policy):
        calls = [lambda: F.conv2d(x, W), lambda: F.linear(F.reshape(x, (1, 9)), F.reshape(W, (4, 1)) * np.ones((1, 9)))]
        for call in calls:
            if policy == "torch":
                with pytest.raises(RuntimeError):
                    call()
            else:
                y = call()
                assert y.dtype == np.float32
                y.backward(np.ones(y.shape, np.float32))
        if policy != "torch":
            assert W.grad.dtype == np.float64


@field("conv_unbatched_input")
def test_conv_unbatched_input(policy):
    x, W = V(np.ones((1, 3, 3)), policy), V(np.ones((2, 1, 2, 2)), policy)
    with refimpl.semantics(policy):
        if policy == "torch":
            assert F.conv2d(x, W).shape == (2, 2, 2)
            assert F.max_pooling_2d(x, 2).shape == (1, 1, 1)
        else:
            with pytest.raises(ValueError, match="4-D"):
                F.conv2d(x, W)


@field("max_pooling_nan_index")
def test_max_pooling_nan_index(policy):
    x = V(np.array([[[[np.nan, 1.0], [np.nan, 0.0]]]]), policy)
    with refimpl.semantics(policy):
        y = F.max_pooling_2d(x, 2)
        y.backward(np.ones(y.shape, np.float32))
    assert np.isnan(y.data).all()
    expected = [[0, 0], [1, 0]] if policy == "torch" else [[1, 0], [0, 0]]
    assert x.grad[0, 0].tolist() == expected


@field("pooling_pad_limit")
def test_pooling_pad_limit(policy):
    x = V(np.ones((1, 1, 3, 3)), policy)
    with refimpl.semantics(policy):
        if policy == "torch":
            with pytest.raises(RuntimeError, match="pad should be at most half"):  # as torch
                F.max_pooling_2d(x, 2, stride=1, pad=2)
        else:
            y = F.max_pooling_2d(x, 2, stride=1, pad=2)
            assert np.isneginf(y.data).any()


@field("invalid_argument_errors")
def test_invalid_argument_errors(policy):
    a, b = V(np.ones((3, 3)), policy), V(np.ones((3, 2)), policy)
    expected = RuntimeError if policy == "torch" else refimpl.InvalidType
    with refimpl.semantics(policy):
        with pytest.raises(expected):
            F.concat([a, b], axis=0)
        with pytest.raises(expected):
            F.linear(a, V(np.ones((2, 4)), policy))


def test_every_field_is_documented_and_tested():
    for policy in (policies.TORCH, policies.CHAINER, policies.CHAINER5):
        for name, (value, doc) in policy.describe().items():
            assert len(doc) > 20, f"{name} needs a doc"
    behaviour_fields = {f.name for f in dataclasses.fields(policies.Policy)} - {"name", "framework"}
    assert behaviour_fields <= TESTED_FIELDS, behaviour_fields - TESTED_FIELDS


def test_unknown_policy_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown semantics 'tensorflow'"):
        with refimpl.semantics("tensorflow"):
            pass


@pytest.fixture
def registry():
    """refimpl's policy registry, restored after the test."""
    before = dict(policies.POLICIES)
    yield policies.POLICIES
    policies.POLICIES.clear()
    policies.POLICIES.update(before)


def test_a_plugin_registers_a_derived_policy(registry):
    mygrad = dataclasses.replace(policies.POLICIES["torch"], name="mygrad", framework="mygrad",
                                 leaf_backward_accumulates=False, backward_without_graph="set_seed")
    with pytest.raises(ValueError, match="unknown semantics 'mygrad'"):
        policies.get_policy("mygrad")
    assert refimpl.register_policy(mygrad) is mygrad
    assert registry["mygrad"] is mygrad and registry["torch"] is policies.TORCH
    grads = {}
    for name in ("mygrad", "torch"):
        with refimpl.semantics(name) as active:
            assert active is policies.get_policy(name) and refimpl.current_semantics().name == name
            x = V(3.0, name)
            x.backward()
            x.backward()
            grads[name] = x.grad.item()
    assert grads == {"mygrad": 1.0, "torch": 2.0}  # the registered policy's own fields decide


def test_register_rejects_taken_names_and_non_policies(registry):
    before = dict(registry)
    with pytest.raises(ValueError, match="policy.name='torch' is already registered"):
        refimpl.register_policy(dataclasses.replace(policies.TORCH, requires_grad_default=True))
    with pytest.raises(ValueError, match="policy.name='chainer7' is already registered"):
        refimpl.register_policy(dataclasses.replace(policies.CHAINER, name="chainer7"))
    with pytest.raises(ValueError, match="policy must be a refimpl.Policy, got policy='mygrad'"):
        refimpl.register_policy("mygrad")
    with pytest.raises(ValueError, match="policy.name must be a non-empty string, got policy.name=''"):
        refimpl.register_policy(dataclasses.replace(policies.TORCH, name=""))
    assert registry == before


def test_policy_is_scoped():
    with refimpl.semantics("chainer"):
        assert refimpl.current_semantics().name == "chainer"
    assert refimpl.current_semantics().name == "torch"


# --- issue 15: edge inputs (observed on torch 2.13.0 and chainer 7.8.1) -------------------

@field("pow_gradient_masks")
def test_pow_gradient_masks(policy):
    with refimpl.semantics(policy), np.errstate(all="ignore"):
        a = V([0.0, 0.0, -2.0], policy, dtype=np.float64)
        b = V([0.0, 2.0, 2.0], policy, dtype=np.float64)
        ga, gb = refimpl.grad([F.sum(a ** b)], [a, b])
    if policy == "torch":  # masked: 0 at b == 0 and at a == 0, b >= 0; log(-2) is NaN
        np.testing.assert_array_equal(ga.data, [0.0, 0.0, -4.0])
        np.testing.assert_array_equal(gb.data, [0.0, 0.0, np.nan])
    else:  # the plain formula for d/db: 1 * log(0) is -inf, 0 * log(0) is NaN; d/da at
        # a = b = 0 is 0 under every policy (chainer's NaN there is its defect)
        np.testing.assert_array_equal(ga.data, [0.0, 0.0, -4.0])
        np.testing.assert_array_equal(gb.data, [-np.inf, np.nan, np.nan])


@field("pow_gradient_masks")
@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_gradient_masks_nonfinite_seed(policy, create_graph):
    """d/da of a ** b at b == 0 from the output gradient [NaN, inf, 2]: torch's
    ``where(b == 0, 0, grad * b * a^(b - 1))`` is 0 whatever the output gradient holds;
    chainer's ``gy * b * a^(b - 1)`` is NaN (0 * NaN, 0 * inf). Where b != 0 both multiply."""
    with refimpl.semantics(policy), np.errstate(all="ignore"):
        a, b = V([1.0, 2.0, 3.0], policy, dtype=np.float64), V([0.0, 0.0, 2.0], policy, dtype=np.float64)
        gy = V([np.nan, np.inf, 2.0], policy, requires_grad=create_graph, dtype=np.float64)
        (ga,) = refimpl.grad([a ** b], [a], [gy], create_graph=create_graph)
    expected = [0.0, 0.0, 12.0] if policy.startswith("torch") else [np.nan, np.nan, 12.0]
    np.testing.assert_array_equal(ga.data, expected)


@field("relu_nan_gradient")
def test_relu_nan_gradient(policy):
    x = V([np.nan, 1.0, -1.0], policy)
    with refimpl.semantics(policy):
        (gx,) = refimpl.grad([F.sum(F.relu(x))], [x])
    np.testing.assert_array_equal(gx.data, [1.0 if policy == "torch" else 0.0, 1.0, 0.0])


@field("sigmoid_form")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_form(policy, dtype):
    """torch's 1 / (1 + exp(-x)) keeps sigmoid's small values (0 only where exp(-x)
    overflows); chainer's tanh form is 0 wherever tanh(x / 2) rounds to -1. Each form's values
    and gradient are its framework's formula, operation for operation (float64: one rounding
    of exp or tanh apart from the formula evaluated here)."""
    x_values = [-120.0, -50.0, -20.0, -1.5, 0.0, 0.75, 20.0]
    gy_values = [1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 2.0]
    x = V(x_values, policy, dtype=dtype)
    with refimpl.semantics(policy):
        y = F.sigmoid(x)
        (gx,) = refimpl.grad([y], [x], [V(gy_values, policy, False, dtype)])
    xs, gys = np.array(x_values, dtype), np.array(gy_values, dtype)
    one, half = dtype(1), dtype(0.5)
    if policy.startswith("torch"):
        with np.errstate(over="ignore"):
            expected = one / (one + np.exp(-xs))
        assert y.data[1] > 0  # sigmoid(-50) = 1.9e-22
        assert (y.data[0] == 0) == (dtype == np.float32)  # exp(120) overflows in float32
        expected_gx = gys * (one - expected) * expected
    else:
        expected = np.tanh(xs * half) * half + half
        assert y.data[1] == 0  # tanh(-25) rounds to -1
        assert (y.data[2] == 0) == (dtype == np.float32)  # tanh(-10): -1 in float32 only
        expected_gx = gys * expected * (one - expected)
    np.testing.assert_array_equal(y.data, expected)
    np.testing.assert_array_equal(gx.data, expected_gx)


@field("lerp_start_gradient")
@pytest.mark.parametrize("create_graph", [False, True])
def test_lerp_start_gradient(policy, create_graph):
    """lerp's gradient in start from the seed [inf, -inf, 2]: torch's gy * (1 - weight)
    keeps the infinities, chainer's gy - gy * weight makes them inf - inf = NaN; end's
    (gy * weight) and weight's (gy * (end - start)) are alike."""
    nan, inf = np.nan, np.inf
    start, end = V([0.0, 1.0, -2.0], policy), V([2.0, 3.0, 4.0], policy)
    weight = V([0.25, 0.5, 2.0], policy)
    gy = V([inf, -inf, 2.0], policy, requires_grad=create_graph)
    with refimpl.semantics(policy), np.errstate(invalid="ignore"):
        g_start, g_end, g_weight = refimpl.grad([F.lerp(start, end, weight)],
                                                [start, end, weight], [gy],
                                                create_graph=create_graph)
    expected = [inf, -inf, -2.0] if policy.startswith("torch") else [nan, nan, -2.0]
    np.testing.assert_array_equal(g_start.data, expected)
    np.testing.assert_array_equal(g_end.data, [inf, -inf, 4.0])
    np.testing.assert_array_equal(g_weight.data, [inf, -inf, 12.0])


@field("product_zero_gradient")
@pytest.mark.parametrize("create_graph", [False, True])
def test_product_zero_gradient(policy, create_graph):
    """prod and cumprod of inputs with zeros from NaN/inf seeds: torch, where the backward is
    not recorded, gives prod over everything with two zeros zeros, and leaves out cumprod's
    terms a zero factor makes 0; chainer (and torch under create_graph) multiply them by the
    seed (0 * NaN = NaN). prod with one zero, or along an axis, multiplies in both."""
    nan, inf = np.nan, np.inf
    skips = policy.startswith("torch") and not create_graph
    cases = [  # (function, x, seed, gradient where skipped, gradient where multiplied)
        (F.prod, [0.0, 2.0, 0.0, 3.0], nan, [0.0, 0.0, 0.0, 0.0], [nan, nan, nan, nan]),
        (F.prod, [0.0, 2.0, 1.0, 3.0], nan, [nan, nan, nan, nan], [nan, nan, nan, nan]),
        (lambda x: F.prod(x, axis=0), [0.0, 2.0, 0.0], inf, [nan, nan, nan], [nan, nan, nan]),
        (lambda x: F.cumprod(x, axis=0), [2.0, 0.0, 3.0, 0.0, 5.0], [1.0, 1.0, nan, 1.0, 1.0],
         [1.0, nan, 0.0, 0.0, 0.0], [nan, nan, nan, 0.0, 0.0]),
        (lambda x: F.cumprod(x, axis=0), [2.0, 0.0, 3.0, 0.0, 5.0], [1.0, inf, 1.0, 1.0, 1.0],
         [1.0, inf, 0.0, 0.0, 0.0], [nan, inf, 0.0, 0.0, 0.0]),
    ]
    for function, x, seed, skipped, multiplied in cases:
        x = V(x, policy, dtype=np.float64)
        with refimpl.semantics(policy), np.errstate(invalid="ignore"):
            y = function(x)
            gy = V(np.broadcast_to(seed, y.shape), policy, requires_grad=create_graph,
                   dtype=np.float64)
            gx, = refimpl.grad([y], [x], [gy], create_graph=create_graph)
        np.testing.assert_array_equal(gx.data, skipped if skips else multiplied)


@field("zero_slope_gradient")
@pytest.mark.parametrize("create_graph", [False, True])
def test_zero_slope_gradient(policy, create_graph):
    """A NaN or infinite output gradient where the slope is 0: torch selects 0, chainer
    multiplies (NaN), with or without a graph for the gradient (create_graph takes the
    graph path of the backward). leaky_relu multiplies under every policy (torch's
    ``grad * negval``)."""
    nan, inf = np.nan, np.inf
    torch_like = policy == "torch"
    expected = {  # x = [-4, -1, 0.25, 4], gy = [NaN, inf, NaN, -inf]
        "relu": [0, 0, nan, -inf] if torch_like else [nan, nan, nan, -inf],
        "clip": [0, inf, nan, 0] if torch_like else [nan, inf, nan, nan],
        "hardtanh": [0, inf, nan, 0] if torch_like else [nan, inf, nan, nan],
        "leaky_relu0": [nan, nan, nan, -inf]}
    ops = {"relu": F.relu, "clip": lambda x: F.clip(x, -2.0, 2.0),
           "hardtanh": lambda x: F.hardtanh(x, -2.0, 2.0),
           "leaky_relu0": lambda x: F.leaky_relu(x, 0.0)}
    with refimpl.semantics(policy), np.errstate(invalid="ignore"):
        for name, op in ops.items():
            x = V([-4.0, -1.0, 0.25, 4.0], policy)
            gy = V([nan, inf, nan, -inf], policy, requires_grad=create_graph)
            (gx,) = refimpl.grad([op(x)], [x], [gy], create_graph=create_graph)
            np.testing.assert_array_equal(gx.data, expected[name], err_msg=name)


@field("abs_nan_gradient")
def test_abs_nan_gradient(policy):
    x = V([np.nan, 2.0, -2.0], policy)
    with refimpl.semantics(policy):
        (gx,) = refimpl.grad([F.sum(F.abs(x))], [x])
    np.testing.assert_array_equal(gx.data, [0.0 if policy == "torch" else np.nan, 1.0, -1.0])


@field("empty_softmax_axis")
def test_empty_softmax_axis(policy):
    x = V(np.zeros((2, 0)), policy)
    with refimpl.semantics(policy):
        if policy == "torch":
            assert F.softmax(x, 1).shape == (2, 0)
            assert F.log_softmax(x, 1).shape == (2, 0)
            np.testing.assert_array_equal(F.logsumexp(x, 1).data, [-np.inf, -np.inf])
            (gx,) = refimpl.grad([F.sum(F.logsumexp(x, 1))], [x])
            assert gx.shape == (2, 0)
        else:
            for op in (F.softmax, F.log_softmax, F.logsumexp):
                with pytest.raises(ValueError, match="zero-size array"):
                    op(x, 1)
        assert F.logsumexp(V(np.zeros((0, 3)), policy), 1).shape == (0,)  # axis 1 is not empty


@field("number_operands")
def test_number_operands(policy):
    with refimpl.semantics(policy):
        if policy == "torch":
            assert F.add(2, 3).data.dtype == np.int64 and F.add(2, 3).data == 5
            assert F.div(2, 3).dtype == np.float32
            assert F.mul(2.5, 2).dtype == np.float32
            with pytest.raises(RuntimeError, match="bool"):
                F.sub(True, 2)
            np.testing.assert_array_equal(F.where(np.array([True, False]), 2, 3).data, [2, 3])
        else:
            with pytest.raises(TypeError, match="two numbers"):
                F.add(2, 3)
            with pytest.raises(TypeError, match="two numbers"):
                F.where(np.array([True, False]), 2, 3)
        with pytest.raises(TypeError, match="two numbers"):
            F.pow(2, 3)


@field("squeeze_non_unit_axis")
def test_squeeze_non_unit_axis(policy):
    x = V(np.zeros((2, 1, 3)), policy)
    with refimpl.semantics(policy):
        if policy == "torch":
            assert F.squeeze(x, 0).shape == (2, 1, 3)
            assert F.squeeze(x, (0, 1)).shape == (2, 3)
        else:
            with pytest.raises(ValueError, match="cannot squeeze"):
                F.squeeze(x, 0)


@field("concat_skips_legacy_empty")
def test_concat_skips_legacy_empty(policy):
    empty, block = V(np.zeros(0), policy), V(np.ones((2, 3)), policy)
    with refimpl.semantics(policy):
        if policy == "torch":
            y = F.concat([empty, block], 1)
            assert y.shape == (2, 3)
            g_empty, g_block = refimpl.grad([F.sum(y)], [empty, block])
            assert g_empty.shape == (0,) and g_block.shape == (2, 3)
        else:
            with pytest.raises(refimpl.InvalidType):
                F.concat([empty, block], 1)


@field("pooling_one_element_tuple")
def test_pooling_one_element_tuple(policy):
    x = V(np.arange(16.0).reshape(1, 1, 4, 4), policy)
    with refimpl.semantics(policy):
        if policy == "torch":
            assert F.max_pool2d(x, (2,), (2,), (1,)).shape == (1, 1, 3, 3)
            assert F.avg_pool2d(x, 2, 2, (1,)).shape == (1, 1, 3, 3)
        else:  # chainer 7.8.1's max_pooling_2d asserts, 5.4.0's unpacks (issue 15)
            with pytest.raises(AssertionError if policy == "chainer" else ValueError,
                               match="pad must be an int or a pair"):
                F.max_pooling_2d(x, 2, 2, (1,))


@field("error_classes")
def test_error_classes(policy):
    x = V(np.ones((2, 3)), policy)
    torch_side = policy == "torch"
    with refimpl.semantics(policy):
        for kind, call in [("shape", lambda: F.add(x, np.ones(4))),
                           ("axis", lambda: F.sum(x, 2)),
                           ("repeated_axis", lambda: F.sum(x, (0, 0))),
                           ("dtype", lambda: F.mean(np.ones(2, np.int64))),
                           ("complex", lambda: F.relu(np.ones(2, np.complex64))),
                           ("empty_axis", lambda: F.max(np.zeros((2, 0)), 1)),
                           ("value", lambda: F.max(np.zeros(0))),
                           ("index", lambda: F.getitem(x, 5))]:
            expected = dict(policies.get_policy(policy).error_classes)[kind]
            assert expected == {"shape": "RuntimeError", "axis": "IndexError",
                                "repeated_axis": "RuntimeError", "dtype": "RuntimeError",
                                "complex": "NotImplementedError",
                                "empty_axis": "IndexError", "value": "RuntimeError",
                                "index": "IndexError"}[kind] \
                if torch_side else expected == {"shape": "InvalidType", "axis": "InvalidType",
                                                "repeated_axis": "ValueError",
                                                "dtype": "InvalidType", "complex": "InvalidType",
                                                "empty_axis": "ValueError",
                                                "value": "ValueError", "index": "IndexError"}[kind]
            with pytest.raises(Exception) as info:
                call()
            assert type(info.value).__name__ == expected, (kind, info.value)
        with pytest.raises(TypeError, match="axis"):
            F.sum(x, True)


@field("empty_mean_axis")
def test_empty_mean_axis(policy):
    x = V(np.zeros((2, 0)), policy)
    with refimpl.semantics(policy):
        assert F.mean(V(np.zeros((0, 3)), policy), 1).shape == (0,)  # nothing reduced is empty
        if policy == "torch":
            np.testing.assert_array_equal(F.mean(x, 1).data, [np.nan, np.nan])
            assert np.isnan(F.mean(x).data)
        else:
            for axis in (1, None):
                with pytest.raises(ZeroDivisionError, match="float division by zero"):
                    F.mean(x, axis)


@field("clip_none_bound")
def test_clip_none_bound(policy):
    """A None bound: no bound on that side (torch, chainer 7), or TypeError naming the bounds
    (chainer 5); both bounds work everywhere."""
    x = V([-2.0, 0.5, 3.0], policy)
    with refimpl.semantics(policy):
        np.testing.assert_array_equal(F.clip(x, 0.0, 1.0).data, [0.0, 0.5, 1.0])
        if policy == "chainer5":
            for bounds in ((None, 1.0), (0.0, None)):
                with pytest.raises(TypeError, match=r"x_min=.*, x_max=.*clip_none_bound|"
                                                    r"clip_none_bound.*x_min="):
                    F.clip(x, *bounds)
        else:
            np.testing.assert_array_equal(F.clip(x, None, 1.0).data, [-2.0, 0.5, 1.0])
            np.testing.assert_array_equal(F.clip(x, 0.0, None).data, [0.0, 0.5, 3.0])
            y = F.clip(x, None, 1.0)
            F.sum(y).backward()
            assert x.grad.tolist() == [1.0, 1.0, 0.0]


def test_chainer5_error_classes_of_where_mean_and_str_operands():
    """chainer 5.4.0's own checks (each call run there): F.where asserts on shapes that do not
    broadcast and on a float condition (AssertionError), F.mean indexes x.shape with an axis
    out of range (IndexError), ``Variable + 'x'`` converts with float() (ValueError); 7.8.1
    raises InvalidType, InvalidType, InvalidType and TypeError."""
    def V5(value):
        return refimpl.Variable(np.array(value, np.float32))

    calls = {"where_shape": lambda: F.where(np.ones((2, 3), bool), V5(np.ones((2, 3))), V5([1.0] * 4)),
             "where_dtype": lambda: F.where(np.ones(2, np.float32), V5([1.0, 2.0]), V5([1.0, 2.0])),
             "mean_axis": lambda: F.mean(V5(np.ones((2, 3))), axis=5),
             "str_operand": lambda: F.add(V5([1.0, 2.0]), "x")}
    expected = {"chainer5": {"where_shape": AssertionError, "where_dtype": AssertionError,
                             "mean_axis": IndexError, "str_operand": ValueError},
                "chainer": {"where_shape": refimpl.InvalidType, "where_dtype": refimpl.InvalidType,
                            "mean_axis": refimpl.InvalidType, "str_operand": TypeError},
                "torch": {"where_shape": RuntimeError, "where_dtype": RuntimeError,
                          "mean_axis": IndexError, "str_operand": TypeError}}
    for policy, classes in expected.items():
        with refimpl.semantics(policy):
            for name, call in calls.items():
                with pytest.raises(Exception) as info:
                    call()
                assert type(info.value) is classes[name], (policy, name, info.value)


def test_chainer6_is_chainer_but_for_clip():
    """chainer 6.7.0 behaves as 7.8.1 at every field but ``clip_none_bound`` (the version runs
    show it: the only other red cells of chainer 6.7.0 are missing optimizers and documented
    defects)."""
    differing = {f.name for f in dataclasses.fields(policies.Policy)
                 if getattr(policies.CHAINER6, f.name) != getattr(policies.CHAINER, f.name)}
    # and at two edge inputs (issue 15): max_pooling_2d's one-element tuple (ValueError, run
    # on 6.7.0) and soft targets of softmax_cross_entropy (InvalidType on 6.7.0)
    assert differing == {"name", "clip_none_bound", "error_classes", "label_loss_soft_targets"}
    with refimpl.semantics("chainer6"):
        with pytest.raises(TypeError, match="x_min=None, x_max=1.0"):
            F.clip(V([1.0], "chainer6"), None, 1.0)


@field("matmul_error_names_op")
def test_matmul_error_names_op(policy):
    """linear with inner sizes that differ: torch's RuntimeError message (from torch 2.15 it
    starts with 'mm: '), chainer's InvalidType."""
    x, W = V(np.zeros((6, 4)), policy), V(np.zeros((5, 12)), policy)
    with refimpl.semantics(policy), pytest.raises(Exception) as info:
        F.linear(x, W)
    if policy == "torch":
        assert type(info.value) is RuntimeError
        assert str(info.value).startswith("mat1 and mat2 shapes cannot be multiplied (6x4 and 12x5)")
    else:
        assert isinstance(info.value, refimpl.InvalidType) and "x.shape[1] == W.shape[1]" in str(info.value)


def test_torch29_is_torch_but_for_the_unused_input_message_and_named_axes():
    """torch 2.9.1 behaves as 2.13 at every field but ``grad_unused_input`` (its message names
    no index) and the 'name_axis' error class (a str axis of sum is a named-tensor dimension
    name: RuntimeError; 2.13: TypeError). Its version run: the other red cells are documented
    defects; the GPU run of 2.11.0 agrees."""
    differing = {f.name for f in dataclasses.fields(policies.Policy)
                 if getattr(policies.TORCH29, f.name) != getattr(policies.TORCH, f.name)}
    assert differing == {"name", "grad_unused_input", "error_classes"}
    assert set(policies.TORCH29.error_classes) - set(policies.TORCH.error_classes) == {
        ("name_axis", "RuntimeError")}
    for policy, error in (("torch", TypeError), ("torch29", RuntimeError), ("chainer", TypeError)):
        with refimpl.semantics(policy):
            for reduce in (F.sum, F.mean):
                with pytest.raises(error, match="axis='0'"):
                    reduce(V([[1.0, 2.0]], policy), axis="0")
    with refimpl.semantics("torch29"):
        x, unused = V([1.0], "torch29"), V([2.0], "torch29")
        with pytest.raises(RuntimeError, match="^One of the differentiated Tensors appears to not "
                                               "have been used in the graph"):
            refimpl.grad([F.sum(x * 2)], [x, unused])
        assert refimpl.grad([F.sum(x * 2)], [x, unused], allow_unused=True)[1] is None


def test_torch214_is_torch_but_for_clamp_at_its_bounds_and_bool_sub():
    """torch 2.14.1 (the matrix run): clamp's gradient is 0 at x == min or max, and
    torch.sub(True, 2) raises NotImplementedError, as 2.15.0; everything else as 2.13.0."""
    differing = {f.name for f in dataclasses.fields(policies.Policy)
                 if getattr(policies.TORCH214, f.name) != getattr(policies.TORCH, f.name)}
    assert differing == {"name", "clip_boundary_gradient", "error_classes"}
    assert set(policies.TORCH214.error_classes) - set(policies.TORCH.error_classes) == {
        ("bool_sub", "NotImplementedError"), ("bool_neg", "NotImplementedError")}
    from conformance import frameworks
    assert [frameworks.get("torch").policy_for(v) for v in ("2.9.1", "2.13.0", "2.14.1", "2.15.0")] \
        == ["torch29", "torch", "torch214", "torch215"]
    for policy, expected in (("torch", [1.0, 1.0, 1.0]), ("torch214", [0.0, 1.0, 0.0])):
        with refimpl.semantics(policy):
            x = refimpl.Variable(np.array([-0.5, 0.0, 0.5]), requires_grad=True)
            F.sum(F.clip(x, -0.5, 0.5)).backward()
            assert x.grad.tolist() == expected, policy


def test_torch215_raises_not_implemented_for_integers_where_floats_are_needed():
    """torch 2.15.0: NotImplementedError (a RuntimeError subclass) for the mean and the L2
    normalisation of an int64 tensor, 2.13.0: RuntimeError, same messages (both run here)."""
    assert set(policies.TORCH215.error_classes) - set(policies.TORCH.error_classes) == {
        ("float_dtype", "NotImplementedError"), ("bool_sub", "NotImplementedError"),
        ("bool_neg", "NotImplementedError")}
    for policy, error in (("torch", RuntimeError), ("torch215", NotImplementedError)):
        with refimpl.semantics(policy):
            for function in (F.mean, F.normalize):
                with pytest.raises(RuntimeError, match="x.dtype=int64") as info:
                    function(refimpl.Variable(np.array([[1, 2]])))
                assert type(info.value) is error


def test_torch215_is_torch_but_for_the_mm_message():
    """torch 2.15.0 behaves as 2.13/2.14 at every field but ``matmul_error_names_op`` and the
    'mean_dtype' error class (its version run: the only other red cells are documented
    defects)."""
    differing = {f.name for f in dataclasses.fields(policies.Policy)
                 if getattr(policies.TORCH215, f.name) != getattr(policies.TORCH, f.name)} - {
        "error_classes"}
    # and clamp's gradient at a bound (issue 15 edge inputs, test_torch215_at_the_edge_inputs)
    assert differing == {"name", "matmul_error_names_op", "clip_boundary_gradient"}
    with refimpl.semantics("torch215"), pytest.raises(RuntimeError) as info:
        F.linear(V(np.zeros((6, 4)), "torch215"), V(np.zeros((5, 12)), "torch215"))
    assert str(info.value).startswith("mm: mat1 and mat2 shapes cannot be multiplied (6x4 and 12x5)")


@field("slope_in_graph")
def test_slope_in_graph(policy):
    """grad(abs/relu/leaky_relu(x), x, zeros, create_graph=True): requires grad under torch."""
    for function in (F.abs, F.relu, lambda x: F.leaky_relu(x, 0.1)):
        with refimpl.semantics(policy):
            x = V([1.0, -2.0], policy)
            y = function(x)
            (g,) = refimpl.grad([y], [x], [np.zeros(2, np.float32)], create_graph=True)
        assert g.requires_grad is (policy == "torch")
        np.testing.assert_array_equal(g.data, [0.0, 0.0])


# --- values of an engine that computes with NumPy (MyGrad 2.5.0 is one; its plugin sets them) --

ENGINE = dataclasses.replace(
    policies.TORCH, name="numpy_engine", framework="numpy_engine",
    requires_grad_default="floats", free_graph_after_backward="dismantle",
    nonscalar_backward_without_grad="ones", intermediate_grads="always",
    output_grad_after_backward="keep", backward_without_graph="set_seed",
    leaf_backward_accumulates=False, integer_requires_grad="raise_constant",
    integer_arithmetic="numpy", max_tie_gradient="first", mixed_dtypes="numpy",
    number_operands="numpy", empty_softmax_axis="log_raise", invalid_argument_errors="numpy",
    outputs_require_grad="inputs_floats",
    error_classes=dict(policies.TORCH.error_classes, axis="AxisError", shape="ValueError").items(),
    cast_differentiable=False, grad_accumulation="overwrite")
ENGINE = dataclasses.replace(ENGINE, error_classes=tuple(ENGINE.error_classes))


def E(values, dtype=np.float64, **kwargs):
    with refimpl.semantics(ENGINE):
        return refimpl.Variable(np.array(values, dtype=dtype), **kwargs)


def test_dismantled_graph_turns_outputs_into_leaves():
    with refimpl.semantics(ENGINE):
        x = E([1.0, 2.0])
        z = x * x
        y = F.sum(z)
        y.backward()
        assert (x.grad.tolist(), z.grad.tolist(), float(y.grad)) == ([2, 4], [1, 1], 1.0)
        assert y.creator is None and z.creator is None and z.requires_grad
        y.backward()  # a leaf now: only its own grad is set
        assert x.grad.tolist() == [2, 4]
        w = F.sum(z * 2)  # a graph built afterwards from a dismantled Variable is new
        w.backward()
        assert z.grad.tolist() == [2, 2] and x.grad.tolist() == [2, 4]


def test_dismantled_graph_makes_older_functions_stale():
    with refimpl.semantics(ENGINE):
        x = E([1.0, 2.0])
        c = E([1.0, 1.0], requires_grad=False)
        y1, y2 = F.sum(x * c), F.sum(c * 3 + x)  # y2 shares only the leaves with y1
        y1.backward()
        with pytest.raises(refimpl.errors.InvalidBackprop, match="'cleared' prior to backprop"):
            y2.backward()
        F.sum(x * 3).backward()  # made after: fine
        assert x.grad.tolist() == [3, 3]


def test_engine_values_of_seeds_ties_and_dtypes():
    with refimpl.semantics(ENGINE):
        x = E([1.0, 2.0, 3.0])
        (x * x).backward()  # 'ones': as if summed first
        assert x.grad.tolist() == [2, 4, 6]
        a = E([[3.0, 1.0, 3.0], [3.0, 2.0, 1.0]])
        F.max(a).backward()  # 'first': NumPy's argmax picks the first tie
        assert a.grad.tolist() == [[1, 0, 0], [0, 0, 0]]
        i = E([1, 2], dtype=np.int32)
        assert not i.requires_grad and E([1.0]).requires_grad  # 'floats'
        with pytest.raises(ValueError, match="Integer-valued tensors must be treated as constants"):
            i.requires_grad_(True)
        assert (i / 2).dtype == np.float64 and not (i / 2).requires_grad  # NumPy's true division
        f32 = refimpl.Variable(np.array(0.0, np.float32))
        assert (f32 + 0.0).dtype == np.dtype(np.result_type(np.array(0.0, np.float32), 0.0))
        assert (refimpl.Variable(np.zeros(2, np.float32)) + 0.0).dtype == np.float32
        assert F.clip(f32, None, 0.0).dtype == np.dtype(np.result_type(np.array(0.0, np.float32), 0.0))
        assert F.clip(refimpl.Variable(np.zeros(2, np.float32)), None, 0.0).dtype == np.float32
        assert (i + refimpl.Variable(np.ones(2, np.float32))).dtype == np.result_type(np.int32, np.float32)
        index = F.argmax(x)  # 'inputs_floats': an integer output is outside the graph
        assert index.creator is None and not index.requires_grad and (x * 2).creator is not None
        assert F.add(2, 3).dtype == np.int64 and F.where(np.array([True]), 2.0, 3.0).dtype == np.float64
        assert F.softmax(E(np.zeros((2, 0))), 1).shape == (2, 0)
        with pytest.raises(ValueError, match="zero-size array"):
            F.log_softmax(E(np.zeros((2, 0))), 1)
        with pytest.raises(getattr(np, "exceptions", np).AxisError):  # numpy 2 moved it
            F.sum(E(np.ones((2, 3))), axis=2)
        assert F.mean(E([1, 2], dtype=np.int64)).dtype == np.float64  # NumPy's mean of integers
        assert F.where(np.array([2.0, 0.0]), E([1.0, 2.0]), E([3.0, 4.0])).data.tolist() == [1, 4]
        with pytest.raises(ValueError, match="must match exactly, but along dimension 1"):
            F.concat([E(np.ones((2, 3))), E(np.ones((2, 2)))], axis=0)


def test_promotion_stays_differentiable_when_cast_is_not():
    with refimpl.semantics(ENGINE):
        x = E([1.0, 2.0], dtype=np.float32)
        y = F.sum(x * E([2.0, 2.0]))  # float32 * float64: a Cast node refimpl makes itself
        y.backward()
        assert y.dtype == np.float64 and x.grad.tolist() == [2, 2] and x.grad.dtype == np.float32


@field("matmul_mixed_dtypes")
def test_matmul_mixed_dtypes(policy):
    with refimpl.semantics(policy):
        a = V([[1, 2], [3, 4]], policy)
        b = V([[1, 0], [0, 2]], policy, dtype=np.float64)
        if policy == "torch":
            with pytest.raises(RuntimeError, match="one dtype"):
                F.matmul(a, b)
            return
        y = F.matmul(a, b)
        F.sum(y).backward()
    assert y.dtype == np.float64 and y.data.tolist() == [[1, 4], [3, 8]]
    assert a.grad.dtype == np.float32 and a.grad.tolist() == [[1, 2], [1, 2]]
    assert b.grad.dtype == np.float64 and b.grad.tolist() == [[4, 4], [6, 6]]


@field("cast_differentiable")
def test_cast_differentiable(policy):
    for active in (policy, dataclasses.replace(policies.get_policy(policy), name="nodiff",
                                                cast_differentiable=False)):
        with refimpl.semantics(active):
            x = V([1.0, 2.0], policy, dtype=np.float64)
            c = F.cast(F.cast(x, np.float32), np.float64)
            F.sum(c * 2 + x).backward()
            if active == policy:
                assert c.creator is not None and x.grad.tolist() == [3, 3]
            else:  # a new leaf (requires grad as a Variable made by the user): only x's own path
                assert c.creator is None and x.grad.tolist() == [1, 1]
                assert c.requires_grad == bool(active.requires_grad_default)


@field("grad_accumulation")
def test_grad_accumulation(policy):
    for active in (policy, dataclasses.replace(policies.get_policy(policy), name="overwrite",
                                                grad_accumulation="overwrite")):
        with refimpl.semantics(active):
            x = V([1.0, 2.0], policy)
            F.sum(x * x).backward()
            F.sum(x * 3).backward()
        assert x.grad.tolist() == ([5, 7] if active == policy else [3, 3])


@field("binary_extremum_tie_gradient")
def test_binary_extremum_tie_gradient(policy):
    expected = {"torch": {"maximum": ([0.5, 0, 0.5], [0.5, 1, 0.5]),
                          "minimum": ([0.5, 1, 0.5], [0.5, 0, 0.5])},
                "chainer": {"maximum": ([1, 0, 1], [0, 1, 0]), "minimum": ([1, 1, 1], [0, 0, 0])}}
    for op in ("maximum", "minimum"):
        with refimpl.semantics(policy):
            a, b = V([1, 2, 3], policy), V([1, 3, 3], policy)
            F.sum(getattr(F, op)(a, b)).backward()
        a_grad, b_grad = expected["torch" if policy == "torch" else "chainer"][op]
        assert a.grad.tolist() == a_grad and b.grad.tolist() == b_grad, (op, a.grad, b.grad)


@field("hard_sigmoid_slope")
def test_hard_sigmoid_slope(policy):
    with refimpl.semantics(policy):
        x = V([-3.0, -2.5, 0.0, 1.0, 2.5, 3.0], policy, dtype=np.float64)
        y = F.hard_sigmoid(x)
        F.sum(y).backward()
    if policy == "torch":
        np.testing.assert_allclose(y.data, [0, 1 / 12, 0.5, 2 / 3, 11 / 12, 1])
        np.testing.assert_allclose(x.grad, [0, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 0])
    else:
        np.testing.assert_allclose(y.data, [0, 0, 0.5, 0.7, 1, 1])
        np.testing.assert_allclose(x.grad, [0, 0, 0.2, 0.2, 0, 0])


@field("softplus_threshold")
def test_softplus_threshold(policy):
    with refimpl.semantics(policy):
        x = V([21.0, 1.0], policy, dtype=np.float64)
        y = F.softplus(x)
        F.sum(y).backward()
        explicit = F.softplus(V([21.0], policy, dtype=np.float64), threshold=30.0)
    assert y.data[1] == np.log1p(np.e) and explicit.data[0] != 21.0
    if policy == "torch":  # beta x = 21 > 20: x itself, gradient exactly 1
        assert y.data[0] == 21.0 and x.grad[0] == 1.0
    else:  # the formula: 21 + 7.6e-10, gradient sigmoid(21)
        assert y.data[0] == 21.0 + np.log1p(np.exp(-21.0)) > 21.0 and x.grad[0] < 1.0


@field("step_functions_in_graph")
def test_step_functions_in_graph(policy):
    for op in (F.floor, F.ceil, F.sign):
        with refimpl.semantics(policy):
            x = V([1.5, -2.5, 0.25], policy)
            y = op(x)
            (gx,) = refimpl.grad([F.sum(y * 2.0)], [x], allow_unused=True)
        if policy == "torch":
            assert y.requires_grad and y.creator is not None and gx.data.tolist() == [0, 0, 0]
        else:
            assert not y.requires_grad and y.creator is None and gx is None


# --- normalisation and regularisation (issue 17) ----------------------------------------------

def _bn_running(policy, average):
    from refimpl import nn
    with refimpl.semantics(policy):
        layer = nn.BatchNormalization(2, average=average, dtype=np.float64)
        layer(refimpl.Variable(np.array([[1.0, -2.0], [3.0, 0.0], [2.0, 4.0]])))
        return layer.running_mean, layer.running_var, layer.eps


@field("batch_norm_eps")
def test_batch_norm_eps(policy):
    eps = 1e-5 if policy == "torch" else 2e-5
    x = np.array([[1.0, 2.0], [1.002, 2.004]])
    with refimpl.semantics(policy):
        y = F.batch_normalization(refimpl.Variable(x)).data
        fixed = F.fixed_batch_normalization(refimpl.Variable(x), None, None, np.zeros(2),
                                            np.zeros(2)).data
    centred = x - x.mean(0)
    np.testing.assert_allclose(y, centred / np.sqrt(x.var(0) + eps), rtol=1e-12)
    np.testing.assert_allclose(fixed, x / np.sqrt(eps), rtol=1e-12)
    assert _bn_running(policy, None)[2] == eps


@field("batch_norm_average_argument")
def test_batch_norm_average_argument(policy):
    batch_mean = np.array([2.0, 2.0 / 3.0])
    unbiased = np.array([1.0, 28.0 / 3.0])  # n / (n - 1) times the biased variance
    weight = 0.3 if policy == "torch" else 0.7  # momentum 0.3 vs decay 0.3
    mean, var, _ = _bn_running(policy, 0.3)
    np.testing.assert_allclose(mean, weight * batch_mean, rtol=1e-12)
    np.testing.assert_allclose(var, (1 - weight) + weight * unbiased, rtol=1e-12)
    mean, var, _ = _bn_running(policy, None)  # the defaults weigh the batch 0.1 in both
    np.testing.assert_allclose(mean, 0.1 * batch_mean, rtol=1e-12)


@field("norm_single_value")
def test_norm_single_value(policy):
    x = np.array([[1.0, 2.0, 3.0]])
    with refimpl.semantics(policy):
        if policy == "torch":
            with pytest.raises(ValueError, match="more than 1 value per channel"):
                F.batch_normalization(refimpl.Variable(x))
            with pytest.raises(ValueError, match="more than 1 value per channel"):
                F.group_normalization(refimpl.Variable(x[..., None]), 3)
        else:
            beta = np.array([0.5, -1.0, 2.0])
            assert F.batch_normalization(refimpl.Variable(x), None, beta).data.tolist() == [
                [0.5, -1.0, 2.0]]
            assert F.group_normalization(refimpl.Variable(x[..., None]), 3).data.tolist() == [
                [[0], [0], [0]]]
        # two values per channel are fine in both
        assert F.batch_normalization(refimpl.Variable(np.ones((2, 3)))).shape == (2, 3)


@field("layer_norm_layer_eps")
def test_layer_norm_layer_eps(policy):
    from refimpl import nn
    x = np.array([[1.0, 1.002]])
    with refimpl.semantics(policy):
        layer = nn.LayerNormalization(2, dtype=np.float64)
        y = layer(refimpl.Variable(x)).data
        function = F.layer_normalization(refimpl.Variable(x)).data
    eps = 1e-5 if policy == "torch" else 1e-6
    assert layer.eps == eps
    np.testing.assert_allclose(y, (x - x.mean()) / np.sqrt(x.var() + eps), rtol=1e-12)
    np.testing.assert_allclose(function, (x - x.mean()) / np.sqrt(x.var() + 1e-5), rtol=1e-12)


def _lrn(policy, x, **kwargs):
    with refimpl.semantics(policy):
        return F.local_response_normalization(refimpl.Variable(x), **kwargs).data


CHANNELS = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1)


@field("lrn_k")
def test_lrn_k(policy):
    k = 1.0 if policy == "torch" else 2.0
    y = _lrn(policy, CHANNELS, n=1, alpha=0.0, beta=1.0)
    np.testing.assert_allclose(y, CHANNELS / k)


@field("lrn_alpha_over_size")
def test_lrn_alpha_over_size(policy):
    squares = CHANNELS[0, :, 0] ** 2
    window = np.array([squares[:2].sum(), squares[:3].sum(), squares[1:].sum(), squares[2:].sum()])
    alpha = 0.3 / 3 if policy == "torch" else 0.3
    y = _lrn(policy, CHANNELS, n=3, k=1.0, alpha=0.3, beta=1.0)
    np.testing.assert_allclose(y[0, :, 0], CHANNELS[0, :, 0] / (1 + alpha * window))


@field("lrn_window")
def test_lrn_window(policy):
    squares = CHANNELS[0, :, 0] ** 2
    if policy == "torch":  # n = 2 channels: c - 1 .. c
        window = np.array([squares[0], squares[0] + squares[1], squares[1] + squares[2],
                           squares[2] + squares[3]])
        alpha = 0.5 / 2
    else:  # n + 1 = 3 channels: c - 1 .. c + 1
        window = np.array([squares[:2].sum(), squares[:3].sum(), squares[1:].sum(),
                           squares[2:].sum()])
        alpha = 0.5
    y = _lrn(policy, CHANNELS, n=2, k=1.0, alpha=0.5, beta=1.0)
    np.testing.assert_allclose(y[0, :, 0], CHANNELS[0, :, 0] / (1 + alpha * window))
    if policy == "torch":  # no window of 0 channels
        with pytest.raises(RuntimeError, match="n must be an integer >= 1"):
            _lrn(policy, CHANNELS, n=0)
    else:  # n // 2 = 0 channels either side: channel c alone
        np.testing.assert_allclose(_lrn(policy, CHANNELS, n=0, k=1.0, alpha=0.5, beta=1.0),
                                   CHANNELS / (1 + 0.5 * CHANNELS ** 2))


@field("lrn_min_ndim")
def test_lrn_min_ndim(policy):
    flat = np.array([[1.0, 2.0, 3.0, 4.0]])
    if policy == "torch":
        with pytest.raises(RuntimeError, match="at least 3 axes"):
            _lrn(policy, flat, n=3)
    else:
        np.testing.assert_allclose(_lrn(policy, flat, n=3), _lrn(policy, CHANNELS, n=3)[..., 0])


@field("dropout_ratio_one")
def test_dropout_ratio_one(policy):
    with refimpl.semantics(policy):
        x = V([1.0, -2.0], policy)
        if policy == "torch":
            y = F.dropout(x, 1.0)
            assert y.data.tolist() == [0, 0]
            F.sum(y).backward()
            assert x.grad.tolist() == [0, 0]
        else:
            with pytest.raises(ValueError, match="ratio"):
                F.dropout(x, 1.0)
        assert F.dropout(x, 1.0, train=False) is x  # out of training: the input itself


@field("dropout_train_default")
def test_dropout_train_default(policy):
    from refimpl.functions.normalization import train_mode
    x = np.ones(400, np.float32)
    with refimpl.semantics(policy):
        with train_mode(False):
            y = F.dropout(x, 0.5).data
            assert (F.dropout(x, 0.5, train=True).data == 0).any()  # told: it drops
        dropped_outside = (F.dropout(x, 0.5).data == 0).any()
    assert dropped_outside  # the global mode is training by default
    if policy == "torch":  # F.dropout's training=True ignores any mode
        assert (y == 0).any() and set(np.unique(y)) == {0, 2}
    else:
        np.testing.assert_array_equal(y, x)


@field("rrelu_train_default")
def test_rrelu_train_default(policy):
    from refimpl.functions.normalization import train_mode
    x = -np.ones(400, np.float32)
    mean_slope = lambda y: np.array_equal(y, np.full(400, -0.25, np.float32))  # noqa: E731
    with refimpl.semantics(policy):
        default = F.rrelu(x, 0.125, 0.375, rng=0).data
        told_to_train = F.rrelu(x, 0.125, 0.375, train=True, rng=0).data
        with train_mode(False):
            in_evaluation = F.rrelu(x, 0.125, 0.375, rng=0).data
    assert not mean_slope(told_to_train) and mean_slope(in_evaluation)
    # torch's F.rrelu defaults to training=False; chainer's reads the global mode (True)
    assert mean_slope(default) == (policy.startswith("torch"))


@field("rrelu_zero_input")
def test_rrelu_zero_input(policy):
    x = V([0.0, 0.0, -1.0, 2.0], policy, dtype=np.float64)
    with refimpl.semantics(policy):
        y = F.rrelu(x, 0.125, 0.375, train=True, rng=3)
        (gx,) = refimpl.grad([F.sum(y)], [x])
    slopes = np.random.default_rng(3).uniform(0.125, 0.375, 4)
    np.testing.assert_array_equal(y.data, [0.0, 0.0, -slopes[2], 2.0])
    zero_side = slopes[:2] if refimpl.POLICIES[policy].rrelu_zero_input == "random_slope" else 1
    np.testing.assert_array_equal(gx.data, np.concatenate([np.broadcast_to(zero_side, 2),
                                                           [slopes[2], 1.0]]))
    assert (refimpl.POLICIES[policy].rrelu_zero_input == "random_slope") == \
        policy.startswith("torch")


@field("embed_ignore_label")
def test_embed_ignore_label(policy):
    W_values = np.arange(12.0).reshape(4, 3)
    with refimpl.semantics(policy):
        W = refimpl.Variable(W_values, requires_grad=True)
        y = F.embed_id(np.array([0, 2, 1, 2]), W, ignore_label=2)
        F.sum(y).backward()
    looked_up = W_values[[0, 2, 1, 2]]
    if policy == "torch":
        np.testing.assert_array_equal(y.data, looked_up)
    else:
        np.testing.assert_array_equal(y.data, looked_up * np.array([[1], [0], [1], [0]]))
    assert W.grad.tolist() == [[1] * 3, [1] * 3, [0] * 3, [0] * 3]  # no gradient in either


@field("embed_negative_index")
def test_embed_negative_index(policy):
    W = np.arange(12.0).reshape(4, 3)
    with refimpl.semantics(policy):
        if policy == "torch":
            with pytest.raises(IndexError):
                F.embed_id(np.array([0, -1]), W)
        else:
            assert F.embed_id(np.array([0, -1]), W).data.tolist() == [W[0].tolist(),
                                                                       W[3].tolist()]
        with pytest.raises(IndexError):
            F.embed_id(np.array([0, 4]), W)


@field("group_norm_min_ndim")
def test_group_norm_min_ndim(policy):
    x = np.array([[1.0, 2.0, 4.0, 8.0], [0.5, -1.0, 3.0, 0.0]])
    with refimpl.semantics(policy):
        if policy == "chainer5":
            with pytest.raises(ValueError, match="at least 3 axes"):
                F.group_normalization(refimpl.Variable(x), 2)
        else:
            y = F.group_normalization(refimpl.Variable(x), 2).data
            grouped = x.reshape(2, 2, 2)
            expected = (grouped - grouped.mean(2, keepdims=True)) / np.sqrt(
                grouped.var(2, keepdims=True) + 1e-5)
            np.testing.assert_allclose(y, expected.reshape(2, 4), rtol=1e-12)
        assert F.group_normalization(refimpl.Variable(x[:, :, None]), 2).shape == (2, 4, 1)


def _nonfinite_marks(array):
    """'n' (NaN), '+' (+inf), '-' (-inf) or 'f' (finite) per element, as nested lists."""
    return np.select([np.isnan(array), np.isposinf(array), np.isneginf(array)],
                     ["n", "+", "-"], "f").tolist()


@field("layer_norm_gradient")
@pytest.mark.parametrize("create_graph", [False, True])
def test_layer_norm_gradient(policy, create_graph):
    """layer_normalization's gradients from the seed rows (+inf at 0, -inf at 2, NaN at 1):
    torch's dx = rstd g + b x + c from the uncentred sums gives -inf at row 0's other
    negative x (mean > 0) and +inf at row 1's other positive x (mean < 0), NaN elsewhere;
    chainer's composite backward NaN throughout. Finite seeds give the same values."""
    nan, inf = np.nan, np.inf
    x = [[-1.0, -0.5, 3.5, 2.5], [-3.0, 1.0, 0.5, -0.25], [1.0, -2.0, 0.5, 3.0]]
    finite_seed = np.array([[2.0, 1.0, -0.5, 2.0], [0.5, 1.5, -1.0, 1.0],
                            [-1.0, 0.75, 0.25, 0.5]])

    def grads(semantics, seed):
        leaves = [V(v, semantics, dtype=np.float64)
                  for v in (x, [1.5, -0.5, 1.0, 2.0], [0.25, 0.0, -1.0, 0.5])]
        with refimpl.semantics(semantics), np.errstate(invalid="ignore"):
            return [g.data for g in refimpl.grad([F.layer_normalization(*leaves, eps=1e-3)],
                                                 leaves, [seed], create_graph=create_graph)]
    gx, ggamma, gbeta = grads(policy, np.array([[inf, 1.0, -0.5, 2.0], [0.5, 1.5, -inf, 1.0],
                                                [-1.0, nan, 0.25, 0.5]]))
    moments = [["n", "-", "n", "n"], ["n", "+", "n", "n"], ["n"] * 4]
    assert _nonfinite_marks(gx) == (moments if policy.startswith("torch")
                                    else [["n"] * 4] * 3)
    assert _nonfinite_marks(ggamma) == ["-", "n", "-", "f"]
    assert _nonfinite_marks(gbeta) == ["+", "n", "-", "f"]
    for mine, other in zip(grads(policy, finite_seed), grads("torch", finite_seed)):
        np.testing.assert_allclose(mine, other, rtol=1e-12, atol=1e-12)


@field("group_norm_gradient")
@pytest.mark.parametrize("create_graph", [False, True])
def test_group_norm_gradient(policy, create_graph):
    """group_normalization (2 groups) from a seed with +inf in sample 0's group 0 and -inf in
    sample 1's group 1: torch's uncentred sums give NaN throughout both groups and NaN in
    gamma's gradient for the channels hit (ds - db mean: inf - inf); chainer's centred
    _XHatGrad gives -inf or NaN by the signs of x - mean and -inf in gamma's gradient."""
    inf = np.inf
    x = [[[0.5, 1.5], [2.5, 3.25], [-1.0, 0.25], [-2.5, 1.0]],
         [[-0.75, 2.0], [1.25, 0.5], [-3.0, -1.5], [-0.5, -2.25]]]
    seed = [[[1.0, inf], [0.5, -1.0], [2.0, -0.5], [1.0, 0.25]],
            [[-1.0, 1.5], [0.75, 2.0], [0.5, 1.0], [-inf, -0.25]]]
    leaves = [V(v, policy, dtype=np.float64) for v in (x, [1.5, -0.5, 1.0, 2.0],
                                                       [0.25, 0.0, -1.0, 0.5])]
    with refimpl.semantics(policy), np.errstate(invalid="ignore"):
        gx, ggamma, gbeta = [g.data for g in refimpl.grad(
            [F.group_normalization(leaves[0], 2, leaves[1], leaves[2], eps=1e-3)], leaves,
            [np.array(seed)], create_graph=create_graph)]
    finite = [["f", "f"], ["f", "f"]]
    if policy.startswith("torch"):
        assert _nonfinite_marks(gx) == [[["n", "n"], ["n", "n"]] + finite,
                                        finite + [["n", "n"], ["n", "n"]]]
        assert _nonfinite_marks(ggamma) == ["n", "f", "f", "n"]
    else:
        assert _nonfinite_marks(gx) == [[["-", "n"], ["n", "n"]] + finite,
                                        finite + [["n", "+"], ["n", "n"]]]
        assert _nonfinite_marks(ggamma) == ["-", "f", "f", "-"]
    assert _nonfinite_marks(gbeta) == ["+", "f", "f", "-"]
# --- engine semantics and learning-rate schedules (issue 17) -------------------------------

@field("in_place_version_check")
def test_in_place_version_check(policy):
    """c = b * b saves b; b.add_(1) bumps b's version: torch-like policies raise at backward,
    chainer-like ones use the edited b. b + 1 saves nothing; a * 2 saves only the constant."""
    checked = policies.get_policy(policy).in_place_version_check
    with refimpl.semantics(policy):
        a = V([1.0, 2.0, 3.0], policy)
        b = a * 2
        c = b * b
        b.add_(1)
        assert b._version == 1 and b.data.tolist() == [3, 5, 7]
        if checked:
            with pytest.raises(RuntimeError, match="modified by an inplace operation: input 0 "
                                                   "of Mul .* at version 1; expected version 0"):
                F.sum(c).backward()
        else:
            F.sum(c).backward()
            assert a.grad.tolist() == [12, 20, 28]
        a = V([1.0, 2.0, 3.0], policy)
        d = (a * 2) + 1
        a.add_(1)  # a * 2 saved only the constant 2
        F.sum(d).backward()
        assert a.grad.tolist() == [2, 2, 2]


@field("grad_assignment_errors")
def test_grad_assignment_errors(policy):
    torch_like = policies.get_policy(policy).grad_assignment_errors == "torch"
    x = V([1.0, 2.0, 3.0], policy)
    with refimpl.semantics(policy):
        with pytest.raises(RuntimeError if torch_like else ValueError,
                           match=r"size '\[2\]' to a tensor of size '\[3\]'" if torch_like
                           else r"grad: \(2,\) != data: \(3,\)"):
            x.grad = np.zeros(2, np.float32)
        with pytest.raises(RuntimeError if torch_like else TypeError,
                           match="with dtype 'float64'" if torch_like
                           else "grad: float64 != data: float32"):
            x.grad = np.zeros(3, np.float64)
        assert x.grad is None
        x.grad = np.ones(3, np.float32)
        assert x.grad.tolist() == [1, 1, 1]


@field("leaf_grad_storage")
def test_leaf_grad_storage(policy):
    """'own_buffer': the second backward adds into the first grad array (and into an array
    the user assigned), laid out like the leaf; 'computed': new arrays, the computed layout."""
    own = policies.get_policy(policy).leaf_grad_storage == "own_buffer"
    with refimpl.semantics(policy):
        x = V([1.0, 2.0], policy)
        F.sum(x * x).backward()
        first = x.grad
        F.sum(x * x).backward()
        assert (first is x.grad) == own
        assert first.tolist() == ([4, 8] if own else [2, 4]) and x.grad.tolist() == [4, 8]
        assigned = np.ones(2, np.float32)
        x = V([1.0, 2.0], policy)
        x.grad = assigned
        F.sum(x * x).backward()
        assert assigned.tolist() == ([3, 5] if own else [1, 1])
        x = V(np.arange(6.0).reshape(2, 3).T, policy)
        F.sum(x).backward()
        assert x.grad.strides == ((4, 12) if own else (0, 0))
        x = V([1.0, 2.0], policy)  # create_graph: always a new sum
        F.sum(x * x).backward(create_graph=True)
        first = x.grad
        F.sum(x * x).backward(create_graph=True)
        assert first.tolist() == [2, 4]


@field("lr_schedule_form", "multistep_repeated_milestones")
def test_lr_schedules(policy):
    """The values of torch 2.13's schedulers and chainer 7.8.1's extensions (run by
    conformance/behaviours/engine_more.py), written out."""
    from refimpl.schedules import lr_sequence
    active = policies.get_policy(policy)
    with refimpl.semantics(policy):
        assert lr_sequence("exponential", 1.0, 3, gamma=0.5) == [1, 0.5, 0.25, 0.125]
        assert lr_sequence("step", 1.0, 5, step_size=2, gamma=0.5) == [1, 1, 0.5, 0.5, 0.25, 0.25]
        assert lr_sequence("polynomial", 1.0, 5, total_iters=4, power=2.0) == pytest.approx(
            [1, 0.5625, 0.25, 0.0625, 0, 0])
        assert lr_sequence("linear", 1.0, 5, start_factor=0.25, end_factor=1.0,
                           total_iters=4) == pytest.approx([0.25, 0.4375, 0.625, 0.8125, 1, 1])
        by_hand = lr_sequence("exponential", 1.0, 3, set_lr=(1, 0.8), gamma=0.5)
        assert by_hand == ([1, 0.8, 0.4, 0.2] if active.lr_schedule_form == "recursive"
                           else [1, 0.8, 0.25, 0.125])
        repeated = lr_sequence("multistep", 1.0, 4, milestones=(2, 2, 4), gamma=0.5)
        unsorted = lr_sequence("multistep", 1.0, 5, milestones=(4, 2), gamma=0.5)
        if active.multistep_repeated_milestones == "count":
            assert repeated == [1, 1, 0.25, 0.25, 0.125]
            assert unsorted == [1, 1, 0.5, 0.5, 0.25, 0.25]
        else:
            assert repeated == [1, 1, 0.5, 0.25, 0.125]
            assert unsorted == [1, 1, 1, 1, 0.5, 0.25]
        with pytest.raises(ValueError, match="kind='cosine'"):
            lr_sequence("cosine", 1.0, 3)


@field("momentum_lr_form")
def test_momentum_lr_form(policy):
    """Gradient 1, momentum 0.9, lr 0.1, 0.1, 0.01, 0.01 from p = 0 (the values torch 2.13's
    SGD and chainer 7.8.1's MomentumSGD give, conformance/behaviours/engine_more.py)."""
    from refimpl.optimizers.rules import momentum_step
    param, state, values = np.zeros(1), {}, []
    with refimpl.semantics(policy):
        for lr in (0.1, 0.1, 0.01, 0.01):
            param, state = momentum_step(param, np.ones(1), state, lr, 0.9)
            values.append(param.item())
    expected = ([-0.1, -0.29, -0.3171, -0.35149]
                if policies.get_policy(policy).momentum_lr_form == "lr_outside"
                else [-0.1, -0.29, -0.471, -0.6439])
    assert values == pytest.approx(expected)


# --- layers: convolutions, PReLU, Bilinear, GRU (issue 17) -----------------------------------

@field("conv_transpose_output_size")
def test_conv_transpose_output_size(policy):
    """A 3x3 input, kernel 3, stride 2 (natural size 7): torch takes output sizes 7 and 8 (as
    output_padding), chainer's outsize 6, 7 and 8 (6 drops the last taps)."""
    from refimpl.nn.layers_more import ConvTranspose2d
    with refimpl.semantics(policy):
        layer = ConvTranspose2d(1, 1, 3, stride=2, initial_weight=np.ones((1, 1, 3, 3)),
                                initial_bias=np.zeros(1))
        x = V(np.ones((1, 1, 3, 3)), policy)
        assert layer(x, 8).shape == (1, 1, 8, 8)
        with pytest.raises(ValueError):
            layer(x, 9)
        if policy == "torch":
            with pytest.raises(ValueError, match="valid sizes range from"):
                layer(x, 6)
        else:
            y = layer(x, 6)
            np.testing.assert_array_equal(y.data, layer(x)[:, :, :6, :6].data)


@field("depthwise_weight_layout")
def test_depthwise_weight_layout(policy):
    """Two channels, multiplier 2: torch's W (4, 1, 1, 1) rows are channel 0's two filters then
    channel 1's; chainer's W (2, 2, 1, 1) is [multiplier, channel]."""
    x = np.array([1.0, 10.0]).reshape(1, 2, 1, 1)
    with refimpl.semantics(policy):
        if policy == "torch":
            W = np.array([1.0, 2.0, 3.0, 4.0]).reshape(4, 1, 1, 1)
        else:
            W = np.array([[1.0, 3.0], [2.0, 4.0]]).reshape(2, 2, 1, 1)  # W[j, c]
        y = F.depthwise_conv2d(x, W)
        assert y.data.ravel().tolist() == [1.0, 2.0, 30.0, 40.0]
        with pytest.raises(ValueError, match="depthwise_conv2d: W must be"):
            F.depthwise_conv2d(x, np.ones((2, 2, 1, 1) if policy == "torch" else (4, 1, 1, 1)))


@field("prelu_slope_shape")
def test_prelu_slope_shape(policy):
    from refimpl.nn.layers_more import PReLU
    x = -np.ones((2, 3, 4))
    with refimpl.semantics(policy):
        torch_like = policy == "torch"
        assert PReLU().weight.shape == ((1,) if torch_like else ())
        assert F.prelu(x, np.full(3, 0.5)).data.tolist() == (-0.5 * np.ones((2, 3, 4))).tolist()
        for slope in (np.full((1,), 0.5), np.full((3, 4), 0.5)):  # (1,) torch only, (3, 4) chainer only
            accepted = torch_like == (slope.ndim == 1)
            if accepted:
                assert F.prelu(x, slope).data.min() == -0.5
            else:
                with pytest.raises(ValueError, match="prelu: W"):
                    F.prelu(x, slope)


@field("prelu_zero_gradient")
def test_prelu_zero_gradient(policy):
    with refimpl.semantics(policy):
        x = V([-1.0, 0.0, 2.0], policy, dtype=np.float64)
        y = F.prelu(x, np.array(0.25))
        assert y.data.tolist() == [-0.25, 0.0, 2.0]
        F.sum(y).backward()
        assert x.grad.tolist() == [0.25, 0.25 if policy == "torch" else 1.0, 1.0]


@field("bilinear_weight_layout", "bilinear_linear_terms")
def test_bilinear_layout_and_linear_terms(policy):
    from refimpl.nn.layers_more import Bilinear
    x1, x2 = np.array([[1.0, 2.0]]), np.array([[3.0, 5.0, 7.0]])
    W = np.arange(24, dtype=np.float64).reshape(4, 2, 3)  # torch's (out, in1, in2)
    expected = np.einsum("ni,oij,nj->no", x1, W, x2)
    with refimpl.semantics(policy):
        torch_like = policy == "torch"
        given = W if torch_like else W.transpose(1, 2, 0)
        np.testing.assert_array_equal(F.bilinear(x1, x2, given).data, expected)
        with pytest.raises(ValueError, match="bilinear: W must be"):
            F.bilinear(x1, x2, W.transpose(1, 2, 0) if torch_like else W)
        names = {name: p.shape for name, p in Bilinear(2, 3, 4).named_parameters()}
        if torch_like:
            assert names == {"weight": (4, 2, 3), "bias": (4,)}
        else:
            assert names == {"weight": (2, 3, 4), "V1": (2, 4), "V2": (3, 4), "bias": (4,)}
            assert Bilinear(2, 3, 4).bias.data.tolist() == [0.0] * 4
        assert [n for n, _ in Bilinear(2, 3, 4, bias=False).named_parameters()] == ["weight"]


@field("bilinear_x2_gradient")
@pytest.mark.parametrize("create_graph", [False, True])
def test_bilinear_x2_gradient(policy, create_graph):
    """bilinear from the seed [[inf]]: torch's x2 gradient is gy times the finite x1 W
    ([0.5, -1.5, 0.75]), chainer's sums gy x1[i] W[i, j] over i (products 1 and -0.5 at j = 0:
    inf - inf = NaN); the x1 and W gradients are alike."""
    nan, inf = np.nan, np.inf
    x1, x2 = V([[1.0, -0.5]], policy), V([[0.5, -1.0, 2.0]], policy)
    W = V([[[1.0, -1.0, 0.5], [1.0, 1.0, -0.5]]], policy)
    gy = V([[inf]], policy, requires_grad=create_graph)
    with refimpl.semantics(policy), np.errstate(invalid="ignore"):
        g1, g2, gW = refimpl.grad([F.bilinear(x1, x2, W, layout="out_in1_in2")], [x1, x2, W],
                                  [gy], create_graph=create_graph)
    expected = [[inf, -inf, inf]] if policy == "torch" else [[nan, -inf, inf]]
    np.testing.assert_array_equal(g2.data, expected)
    np.testing.assert_array_equal(g1.data, [[inf, nan]])
    np.testing.assert_array_equal(gW.data, [[[inf, -inf, inf], [-inf, inf, -inf]]])


@field("gru_cell_reset_gate", "gru_cell_update_gate")
def test_gru_cell_formula(policy):
    """One unit, one input; weights chosen so that r = z = sigmoid(0) = 1/2 and the hidden
    block of n is 2 h + 1: torch n = tanh(x + r (2 h + 1)), h' = (1 - z) n + z h; chainer
    h_bar = tanh(x + 2 (r h) + 1), h' = z h_bar + (1 - z) h."""
    x, h = np.array([[0.5]]), np.array([[1.0]])
    W_ih = np.array([[0.0], [0.0], [1.0]])
    W_hh = np.array([[0.0], [0.0], [2.0]])
    b_hh = np.array([0.0, 0.0, 1.0])
    with refimpl.semantics(policy):
        y = F.gru_cell(x, h, W_ih, W_hh, None, b_hh).data.item()
    if policy == "torch":
        assert y == pytest.approx(0.5 * np.tanh(0.5 + 0.5 * 3.0) + 0.5 * 1.0)
    else:
        assert y == pytest.approx(0.5 * np.tanh(0.5 + 2 * 0.5 + 1.0) + 0.5 * 1.0)
    # the update gate alone: z = sigmoid(2) != 1/2 tells which term it weighs
    W_hh_z = np.array([[0.0], [2.0], [0.0]])
    with refimpl.semantics(policy):
        y = F.gru_cell(x, h, W_ih, W_hh_z).data.item()
    z, n = 1 / (1 + np.exp(-2.0)), np.tanh(0.5)
    assert y == pytest.approx((1 - z) * n + z * 1.0 if policy == "torch" else z * n + (1 - z) * 1.0)


# --- losses and shape/maths ops (issue 17) ----------------------------------------------------

def _chainer_like(policy):
    return policies.get_policy(policy).framework == "chainer"


@field("huber_loss_reduction")
def test_huber_loss_reduction(policy):
    x = np.array([[0.5, -2.0, 3.0], [0.0, 1.5, -0.25]])
    elements = np.where(np.abs(x) <= 1, 0.5 * x * x, np.abs(x) - 0.5)
    with refimpl.semantics(policy):
        y = F.huber_loss(V(x, policy, dtype=np.float64), np.zeros_like(x), 1.0)
        np.testing.assert_allclose(F.huber_loss(x, np.zeros_like(x), 1.0, "none").data, elements)
    expected = elements.sum(axis=1) if _chainer_like(policy) else elements.mean()
    np.testing.assert_allclose(y.data, expected)


@field("l1_loss_reduction")
def test_l1_loss_reduction(policy):
    x, t = np.array([0.5, -2.0, 3.0]), np.array([1.0, 0.0, 0.0])
    with refimpl.semantics(policy):
        y = F.l1_loss(x, t)
    np.testing.assert_allclose(y.data, np.abs(x - t) if _chainer_like(policy)
                               else np.abs(x - t).mean())


@field("gaussian_nll_reduction", "gaussian_nll_full")
def test_gaussian_nll_defaults(policy):
    x, mean, ln_var = np.array([1.0, 2.0]), np.zeros(2), np.array([0.0, 1.0])
    elements = 0.5 * (ln_var + x ** 2 * np.exp(-ln_var))
    with refimpl.semantics(policy):
        y = F.gaussian_nll(x, mean, ln_var)
    if _chainer_like(policy):  # chainer F.gaussian_nll: sum, with 0.5 log(2 pi)
        np.testing.assert_allclose(y.data, (elements + 0.5 * np.log(2 * np.pi)).sum())
    else:  # torch F.gaussian_nll_loss(full=False): mean, no constant
        np.testing.assert_allclose(y.data, elements.mean())


@field("triplet_distance", "triplet_margin")
def test_triplet_defaults(policy):
    a, p, n = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 1.0625]])
    with refimpl.semantics(policy):
        default, wide = F.triplet(a, p, n).data, F.triplet(a, p, n, 3.5).data
    if _chainer_like(policy):  # squared distances, margin 0.2
        np.testing.assert_allclose([default, wide], [1 - 1.0625 ** 2 + 0.2, 1 - 1.0625 ** 2 + 3.5])
    else:  # norms of a - p + 1e-6, margin 1
        d_ap, d_an = np.hypot(1 - 1e-6, 1e-6), np.hypot(1e-6, 1.0625 - 1e-6)
        np.testing.assert_allclose([default, wide], [d_ap - d_an + 1.0, d_ap - d_an + 3.5])


@field("normalize_eps_rule", "normalize_eps")
def test_normalize_eps(policy):
    x = np.array([[3e-6, 4e-6]])
    with refimpl.semantics(policy):
        default, given = F.normalize(x).data, F.normalize(x, 1e-5).data
    if _chainer_like(policy):  # x / (||x|| + eps), eps 1e-5
        np.testing.assert_allclose([default, given], [x / 1.5e-5, x / 1.5e-5])
    else:  # x / max(||x||, eps), eps 1e-12
        np.testing.assert_allclose([default, given], [x / 5e-6, x / 1e-5])


@field("depth2space_channel_order")
def test_depth2space_channel_order(policy):
    x = np.arange(8.0).reshape(1, 8, 1, 1)
    with refimpl.semantics(policy):
        y = F.depth2space(x, 2).data
        back = F.space2depth(y, 2).data
    # chainer: channel (i r + j) C + c; torch: c r^2 + i r + j
    expected = [[[0, 2], [4, 6]], [[1, 3], [5, 7]]] if _chainer_like(policy) else \
        [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]
    assert y[0].tolist() == expected
    np.testing.assert_array_equal(back, x)  # space2depth inverts depth2space in both


@field("im2col_layout")
def test_im2col_layout(policy):
    x = np.arange(18.0).reshape(1, 2, 3, 3)
    with refimpl.semantics(policy):
        y = F.im2col(x, 2).data
    columns = np.array([x[0, c, i:i + 2, j:j + 2].ravel() for i in range(2) for j in range(2)
                        for c in range(2)])  # (position, c then kernel offsets)
    flat = columns.reshape(4, 2, 4).transpose(1, 2, 0).reshape(1, 8, 4)
    assert y.shape == ((1, 8, 2, 2) if _chainer_like(policy) else (1, 8, 4))
    np.testing.assert_array_equal(y.reshape(1, 8, 4), flat)


@field("ctc_mean_normalisation")
def test_ctc_mean_normalisation(policy):
    """Uniform frames (3 classes, 3 frames): p([1, 2]) sums 5 alignments of (1/3)^3 (b12, 1b2,
    12b, 112, 122), p([1]) 6 (b1b, bb1, 1bb, 11b, b11, 111)."""
    x = np.zeros((3, 2, 3))
    labels = np.array([[1, 2], [1, 0]])
    with refimpl.semantics(policy):
        per_sample = F.ctc_loss(x, labels, np.array([3, 3]), np.array([2, 1]), 0, "none").data
        mean = F.ctc_loss(x, labels, np.array([3, 3]), np.array([2, 1]), 0).data
    np.testing.assert_allclose(per_sample, [-np.log(5 / 27), -np.log(6 / 27)])
    expected = per_sample.mean() if _chainer_like(policy) else (per_sample / [2, 1]).mean()
    np.testing.assert_allclose(mean, expected)


@field("spatial_grid_layout", "spatial_align_corners")
def test_spatial_transformer(policy):
    theta = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])  # the identity map
    image = np.arange(6.0).reshape(1, 1, 2, 3)
    with refimpl.semantics(policy):
        grid = F.affine_grid(theta, (2, 3)).data
        resampled = F.grid_sample(image, grid).data
    if _chainer_like(policy):  # (N, 2, H, W), corner pixels' centres at -+1
        assert grid.shape == (1, 2, 2, 3)
        np.testing.assert_allclose(grid[0, 0, 0], [-1, 0, 1])
    else:  # (N, H, W, 2), the image's edges at -+1
        assert grid.shape == (1, 2, 3, 2)
        np.testing.assert_allclose(grid[0, 0, :, 0], [-2 / 3, 0, 2 / 3])
    np.testing.assert_allclose(resampled, image)  # each convention samples its pixel centres


@field("grid_sample_gradient")
@pytest.mark.parametrize("create_graph", [False, True])
def test_grid_sample_gradient(policy, create_graph):
    """grid_sample of a 2x3 image at the point (-3, 0), left of it, from the seed inf: torch
    adds nothing at taps outside the image (its grid gradient 0 * inf = NaN, the taps read 0);
    chainer clips the point to the padded image's edge and adds inf * 0 = NaN at the zero-weight
    tap on the left column (rows 0 and 1, weight 1/2 each); its grid gradient is NaN too."""
    nan = np.nan
    chainer_like = _chainer_like(policy)
    image = V(np.arange(6.0).reshape(1, 1, 2, 3), policy)
    grid = V(np.array([[[[-3.0]], [[0.0]]]]) if chainer_like else [[[[-3.0, 0.0]]]], policy)
    gy = V([[[[np.inf]]]], policy, requires_grad=create_graph)
    with refimpl.semantics(policy), np.errstate(invalid="ignore"):
        g_image, g_grid = refimpl.grad([F.grid_sample(image, grid)], [image, grid], [gy],
                                       create_graph=create_graph)
    expected = [[nan, 0, 0], [nan, 0, 0]] if chainer_like else [[0, 0, 0], [0, 0, 0]]
    np.testing.assert_array_equal(g_image.data[0, 0], expected)
    assert np.isnan(g_grid.data).all()


@field("adam_eps_placement")
def test_adam_eps_placement(policy):
    """The first steps of torch 2.13's Adam and chainer 7.8.1's Adam with eps 0.1 (lr 0.1,
    betas (0.9, 0.999)), from p = [1, -2] (conformance/behaviours/engine_more.py)."""
    from refimpl.optimizers.rules import adam_step
    param, state = np.array([1.0, -2.0]), {}
    with refimpl.semantics(policy):
        for grad in ([0.5, -1.0], [0.25, 2.0]):
            param, state = adam_step(param, np.array(grad), state, 0.1, 0.9, 0.999, 0.1)
    torch_like = policies.get_policy(policy).adam_eps_placement == "after_bias_correction"
    expected = [0.84227204, -1.94352386] if torch_like else [0.97234875, -1.99113831]
    np.testing.assert_allclose(param, expected, rtol=1e-7)


@field("adam_weight_decay", "grad_norm_clipping")
def test_adam_weight_decay_and_grad_norm_clipping(policy):
    """torch 2.13's Adam(weight_decay) and clip_grad_norm_, chainer 7.8.1's
    Adam(weight_decay_rate) and GradientClipping (conformance/behaviours/engine_more.py)."""
    from refimpl.optimizers.rules import adam_step, clip_global_norm
    active = policies.get_policy(policy)
    with refimpl.semantics(policy):
        param, _ = adam_step(np.array([1.0, -2.0]), np.array([0.5, -1.0]), {}, 0.1, 0.9, 0.999,
                             1e-8, weight_decay=0.1)
        clipped = clip_global_norm([np.array([3e-7, 4e-7])], 2.5e-7)[0]
        kept = clip_global_norm([np.array([0.3, 0.4])], 2.5)[0]
    expected = [0.9, -1.9] if active.adam_weight_decay == "l2" else [0.8, -1.7]
    np.testing.assert_allclose(param, expected, rtol=1e-6)
    scale = 1 / 6 if active.grad_norm_clipping == "coef_with_eps" else 1 / 2
    np.testing.assert_allclose(clipped, np.array([3e-7, 4e-7]) * scale, rtol=1e-9)
    assert kept.tolist() == [0.3, 0.4]


# --- edge inputs (issue 15, conformance/subjects/edge_inputs.py) ------------------------------


@field("optimizer_defaults")
def test_optimizer_defaults(policy):
    """Two default steps from p = [1, -2] with gradients [0.5, -1], [0.25, 2] (the values of
    torch 2.13 and chainer 7.8.1, conformance/behaviours/engine_more.py)."""
    from refimpl.optimizers.rules import default_step
    torch_like = policies.get_policy(policy).optimizer_defaults == "torch"
    expected = {"sgd": [0.99925, -2.001] if torch_like else [0.9925, -2.01],
                "adagrad": ([0.98552786, -1.99894427] if torch_like
                            else [0.99855279, -1.99989443]),
                "adadelta": ([0.9947527, -2.00087833] if torch_like
                             else [0.99264145, -2.00121322])}
    for family, values in expected.items():
        param, state = np.array([1.0, -2.0]), {}
        with refimpl.semantics(policy):
            for grad in ([0.5, -1.0], [0.25, 2.0]):
                param, state = default_step(family, param, np.array(grad), state)
        np.testing.assert_allclose(param, values, rtol=1e-7, err_msg=family)



# --- edge inputs (issue 15, conformance/subjects/edge_inputs.py) ------------------------------

@field("leaky_relu_nan_gradient")
def test_leaky_relu_nan_gradient(policy):
    x = V([np.nan, 0.0, 1.0, -1.0], policy, dtype=np.float64)
    with refimpl.semantics(policy):
        (gx,) = refimpl.grad([F.sum(F.leaky_relu(x, 0.1))], [x])
        value = F.leaky_relu(x, 0.1).data
    at_nan = 1.0 if refimpl.POLICIES[policy].leaky_relu_nan_gradient == "one" else 0.1
    np.testing.assert_array_equal(gx.data, [at_nan, 0.1, 1.0, 0.1])
    assert np.isnan(value[0])  # the value at NaN is NaN either way


def test_pooling_one_element_tuple_error_class():
    """Where a one-element tuple is refused, each policy raises its framework's class
    (error_classes kinds 'max_pooling_2d_one_element', 'average_pooling_2d_one_element')."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    with refimpl.semantics("chainer"):
        with pytest.raises(AssertionError, match=r"pad=\(1,\)"):
            F.max_pooling_2d(x, 2, 2, (1,))
        with pytest.raises(ValueError, match=r"ksize=\(2,\)"):
            F.average_pooling_2d(x, (2,), 2)
    with refimpl.semantics("torch"):
        assert F.max_pooling_2d(x, 2, 2, (1,)).shape == (1, 1, 3, 3)


@field("optimizer_none_grad")
def test_optimizer_none_grad(policy):
    from refimpl.optimizers.rules import momentum_step
    param, state, values = np.zeros(1), {}, []
    with refimpl.semantics(policy):
        for grad in (np.ones(1), None, None):
            param, state = momentum_step(param, grad, state, 0.1, 0.9)
            values.append(param.item())
    skip = policies.get_policy(policy).optimizer_none_grad == "skip"
    assert values == pytest.approx([-0.1, -0.1, -0.1] if skip else [-0.1, -0.19, -0.271])


@field("label_loss_soft_targets")
def test_label_loss_soft_targets(policy):
    from refimpl.functions.loss import chainer_softmax_cross_entropy
    x = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    t = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    with refimpl.semantics(policy):
        if refimpl.POLICIES[policy].label_loss_soft_targets:
            assert float(chainer_softmax_cross_entropy(x, t).data) == pytest.approx(
                1.0389330537516597, rel=1e-12)  # chainer 7.8.1's value
        else:
            with pytest.raises(refimpl.InvalidType, match="label_loss_soft_targets=False"):
                chainer_softmax_cross_entropy(x, t)



@field("clip_boundary_gradient")
def test_clip_boundary_gradient(policy):
    x = V([-0.5, 0.0, 0.5, 1.0], policy, dtype=np.float64)
    with refimpl.semantics(policy):
        (gx,) = refimpl.grad([F.sum(F.clip(x, -0.5, 0.5))], [x])
    at_bounds = 1.0 if refimpl.POLICIES[policy].clip_boundary_gradient == "pass" else 0.0
    np.testing.assert_array_equal(gx.data, [at_bounds, 1.0, at_bounds, 0.0])


def test_mean_of_a_0d_input_with_an_axis_raises_the_policys_mean_axis_class():
    """chainer 5.4.0's mean indexes x.shape with the axis before its type check: IndexError
    (error_classes 'mean_axis'); 6.7.0 and 7.8.1 fail the type check (InvalidType)."""
    x = np.array(3.0)
    with refimpl.semantics("chainer5"), pytest.raises(IndexError, match="0-d x"):
        F.mean(x, axis=0, keepdims=True)
    with refimpl.semantics("chainer"), pytest.raises(refimpl.InvalidType):
        F.mean(x, axis=0, keepdims=True)
    with refimpl.semantics("torch"):
        assert F.mean(x, axis=0, keepdims=True).shape == ()



def test_torch215_at_the_edge_inputs():
    """torch 2.15.0 (run there): clamp's gradient is 0 at a bound, torch.sub(True, 2) raises
    NotImplementedError (2.13.0: 1 at a bound, RuntimeError)."""
    x = V([-0.5, 0.0, 0.5], "torch215", dtype=np.float64)
    with refimpl.semantics("torch215"):
        (gx,) = refimpl.grad([F.sum(F.clip(x, -0.5, 0.5))], [x])
        with pytest.raises(NotImplementedError, match="bool"):
            F.sub(True, 2)
    np.testing.assert_array_equal(gx.data, [0.0, 1.0, 0.0])
    with refimpl.semantics("torch"), pytest.raises(RuntimeError, match="bool") as raised:
        F.sub(True, 2)
    assert type(raised.value) is RuntimeError


# --- issue 18 port: the LSTM cell layer's biases -------------------------------------------

@field("lstm_cell_biases", "lstm_bias_init")
def test_lstm_cell_biases(policy):
    """torch's cell has bias_ih and bias_hh, uniform in +-1/sqrt(H); chainer's L.LSTM one bias
    of zeros with 1 on the forget gate (rows H:2H in torch's order). With two trained biases
    a plain SGD step moves their sum twice as far as one bias (each gets the same gradient)."""
    from refimpl.nn.rnn import LSTMCell
    chosen = refimpl.POLICIES[policy]
    with refimpl.semantics(policy):
        cell = LSTMCell(3, 4, rng=0, dtype=np.float64)
        biases = [p for name, p in cell.named_parameters() if name.startswith("bias")]
        assert len(biases) == {"two": 2, "one": 1}[chosen.lstm_cell_biases]
        total = sum(b.data for b in biases)
        if chosen.lstm_bias_init == "forget_one":
            np.testing.assert_array_equal(total, [0.0] * 4 + [1.0] * 4 + [0.0] * 8)
        else:
            assert all(np.all(np.abs(b.data) <= 0.5) and np.any(b.data) for b in biases)
        cell.cleargrads()
        h, _ = cell(np.ones((2, 3)), (np.full((2, 4), 0.5), np.zeros((2, 4))))
        F.sum(h).backward()
        grad = cell.bias_ih.grad.copy()
        for b in biases:
            b.data -= 0.1 * b.grad
    np.testing.assert_allclose(sum(b.data for b in biases) - total, -0.1 * len(biases) * grad)


@field("extremum_gradient_selects")
def test_extremum_gradient_selects(policy):
    """maximum/minimum and max/min over all elements from NaN and infinite output gradients:
    0 where an operand is not the extreme (torch; chainer's maximum) or gy * 0 (NaN)."""
    nan, inf = np.nan, np.inf
    selected = policies.get_policy(policy).extremum_gradient_selects
    with refimpl.semantics(policy), np.errstate(invalid="ignore"):
        for name, op in (("maximum", F.maximum), ("minimum", F.minimum)):
            a = V([-4.0, -1.0, 2.0], policy)
            b = V([0.0, 1.0, 1.0], policy)
            ga, gb = refimpl.grad([op(a, b)], [a, b], [np.array([nan, inf, -inf], np.float32)])
            lost = 0.0 if name in selected else nan  # the operand that is not the extreme
            if name == "maximum":
                np.testing.assert_array_equal(ga.data, [lost, lost, -inf])
                np.testing.assert_array_equal(gb.data, [nan, inf, lost])
            else:
                np.testing.assert_array_equal(ga.data, [nan, inf, lost])
                np.testing.assert_array_equal(gb.data, [lost, lost, -inf])
        for name, op in (("max", F.max), ("min", F.min)):
            x = V([-4.0, 1.0, 3.0], policy)
            (gx,) = refimpl.grad([op(x)], [x], [np.array(inf, np.float32)])
            lost = 0.0 if name in selected else nan
            np.testing.assert_array_equal(gx.data, [lost, lost, inf] if name == "max"
                                          else [inf, lost, lost])
    assert selected == ({"maximum", "minimum", "max", "min"} if policy == "torch"
                        else {"maximum"})
