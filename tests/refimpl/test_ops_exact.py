"""Exact values where random tests cannot go: at the kinks (relu, leaky_relu, abs, clip at
0 or at their bounds), at ties (max, min, argmax, topk), repeated indices, gradient routing
through where, result dtypes, and the errors bad arguments raise.

Each expected value is written out by hand: it is the specification, not a recomputation.
"""
import numpy as np
import pytest

import refimpl
import refimpl.functions as F

BOTH = ["torch", "chainer"]


def leaf(values, dtype=np.float64):
    return refimpl.Variable(np.array(values, dtype=dtype), requires_grad=True)


def grads(f, *values, grad_output=None, policy="torch"):
    """(output data, [gradient data per input]) of ``f`` at ``values``, seeded with ones."""
    with refimpl.semantics(policy):
        xs = [leaf(v) for v in values]
        y = f(*xs)
        seed = np.ones(y.shape) if grad_output is None else np.asarray(grad_output, dtype=float)
        gxs = refimpl.grad(y, xs, seed, allow_unused=True)
        return y.data, [None if g is None else g.data for g in gxs]


def second_grads(f, *values, policy="torch"):
    """Gradient of sum(first-order gradient) w.r.t. the inputs (zeros where unused)."""
    with refimpl.semantics(policy):
        xs = [leaf(v) for v in values]
        y = f(*xs)
        first = refimpl.grad(y, xs, np.ones(y.shape), create_graph=True)
        total = F.sum(first[0])
        for g in first[1:]:
            total = total + F.sum(g)
        if not total.requires_grad or total.creator is None:
            return [np.zeros_like(np.asarray(v, dtype=float)) for v in values]
        second = refimpl.grad(total, xs, allow_unused=True)
        return [np.zeros_like(np.asarray(v, dtype=float)) if g is None else g.data
                for v, g in zip(values, second)]


def assert_exact(actual, expected, what):
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype=actual.dtype if actual.dtype.kind != "b" else None)
    assert actual.shape == expected.shape and np.array_equal(actual, expected), \
        f"{what}: {actual.tolist()} vs expected {expected.tolist()}"


# --------------------------------------------------------------------------------------
# Kinks: (name, policy, function, input, expected output, expected gradient)
# --------------------------------------------------------------------------------------

KINKS = [
    ("relu", "torch", F.relu, [-1.0, 0.0, 2.0], [0.0, 0.0, 2.0], [0.0, 0.0, 1.0]),
    ("relu", "chainer", F.relu, [-1.0, 0.0, 2.0], [0.0, 0.0, 2.0], [0.0, 0.0, 1.0]),
    # default slopes: torch negative_slope=0.01, chainer slope=0.2; at 0 both use the slope
    # (torch: x > 0 ? g : g * slope; chainer 7: y <= 0 -> slope)
    ("leaky_relu", "torch", F.leaky_relu, [-2.0, 0.0, 3.0], [-0.02, 0.0, 3.0],
     [0.01, 0.01, 1.0]),
    ("leaky_relu", "chainer", F.leaky_relu, [-2.0, 0.0, 3.0], [-0.4, 0.0, 3.0],
     [0.2, 0.2, 1.0]),
    ("leaky_relu(0.5)", "chainer", lambda x: F.leaky_relu(x, 0.5), [-2.0, 0.0, 3.0],
     [-1.0, 0.0, 3.0], [0.5, 0.5, 1.0]),
    ("abs", "torch", F.abs, [-2.0, 0.0, 3.0], [2.0, 0.0, 3.0], [-1.0, 0.0, 1.0]),
    ("abs", "chainer", F.abs, [-2.0, 0.0, 3.0], [2.0, 0.0, 3.0], [-1.0, 0.0, 1.0]),
    # clip passes the gradient at both bounds (torch clamp: min <= x <= max; chainer 7 too)
    ("clip", "torch", lambda x: F.clip(x, -1.0, 2.0), [-3.0, -1.0, 0.5, 2.0, 4.0],
     [-1.0, -1.0, 0.5, 2.0, 2.0], [0.0, 1.0, 1.0, 1.0, 0.0]),
    ("clip", "chainer", lambda x: F.clip(x, -1.0, 2.0), [-3.0, -1.0, 0.5, 2.0, 4.0],
     [-1.0, -1.0, 0.5, 2.0, 2.0], [0.0, 1.0, 1.0, 1.0, 0.0]),
    ("clip(min only)", "torch", lambda x: F.clip(x, x_min=1.0), [0.0, 1.0, 5.0],
     [1.0, 1.0, 5.0], [0.0, 1.0, 1.0]),
    ("clip(max only)", "torch", lambda x: F.clip(x, x_max=1.0), [0.0, 1.0, 5.0],
     [0.0, 1.0, 1.0], [1.0, 1.0, 0.0]),
    # x ** 0 is 1 everywhere: its gradient is 0 at x = 0 too (torch; not 0 * 0 ** -1 = nan)
    ("pow0", "torch", lambda x: x ** 0, [0.0, 2.0], [1.0, 1.0], [0.0, 0.0]),
    ("pow0.5", "torch", lambda x: x ** 0.5, [0.0, 4.0], [0.0, 2.0], [np.inf, 0.25]),
    # d/db a ** b at a = 0, b > 0 is 0 (a ** b log a is 0 * -inf)
    ("pow(0, b) in b", "torch", lambda b: 0.0 ** b, [1.0, 2.5], [0.0, 0.0], [0.0, 0.0]),
    ("sqrt", "torch", F.sqrt, [0.0, 4.0], [0.0, 2.0], [np.inf, 0.25]),
]


@pytest.mark.parametrize("name, policy, function, x, expected_y, expected_grad", KINKS,
                         ids=[f"{k[0]}[{k[1]}]" for k in KINKS])
def test_value_and_gradient_at_kinks(name, policy, function, x, expected_y, expected_grad):
    with np.errstate(divide="ignore"):
        y, (gx,) = grads(function, x, policy=policy)
    np.testing.assert_allclose(y, expected_y, rtol=1e-15, atol=0, err_msg=f"{name} value")
    np.testing.assert_allclose(gx, expected_grad, rtol=1e-15, atol=0, err_msg=f"{name} gradient")


@pytest.mark.parametrize("policy", BOTH)
@pytest.mark.parametrize("name, function", [
    ("relu", F.relu), ("leaky_relu", F.leaky_relu), ("abs", F.abs),
    ("clip", lambda x: F.clip(x, -1.0, 0.0)),
])
def test_second_derivative_is_zero_at_and_around_kinks(name, function, policy):
    (g2,) = second_grads(function, [-1.0, 0.0, 1e-300, 2.0], policy=policy)
    assert_exact(g2, [0.0, 0.0, 0.0, 0.0], f"{name}'' under {policy}")


@pytest.mark.parametrize("policy, first, second", [
    # torch 2.13 gives 0 here (where(b == 0, 0, ..) masks the branch): its documented defect
    # (conformance/frameworks/torch/known_issues.toml); the specification keeps a^-1
    ("torch", [0.0, 0.0], [2.0, 0.5]),
    ("chainer", [0.0, 0.0], [2.0, 0.5]),  # the formula b a^(b-1): d/db is a^-1 at b = 0
])
def test_pow_second_derivative_in_exponent_at_zero_exponent(policy, first, second):
    """d2/db da (a ** b) at b = 0 is a^-1 (central differences agree) under every policy;
    the first-order value at b = 0 is 0 in both frameworks."""
    with refimpl.semantics(policy):
        a, b = leaf([0.5, 2.0]), leaf([0.0, 0.0])
        (ga,) = refimpl.grad(a ** b, [a], np.ones(2), create_graph=True)
        assert_exact(ga.data, first, "d/da a ** 0")
        (gab,) = refimpl.grad(F.sum(ga), [b])
    np.testing.assert_allclose(gab.data, second, rtol=1e-15)


@pytest.mark.parametrize("policy, exponent, first, second", [
    # torch pow(Tensor, Scalar): exponent 0 gives zeros without a graph; x ** 1 has x ** 0 inside
    ("torch", 0, [0.0, 0.0, 0.0, 0.0], None),
    ("torch", 1, [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]),
    # chainer PowVarConst keeps a graph; its 0 * 0 ** -1 = NaN at 0 is a documented defect
    # (conformance known issue): the specification gives 0 (1e-300 ** -2 still overflows)
    ("chainer", 0, [-0.0, 0.0, 0.0, 0.0], [-0.0, 0.0, np.nan, -0.0]),
    ("chainer", 1, [1.0, 1.0, 1.0, 1.0], [-0.0, 0.0, 0.0, 0.0]),
])
def test_pow_with_a_number_exponent_at_zero(policy, exponent, first, second):
    with refimpl.semantics(policy), np.errstate(all="ignore"):
        x = refimpl.Variable(np.array([-1.0, 0.0, 1e-300, 2.0]), requires_grad=True)
        (g,) = refimpl.grad([F.sum(x ** exponent)], [x], create_graph=True)
        np.testing.assert_array_equal(g.data, first)
        if second is None:
            assert not g.requires_grad
        else:
            np.testing.assert_array_equal(refimpl.grad([F.sum(g)], [x])[0].data, second)


# --------------------------------------------------------------------------------------
# Ties
# --------------------------------------------------------------------------------------

TIED = [[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]]


@pytest.mark.parametrize("policy, expected", [
    ("torch", [[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]]),  # torch.max(a): split evenly
    ("chainer", [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),  # F.max: every tied element, in full
])
def test_max_full_reduction_ties(policy, expected):
    y, (gx,) = grads(F.max, TIED, policy=policy)
    assert_exact(y, 3.0, "max")
    assert_exact(gx, expected, f"max gradient at ties under {policy}")


@pytest.mark.parametrize("policy, expected", [
    ("torch", [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]),
    ("chainer", [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]),
])
def test_min_full_reduction_unique_scaled(policy, expected):
    y, (gx,) = grads(F.min, TIED, grad_output=2.0, policy=policy)
    assert_exact(y, 0.0, "min")
    assert_exact(gx, expected, "min gradient")


@pytest.mark.parametrize("policy, expected", [
    ("torch", [[1 / 3, 1 / 3, 0.0], [1 / 3, 0.0, 0.0]]),
    ("chainer", [[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
])
def test_min_full_reduction_three_way_tie(policy, expected):
    x = [[1.0, 1.0, 2.0], [1.0, 5.0, 3.0]]
    _, (gx,) = grads(F.min, x, policy=policy)
    np.testing.assert_allclose(gx, expected, rtol=1e-15)


def test_max_axis_ties_torch_gradient_goes_to_the_index():
    with refimpl.semantics("torch"):
        x = leaf(TIED)
        values, indices = F.max(x, axis=1)
        assert_exact(values.data, [3.0, 2.0], "values")
        assert_exact(indices.data, [0, 0], "indices (first of the tied)")
        assert indices.dtype == np.int64 and not indices.requires_grad
        (gx,) = refimpl.grad(values, [x], np.array([10.0, 20.0]))
    assert_exact(gx.data, [[10.0, 0.0, 0.0], [20.0, 0.0, 0.0]], "max(axis=1) gradient")


def test_min_axis_ties_torch_keepdims():
    with refimpl.semantics("torch"):
        x = leaf([[1.0, 4.0], [1.0, 0.0]])
        values, indices = F.min(x, axis=0, keepdims=True)
        assert values.shape == (1, 2) and indices.shape == (1, 2)
        assert_exact(indices.data, [[0, 1]], "indices")
        (gx,) = refimpl.grad(values, [x], np.ones((1, 2)))
    assert_exact(gx.data, [[1.0, 0.0], [0.0, 1.0]], "min(axis=0) gradient")


def test_max_axis_ties_chainer_every_tied_element_gets_it():
    with refimpl.semantics("chainer"):
        x = leaf(TIED)
        values = F.max(x, axis=1)
        assert isinstance(values, refimpl.Variable), "chainer F.max returns no indices"
        assert_exact(values.data, [3.0, 2.0], "values")
        (gx,) = refimpl.grad(values, [x], np.array([10.0, 20.0]))
    assert_exact(gx.data, [[10.0, 0.0, 10.0], [20.0, 20.0, 0.0]], "max(axis=1) gradient")


def test_max_tuple_axes_ties_distribute_per_slice_torch():
    x = [[[1.0, 1.0], [0.0, 1.0]], [[2.0, 0.0], [2.0, 2.0]]]
    y, (gx,) = grads(lambda v: F.max(v, axis=(1, 2)), x)
    assert_exact(y, [1.0, 2.0], "values")
    np.testing.assert_allclose(gx, [[[1 / 3, 1 / 3], [0.0, 1 / 3]], [[1 / 3, 0.0], [1 / 3, 1 / 3]]],
                               rtol=1e-15)


@pytest.mark.parametrize("policy", BOTH)
def test_argmax_argmin_ties_give_the_first_index(policy):
    with refimpl.semantics(policy):
        x = leaf([[2.0, 5.0, 5.0], [1.0, 1.0, 0.0]])
        assert_exact(F.argmax(x).data, 1, "argmax (flat)")
        assert_exact(F.argmax(x, axis=1).data, [1, 0], "argmax axis=1")
        assert_exact(F.argmin(x, axis=1).data, [0, 2], "argmin axis=1")
        assert_exact(F.argmin(x, axis=0, keepdims=True).data, [[1, 1, 1]], "argmin axis=0")
        assert_exact(F.argmin(refimpl.Variable(np.array([3.0, 1.0, 1.0]))).data, 1, "argmin")
        # torch: indices carry no graph; chainer 7.8.1/5.4.0: F.argmax's output requires grad
        # because its input does (observed; see conformance case outputs_require_grad).
        assert F.argmax(x).requires_grad == (policy != "torch")


def test_topk_ties_lower_index_first_and_gradient_to_the_selected():
    x = leaf([1.0, 3.0, 3.0, 2.0, 3.0])
    values, indices = F.topk(x, 2)
    assert_exact(values.data, [3.0, 3.0], "values")
    assert_exact(indices.data, [1, 2], "indices")
    (gx,) = refimpl.grad(values, [x], np.array([10.0, 20.0]))
    assert_exact(gx.data, [0.0, 10.0, 20.0, 0.0, 0.0], "gradient")
    values, indices = F.topk(x, 3, largest=False)
    assert_exact(values.data, [1.0, 2.0, 3.0], "smallest values")
    assert_exact(indices.data, [0, 3, 1], "smallest indices")


def test_topk_along_axis_0_with_ties():
    x = leaf([[1.0, 0.0], [1.0, 2.0], [0.0, 2.0]])
    values, indices = F.topk(x, 2, axis=0)
    assert_exact(values.data, [[1.0, 2.0], [1.0, 2.0]], "values")
    assert_exact(indices.data, [[0, 1], [1, 2]], "indices")


# --------------------------------------------------------------------------------------
# Indexing and where
# --------------------------------------------------------------------------------------

def test_getitem_repeated_indices_accumulate():
    y, (gx,) = grads(lambda x: x[[0, 0, 2, 0]], [1.0, 2.0, 3.0], grad_output=[1.0, 2.0, 3.0, 4.0])
    assert_exact(y, [1.0, 1.0, 3.0, 1.0], "x[[0, 0, 2, 0]]")
    assert_exact(gx, [7.0, 0.0, 3.0], "gradient adds up at the repeated index")


def test_getitem_repeated_indices_2d_and_double_backward():
    index = np.array([[1, 1], [0, 1]])
    y, (gx,) = grads(lambda x: x[index, 0], [[1.0, 2.0], [3.0, 4.0]])
    assert_exact(y, [[3.0, 3.0], [1.0, 3.0]], "x[index, 0]")
    assert_exact(gx, [[1.0, 0.0], [3.0, 0.0]], "gradient")
    x = leaf([1.0, 2.0, 3.0])
    (g,) = refimpl.grad(F.sum(x[[2, 2]] * x[[2, 2]]), [x], create_graph=True)
    assert_exact(g.data, [0.0, 0.0, 12.0], "d/dx sum(x[[2,2]]**2)")
    (gg,) = refimpl.grad(F.sum(g), [x])
    assert_exact(gg.data, [0.0, 0.0, 4.0], "second derivative")


def test_getitem_boolean_mask_routes_gradient():
    mask = np.array([[True, False], [False, True]])
    y, (gx,) = grads(lambda x: x[mask], [[1.0, 2.0], [3.0, 4.0]], grad_output=[5.0, 6.0])
    assert_exact(y, [1.0, 4.0], "x[mask]")
    assert_exact(gx, [[5.0, 0.0], [0.0, 6.0]], "gradient")


def test_getitem_slice_with_negative_step():
    y, (gx,) = grads(lambda x: x[::-2], [1.0, 2.0, 3.0, 4.0, 5.0], grad_output=[1.0, 2.0, 3.0])
    assert_exact(y, [5.0, 3.0, 1.0], "x[::-2]")
    assert_exact(gx, [3.0, 0.0, 2.0, 0.0, 1.0], "gradient")


@pytest.mark.parametrize("policy", BOTH)
def test_where_routes_gradient_and_condition_gets_none(policy):
    condition = np.array([True, False, True])
    y, (gx, gy) = grads(lambda x, y: F.where(condition, x, y), [1.0, 2.0, 3.0], [4.0, 5.0, 6.0],
                        grad_output=[7.0, 8.0, 9.0], policy=policy)
    assert_exact(y, [1.0, 5.0, 3.0], "where")
    assert_exact(gx, [7.0, 0.0, 9.0], "gradient to x")
    assert_exact(gy, [0.0, 8.0, 0.0], "gradient to y")


def test_where_broadcast_scalar_branch_sums():
    condition = np.array([[True, False], [True, True]])
    y, (gx, gy) = grads(lambda x, y: F.where(condition, x, y), 2.0, [1.0, 3.0])
    assert_exact(y, [[2.0, 3.0], [2.0, 2.0]], "where")
    assert_exact(gx, 3.0, "0-d x gets the sum over the True positions")
    assert_exact(gy, [0.0, 1.0], "y gets the rest, summed over the broadcast axis")


def test_where_double_backward():
    condition = np.array([True, False])
    x, y = leaf([2.0, 3.0]), leaf([4.0, 5.0])
    (gx, gy) = refimpl.grad(F.sum(F.where(condition, x * x, y * y * y)), [x, y], create_graph=True)
    assert_exact(gx.data, [4.0, 0.0], "first order x")
    assert_exact(gy.data, [0.0, 75.0], "first order y")
    (ggx, ggy) = refimpl.grad(F.sum(gx) + F.sum(gy), [x, y])
    assert_exact(ggx.data, [2.0, 0.0], "second order x")
    assert_exact(ggy.data, [0.0, 30.0], "second order y")


# --------------------------------------------------------------------------------------
# Policy-dependent arguments
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("policy, sizes", [("torch", [2, 2, 1]), ("chainer", None)])
def test_split_int(policy, sizes):
    with refimpl.semantics(policy):
        x = leaf(np.arange(6.0))
        if policy == "torch":  # an int is the size of each piece
            pieces = F.split(x, 2)
            assert [p.shape[0] for p in pieces] == [2, 2, 2]
            assert [p.shape[0] for p in F.split(leaf(np.arange(5.0)), 2)] == sizes
        else:  # an int is the number of equal pieces
            pieces = F.split(x, 2)
            assert [p.shape[0] for p in pieces] == [3, 3]
            with pytest.raises(refimpl.InvalidType, match="equal division"):
                F.split(leaf(np.arange(5.0)), 2)


def test_split_unsorted_indices_chainer_gradient_has_the_input_shape():
    with refimpl.semantics("chainer"):
        x = leaf(np.arange(5.0))
        pieces = F.split(x, [3, 1])
        assert [p.data.tolist() for p in pieces] == [[0.0, 1.0, 2.0], [], [1.0, 2.0, 3.0, 4.0]]
        (gx,) = refimpl.grad(list(pieces), [x], [np.ones(3), np.ones(0), np.full(4, 10.0)])
    assert_exact(gx.data, [1.0, 11.0, 11.0, 10.0, 10.0], "overlapping pieces add up")


def test_split_negative_index_beyond_the_length_clamps_as_numpy():
    with refimpl.semantics("chainer"):
        pieces = F.split(leaf(np.arange(5.0)), [-7, 2])
    assert [p.data.tolist() for p in pieces] == [[], [0.0, 1.0], [2.0, 3.0, 4.0]]


@pytest.mark.parametrize("policy, axis", [("torch", 0), ("chainer", 1)])
def test_concat_default_axis(policy, axis):
    with refimpl.semantics(policy):
        a, b = leaf(np.ones((2, 2))), leaf(np.zeros((2, 2)))
        y = F.concat([a, b])
    assert y.shape == ((4, 2) if axis == 0 else (2, 4))


def test_softmax_implicit_axis_warns_under_torch():
    with refimpl.semantics("torch"), pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(leaf(np.zeros((2, 4))))
    assert_exact(y.data, np.full((2, 4), 0.25), "softmax over axis 1")


def test_reductions_of_0d_accept_axis_0_under_torch():
    """torch accepts dim=0/-1 on a 0-d tensor and reduces over nothing."""
    with refimpl.semantics("torch"):
        x = leaf(2.0)
        assert_exact(F.sum(x, 0).data, 2.0, "sum")
        assert_exact(F.mean(x, -1).data, 2.0, "mean")
        assert_exact(F.logsumexp(x, 0).data, 2.0, "logsumexp")
        values, index = F.max(x, 0)
        assert_exact(values.data, 2.0, "max")
        assert_exact(index.data, 0, "max index")
        (gx,) = refimpl.grad(values, [x])
        assert_exact(gx.data, 1.0, "max gradient")
        assert_exact(F.argmax(x, 0).data, 0, "argmax")
        assert F.squeeze(x, 0).shape == ()
        assert F.swapaxes(x, 0, -1).shape == ()
        assert_exact(F.softmax(x, 0).data, 1.0, "softmax")
        values, indices = F.topk(leaf(2.0), 1)
        assert values.shape == () and indices.shape == ()


ZERO_D_AXIS_CHAINER = [
    # (call on a 0-d x, chainer's function name, expectation), chainer 7.8.1's InvalidType
    (lambda x: F.sum(x, 0), "Sum", "x.ndim > 0"),
    (lambda x: F.sum(x, (-1,)), "Sum", "x.ndim > 0"),
    (lambda x: F.mean(x, 0), "Mean", "x.ndim > 0"),
    (lambda x: F.max(x, 0), "Max", "x.ndim > 0"),
    (lambda x: F.min(x, (0,)), "Min", "x.ndim > 0"),
    (lambda x: F.logsumexp(x, -1), "LogSumExp", "x.ndim > 0"),
    (lambda x: F.argmax(x, 0), "ArgMax", "in_types[0].ndim > 0"),
    (lambda x: F.argmin(x, 0), "ArgMin", "in_types[0].ndim > 0"),
    (lambda x: F.squeeze(x, 0), "Squeeze", "in_types[0].ndim > 0"),
]


@pytest.mark.parametrize("call, function_name, expect", ZERO_D_AXIS_CHAINER,
                         ids=[f"{c[1]}-{i}" for i, c in enumerate(ZERO_D_AXIS_CHAINER)])
def test_reductions_of_0d_with_an_axis_raise_under_chainer(call, function_name, expect):
    with refimpl.semantics("chainer"):
        x = leaf(2.0)
        with pytest.raises(refimpl.InvalidType, match=rf"{function_name} \(Forward\)") as caught:
            call(x)
        assert caught.value.expect == expect
        # no axis, or an empty tuple, is accepted
        assert_exact(F.sum(x).data, 2.0, "sum")
        assert_exact(F.max(x, ()).data, 2.0, "max over ()")
        assert_exact(F.mean(x, ()).data, 2.0, "mean over ()")
        assert_exact(F.argmax(x).data, 0, "argmax")
        assert F.squeeze(x).shape == ()
        with pytest.raises(ValueError, match="out of bounds for array of dimension 0"):
            F.swapaxes(x, 0, -1)
        with pytest.raises(RuntimeError, match="softmax"):
            F.softmax(x)
        with pytest.raises(RuntimeError, match="log_softmax"):
            F.log_softmax(x, 0)


def test_swapaxes_same_axis_named_two_ways():
    x = leaf(np.arange(6.0).reshape(2, 3))
    assert F.swapaxes(x, 0, -2).shape == (2, 3)
    assert F.swapaxes(x, -1, 0).shape == (3, 2)


# --------------------------------------------------------------------------------------
# Result dtypes
# --------------------------------------------------------------------------------------

F32 = np.float32
F64 = np.float64

DTYPES = [
    # (policy, description, function, expected dtype)
    ("torch", "f32 * 2.0", lambda a, b, i: a * 2.0, F32),
    ("torch", "2.0 * f32", lambda a, b, i: 2.0 * a, F32),
    ("torch", "f32 + 1", lambda a, b, i: a + 1, F32),
    ("torch", "f32 ** 2", lambda a, b, i: a ** 2, F32),
    ("torch", "1.5 - f32", lambda a, b, i: 1.5 - a, F32),
    ("torch", "f32 / 3.0", lambda a, b, i: a / 3.0, F32),
    ("torch", "f32 + f64", lambda a, b, i: a + b, F64),
    ("torch", "f64 * f32", lambda a, b, i: b * a, F64),
    ("torch", "f32 + 0-d f64", lambda a, b, i: a + refimpl.Variable(np.array(1.0)), F32),
    ("torch", "int64 + 1.5", lambda a, b, i: i + 1.5, F32),
    ("torch", "int64 / int64", lambda a, b, i: i / i, F32),
    ("torch", "where(f32, f64)", lambda a, b, i: F.where(np.array([True, False]), a, b), F64),
    ("torch", "concat(f32, f64)", lambda a, b, i: F.concat([a, b]), F64),
    ("torch", "exp(f32)", lambda a, b, i: F.exp(a), F32),
    ("torch", "mean(f32)", lambda a, b, i: F.mean(a), F32),
    ("torch", "softmax(f32)", lambda a, b, i: F.softmax(a, axis=0), F32),
    ("chainer", "f32 * 2.0", lambda a, b, i: a * 2.0, F32),
    ("chainer", "2.0 + f32", lambda a, b, i: 2.0 + a, F32),
    ("chainer", "f32 ** 2", lambda a, b, i: a ** 2, F32),
    ("chainer", "f32 * f32", lambda a, b, i: a * a, F32),
]


@pytest.mark.parametrize("policy, description, function, expected", DTYPES,
                         ids=[f"{d[1]}[{d[0]}]" for d in DTYPES])
def test_result_dtype(policy, description, function, expected):
    with refimpl.semantics(policy):
        a = refimpl.Variable(np.array([1.0, 2.0], dtype=F32), requires_grad=True)
        b = refimpl.Variable(np.array([3.0, 4.0], dtype=F64), requires_grad=True)
        i = refimpl.Variable(np.array([1, 2], dtype=np.int64), requires_grad=False)
        y = function(a, b, i)
    assert y.dtype == expected, f"{description} under {policy}: {y.dtype} vs {np.dtype(expected)}"


def test_mixed_dtype_gradients_keep_each_input_dtype():
    a = refimpl.Variable(np.array([1.0, 2.0], dtype=F32), requires_grad=True)
    b = refimpl.Variable(np.array([3.0, 4.0], dtype=F64), requires_grad=True)
    ga, gb = refimpl.grad(F.sum(a * b), [a, b])
    assert ga.dtype == F32 and gb.dtype == F64
    assert_exact(ga.data, [3.0, 4.0], "d/da")


@pytest.mark.parametrize("description, function", [
    ("f32 + f64", lambda a, b: a + b),
    ("f64 * f32", lambda a, b: b * a),
    ("f32 - f64", lambda a, b: a - b),
    ("f32 / f64", lambda a, b: a / b),
    ("where(f32, f64)", lambda a, b: F.where(np.array([True, False]), a, b)),
])
def test_mixed_dtypes_raise_invalid_type_under_chainer(description, function):
    with refimpl.semantics("chainer"):
        a = refimpl.Variable(np.array([1.0, 2.0], dtype=F32), requires_grad=True)
        b = refimpl.Variable(np.array([3.0, 4.0], dtype=F64), requires_grad=True)
        with pytest.raises(refimpl.InvalidType, match="dtype"):
            function(a, b)


# --------------------------------------------------------------------------------------
# Bad arguments
# --------------------------------------------------------------------------------------

X23 = np.arange(6.0).reshape(2, 3)

BAD_ARGUMENTS = [
    # (description, call on x of shape (2, 3), exception, text the message must contain)
    ("reshape to an incompatible shape", lambda x: F.reshape(x, (4,)), RuntimeError, r"\(4,\)"),
    ("reshape message names x's shape", lambda x: F.reshape(x, 5, 2), RuntimeError, r"\(2, 3\)"),
    ("broadcast_to a smaller shape", lambda x: F.broadcast_to(x, (3,)), RuntimeError, r"\(3,\)"),
    ("broadcast_to an incompatible shape", lambda x: F.broadcast_to(x, (3, 2)), RuntimeError,
     r"\(3, 2\)"),
    ("sum_to a shape that does not broadcast", lambda x: F.sum_to(x, (2,)), ValueError,
     r"\(2,\)"),
    ("concat with mismatched shapes", lambda x: F.concat([x, refimpl.Variable(np.ones((3, 3)))],
                                                          axis=1), RuntimeError, "size 3"),
    ("concat of nothing", lambda x: F.concat([]), ValueError, "xs"),
    ("stack with mismatched shapes", lambda x: F.stack([x, refimpl.Variable(np.ones(3))]),
     RuntimeError, r"\(3,\)"),
    ("topk k too large", lambda x: F.topk(x, 4), RuntimeError, "k=4"),
    ("topk negative k", lambda x: F.topk(x, -1), RuntimeError, "k=-1"),
    ("clip with x_min > x_max", lambda x: F.clip(x, 2.0, 1.0), ValueError, "x_min=2.0"),
    ("clip with no bound", lambda x: F.clip(x), ValueError, "x_min=None"),
    ("sum over an axis out of range", lambda x: F.sum(x, axis=2), IndexError, "axis=2"),
    ("sum over a repeated axis", lambda x: F.sum(x, axis=(0, -2)), RuntimeError, "repeats"),
    ("max over an axis out of range", lambda x: F.max(x, axis=-3), IndexError, "axis=-3"),
    ("softmax over an axis out of range", lambda x: F.softmax(x, axis=2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    ("transpose with a non-permutation", lambda x: F.transpose(x, (0, 0)), RuntimeError, "axes"),
    ("expand_dims out of range", lambda x: F.expand_dims(x, 4), IndexError, "axis=4"),
    ("swapaxes out of range", lambda x: F.swapaxes(x, 0, 2), IndexError, "axis2=2"),
    ("matmul inner sizes differ", lambda x: F.matmul(x, x), RuntimeError, r"\(2, 3\)"),
    ("dot of 2-D", lambda x: F.dot(x, x), RuntimeError, "1-D"),
    ("split sizes not summing to the length", lambda x: F.split(x, [1, 1], axis=1), RuntimeError,
     r"\[1, 1\]"),
    ("split with a non-positive int", lambda x: F.split(x, 0), RuntimeError, "0"),
    ("getitem with a float index", lambda x: x[1.5], IndexError, "1.5"),
    ("getitem out of bounds", lambda x: x[:, 3], IndexError, r"\(2, 3\)"),
    ("where with a float condition", lambda x: F.where(np.ones((2, 3)), x, x), RuntimeError,
     "float64"),
    ("log of an integer array", lambda x: F.log(refimpl.Variable(np.arange(3))), RuntimeError,
     "int64"),
]


@pytest.mark.parametrize("description, call, exception, message", BAD_ARGUMENTS,
                         ids=[b[0] for b in BAD_ARGUMENTS])
def test_bad_arguments_raise_clear_errors(description, call, exception, message):
    with pytest.raises(exception, match=message):
        call(refimpl.Variable(X23.copy(), requires_grad=True))


def test_bad_arguments_under_chainer():
    with refimpl.semantics("chainer"):
        x = refimpl.Variable(X23.copy(), requires_grad=True)
        with pytest.raises(refimpl.InvalidType):
            F.concat([x, refimpl.Variable(np.ones((3, 3)))], axis=1)
        with pytest.raises(refimpl.InvalidType, match="equal division"):
            F.split(x, 2, axis=1)


# --------------------------------------------------------------------------------------
# Regressions: defects found while writing these tests, since fixed
# --------------------------------------------------------------------------------------

def test_0d_results_are_ndarrays():
    x = leaf(2.0)
    for y in (x * x, F.exp(x), leaf([1.0, 2.0])[0], F.mean(leaf([1.0, 2.0]))):
        assert isinstance(y.data, np.ndarray), type(y.data)
