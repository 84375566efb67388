"""2-D pooling ``refimpl.functions.pooling``: values against a direct loop over windows, output
sizes from the definition of a window (floor, chainer ``cover_all``, torch ``ceil_mode``), the
exact tie, NaN and padding rules observed in torch 2.13.0 / chainer 7.8.1
(``scripts/probe_results/conv-*.jsonl``), gradients to second order, invalid arguments, and
torch ``F.max_pool2d``/``F.avg_pool2d`` / chainer ``F.max_pooling_2d``/``F.average_pooling_2d``.
"""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import refimpl
import refimpl.functions as F
from refimpl.functions.pooling import (avg_pool2d, average_pooling_2d, max_pool2d,
                                       max_pooling_2d)
from refimpl.gradient_check import check_backward, check_double_backward
from framework_imports import import_chainer as _import_chainer, import_torch as _import_torch

NAN = float("nan")


# --------------------------------------------------------------------------------------
# The independent reference: a direct loop over windows (tests only)
# --------------------------------------------------------------------------------------

def window_count(size, ksize, stride, pad, rule):
    """Output length from the definition of the window starts 0, s, 2s, ... (padded coords)."""
    padded = size + 2 * pad
    if rule == "floor":  # every window inside the padded input
        return sum(1 for start in range(0, padded, stride) if start + ksize <= padded)
    count = 1  # cover_all: the fewest starts whose last window reaches the end
    while (count - 1) * stride + ksize < padded:
        count += 1
    if rule == "ceil_mode" and (count - 1) * stride >= size + pad:
        count -= 1  # torch: no window starting in the right padding
    return count


def window_rows(p, size, ksize, stride, pad):
    """Input rows of window p (padding excluded) and the rows it has inside the padded input."""
    start = p * stride - pad
    rows = [r for r in range(start, start + ksize) if 0 <= r < size]
    in_padded = [r for r in range(start, start + ksize) if -pad <= r < size + pad]
    return rows, in_padded


def naive_pool(x, ksize, stride, pad, out_size, kind, count_include_pad=True, nan_index="first"):
    """max: the largest element of each window (-inf if none, first of ties, first or last NaN),
    with the chosen flat index; avg: the window's sum over its count."""
    n_batch, channels, height, width = x.shape
    y = np.zeros((n_batch, channels) + out_size)
    chosen = np.full(y.shape, -1, dtype=np.int64)
    for n in range(n_batch):
        for c in range(channels):
            for p in range(out_size[0]):
                rows, rows_padded = window_rows(p, height, ksize[0], stride[0], pad[0])
                for q in range(out_size[1]):
                    cols, cols_padded = window_rows(q, width, ksize[1], stride[1], pad[1])
                    values = [(x[n, c, r, s], r * width + s) for r in rows for s in cols]
                    if kind == "avg":
                        count = (len(rows_padded) * len(cols_padded) if count_include_pad
                                 else len(rows) * len(cols))
                        y[n, c, p, q] = sum(v for v, _ in values) / count
                        continue
                    best, index = -math.inf, -1
                    for v, flat in values:
                        if math.isnan(v):
                            if nan_index == "last" or not math.isnan(best):
                                best, index = v, flat
                        elif v > best and not math.isnan(best):
                            best, index = v, flat
                    y[n, c, p, q], chosen[n, c, p, q] = best, index
    return y, chosen


def scatter_reference(gy, chosen, x_shape):
    """Each gy added at its window's chosen flat index (none for all-padding windows)."""
    gx = np.zeros(x_shape)
    n_batch, channels = x_shape[:2]
    for n in range(n_batch):
        for c in range(channels):
            flat = gx[n, c].reshape(-1)
            for g, index in zip(gy[n, c].ravel(), chosen[n, c].ravel()):
                if index >= 0:
                    flat[index] += g
    return gx


def as_pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------

@st.composite
def pool_configs(draw, distinct=False, max_side=7):
    """A valid pooling configuration; ``distinct`` gives inputs with no ties (gradchecks)."""
    ksize = (draw(st.integers(1, 3), label="kh"), draw(st.integers(1, 3), label="kw"))
    stride = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)), label="stride")
    pad = (draw(st.integers(0, ksize[0] // 2), label="py"),
           draw(st.integers(0, ksize[1] // 2), label="px"))
    sizes = tuple(draw(st.integers(max(1, k - 2 * p), max_side), label="size")
                  for k, p in zip(ksize, pad))
    rule = draw(st.sampled_from(["floor", "cover_all", "ceil_mode"]), label="rule")
    shape = (draw(st.integers(1, 2), label="batch"), draw(st.integers(1, 2), label="channels"))
    shape += sizes
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16), label="seed"))
    if distinct:
        x = rng.permutation(math.prod(shape)).reshape(shape) / 4.0
    else:  # few values: many ties
        x = rng.integers(-2, 3, size=shape).astype(np.float64)
    return dict(x=x, ksize=ksize, stride=stride, pad=pad, rule=rule)


def size_flags(rule):
    return dict(cover_all=rule == "cover_all", ceil_mode=rule == "ceil_mode")


def out_size(config):
    stride = config["stride"] or config["ksize"]
    return tuple(window_count(n, k, s, p, config["rule"]) for n, k, s, p
                 in zip(config["x"].shape[2:], config["ksize"], stride, config["pad"]))


def run_max(config, x=None, **kwargs):
    return max_pooling_2d(config["x"] if x is None else x, config["ksize"], config["stride"],
                          config["pad"], **size_flags(config["rule"]), **kwargs)


def run_avg(config, x=None, **kwargs):
    if config["rule"] == "cover_all":  # average pooling has no cover_all (chainer neither)
        pytest.skip("average pooling has no cover_all")
    return average_pooling_2d(config["x"] if x is None else x, config["ksize"],
                              config["stride"], config["pad"],
                              ceil_mode=config["rule"] == "ceil_mode", **kwargs)


# --------------------------------------------------------------------------------------
# Values and sizes
# --------------------------------------------------------------------------------------

@given(config=pool_configs())
def test_max_pooling_matches_a_direct_loop_with_ties(config):
    y = run_max(config, pad_limit="unlimited")
    stride = config["stride"] or config["ksize"]
    expected, chosen = naive_pool(config["x"], config["ksize"], stride, config["pad"],
                                  out_size(config), "max")
    assert y.shape == expected.shape
    np.testing.assert_array_equal(y.data, expected)
    # the gradient goes to the first maximum of each window (summed where windows overlap)
    x = refimpl.Variable(config["x"], requires_grad=True)
    gy = np.random.default_rng(0).standard_normal(y.shape)
    F.sum(run_max(config, x) * gy).backward()
    np.testing.assert_allclose(x.grad, scatter_reference(gy, chosen, x.shape), rtol=1e-12)


@given(config=pool_configs(), count_include_pad=st.booleans())
def test_average_pooling_matches_a_direct_loop(config, count_include_pad):
    if config["rule"] == "cover_all":
        config["rule"] = "floor"
    y = run_avg(config, count_include_pad=count_include_pad)
    stride = config["stride"] or config["ksize"]
    expected, _ = naive_pool(config["x"], config["ksize"], stride, config["pad"],
                             out_size(config), "avg", count_include_pad)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("size, ksize, stride, pad, floor, cover_all, ceil_mode", [
    (5, 2, 2, 0, 2, 3, 3),
    (6, 3, 3, 1, 2, 3, 3),
    (5, 2, 3, 1, 2, 3, 2),   # torch drops the window that would start in the right padding
    (3, 2, 2, 1, 2, 3, 2),
    (7, 3, 2, 1, 4, 4, 4),
])
def test_output_size_rules_observed_in_the_frameworks(size, ksize, stride, pad, floor,
                                                       cover_all, ceil_mode):
    """Sizes recorded by scripts/probe_conv.py (torch max_pool2d ceil_mode False/True,
    chainer max_pooling_2d cover_all False/True)."""
    x = np.zeros((1, 1, size, size))
    sizes = {rule: max_pooling_2d(x, ksize, stride, pad, pad_limit="unlimited",
                                  **size_flags(rule)).shape[-1]
             for rule in ("floor", "cover_all", "ceil_mode")}
    assert sizes == {"floor": floor, "cover_all": cover_all, "ceil_mode": ceil_mode}


def test_default_size_rule_is_the_policys():
    x = np.zeros((1, 1, 5, 5))
    with refimpl.semantics("torch"):
        assert max_pooling_2d(x, 2).shape == (1, 1, 2, 2)
    with refimpl.semantics("chainer"):
        assert max_pooling_2d(x, 2).shape == (1, 1, 3, 3)
        assert average_pooling_2d(x, 2).shape == (1, 1, 2, 2)  # no cover_all for the average


def test_stride_defaults_to_ksize():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    np.testing.assert_array_equal(max_pooling_2d(x, 3).data, [[[[14, 17], [32, 35]]]])


# --------------------------------------------------------------------------------------
# Exact rules: ties, NaN, padding, divisors
# --------------------------------------------------------------------------------------

def _grad(pool, x, **kwargs):
    v = refimpl.Variable(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = pool(v, **kwargs)
    F.sum(y * np.ones(y.shape)).backward()
    return y.data, v.grad


@pytest.mark.parametrize("semantics", ["torch", "chainer"])
def test_ties_give_the_gradient_to_the_first_element(semantics):
    """Both frameworks: [[0, 2, 0, 1], [2, 0, 1, 1], ...] -> the first 2 and the first 1."""
    x = [[[[0, 2, 0, 1], [2, 0, 1, 1], [0, 0, 3, 0], [0, 3, 0, 3]]]]
    with refimpl.semantics(semantics):
        y, gx = _grad(max_pooling_2d, x, ksize=2)
    np.testing.assert_array_equal(y, [[[[2, 1], [3, 3]]]])
    np.testing.assert_array_equal(gx, [[[[0, 1, 0, 1], [0, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]]])


@pytest.mark.parametrize("semantics, expected", [
    ("torch", [[0, 0, 0], [0, 1, 0], [0, 0, 0]]),    # the last NaN (flat index 4)
    ("chainer", [[1, 0, 0], [0, 0, 0], [0, 0, 0]]),  # the first NaN (numpy argmax)
])
def test_nan_window_gradient_goes_to_the_frameworks_nan(semantics, expected):
    x = [[[[NAN, 1, NAN], [2, NAN, 0], [0, 0, 0]]]]
    with refimpl.semantics(semantics):
        y, gx = _grad(max_pooling_2d, x, ksize=3)
    assert np.isnan(y).all()
    np.testing.assert_array_equal(gx[0, 0], expected)


def test_padding_never_wins_a_max_and_all_padding_windows_are_minus_infinity():
    """chainer cover_all with pad 1 on a 3x3 negative input: the third row/column of windows
    lies in the padding and gives -inf, with no gradient (probe records)."""
    x = -np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    y, gx = _grad(max_pooling_2d, x, ksize=2, stride=2, pad=1, cover_all=True,
                  pad_limit="unlimited")
    np.testing.assert_array_equal(y[0, 0], [[-1, -2, -np.inf], [-4, -5, -np.inf],
                                            [-np.inf, -np.inf, -np.inf]])
    np.testing.assert_array_equal(gx[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("kwargs, expected", [
    (dict(), [[0.25, 0.5], [0.5, 1.0]]),                       # padding counts (both)
    (dict(count_include_pad=False), [[1.0, 1.0], [1.0, 1.0]]),  # torch's option
])
def test_average_divisor_and_padding(kwargs, expected):
    y = average_pooling_2d(np.ones((1, 1, 3, 3)), 2, 2, 1, **kwargs)
    np.testing.assert_array_equal(y.data[0, 0], expected)


def test_ceil_mode_average_does_not_count_beyond_the_padding():
    """torch avg_pool2d(ones(4, 4), 3, 2, 1, ceil_mode=True): the last windows reach one column
    past the padding, which does not count: 2/6 and 1/4 (probe records)."""
    y = average_pooling_2d(np.ones((1, 1, 4, 4)), 3, 2, 1, ceil_mode=True)
    np.testing.assert_allclose(y.data[0, 0], [[4 / 9, 6 / 9, 2 / 6], [6 / 9, 1, 3 / 6],
                                              [2 / 6, 3 / 6, 1 / 4]], rtol=1e-15)


# --------------------------------------------------------------------------------------
# Gradients
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["max", "avg"])
@given(config=pool_configs(distinct=True, max_side=5))
def test_first_and_second_order_gradients(kind, config):
    """Distinct inputs (0.25 apart): no ties within the step eps=1e-6. Max pooling is linear
    around such a point and average pooling everywhere, so the second-order check covers the
    scatter/gather (spread/average) pair and its own gradient."""
    if kind == "avg" and config["rule"] == "cover_all":
        config["rule"] = "ceil_mode"
    run = run_max if kind == "max" else run_avg
    f = lambda x: run(config, x)  # noqa: E731
    y = f(refimpl.Variable(config["x"]))
    assume(np.isfinite(y.data).all())  # a window entirely in padding (-inf) has no gradient
    rng = np.random.default_rng(1)
    gy = rng.standard_normal(y.shape)
    check_backward(f, [config["x"]], [gy])
    check_double_backward(f, [config["x"]], [gy], [rng.standard_normal(config["x"].shape)])


def test_scatter_and_gather_are_each_others_gradient_to_any_order():
    """The gradient of max pooling is a linear map of gy (a scatter); its gradient in gy is the
    gather at the same positions, whose gradient is the scatter again (third order)."""
    rng = np.random.default_rng(2)
    x = refimpl.Variable(rng.permutation(32).reshape(1, 2, 4, 4) / 8.0, requires_grad=True)
    y = max_pooling_2d(x, 2, 1, cover_all=False)
    gy = refimpl.Variable(rng.standard_normal(y.shape), requires_grad=True)
    (gx,) = refimpl.grad(y, [x], gy, create_graph=True)
    r = rng.standard_normal(x.shape)
    (ggy,) = refimpl.grad(F.sum(gx * r), [gy], create_graph=True)
    # <scatter(gy), r> = <gy, gather(r)>
    np.testing.assert_allclose(np.sum(gx.data * r), np.sum(gy.data * ggy.data), rtol=1e-12)
    # and the gather's own gradient is the scatter again: <gather(r), s> = <r, scatter(s)>
    r_var = refimpl.Variable(r, requires_grad=True)
    (ggy,) = refimpl.grad(F.sum(gx * r_var), [gy], create_graph=True)
    s = rng.standard_normal(y.shape)
    (gr,) = refimpl.grad(F.sum(ggy * s), [r_var])
    np.testing.assert_allclose(np.sum(ggy.data * s), np.sum(r * gr.data), rtol=1e-12)
    (scattered,) = refimpl.grad(y, [x], s)
    np.testing.assert_array_equal(gr.data, scattered.data)


# --------------------------------------------------------------------------------------
# Invalid arguments
# --------------------------------------------------------------------------------------

INVALID = [  # (x shape, args, kwargs, words)
    ((1, 1, 4, 4), (0,), {}, "ksize=0"),
    ((1, 1, 4, 4), (2,), dict(stride=0), "stride=0"),
    ((1, 1, 4, 4), (2,), dict(stride=(1, -2)), "stride=(1, -2)"),
    ((1, 1, 4, 4), (2,), dict(pad=-1), "pad=-1"),
    ((1, 1, 4, 4), (5,), {}, "larger than the padded input"),
    ((1, 1, 2, 2), (3,), dict(stride=1), "larger than the padded input"),
    ((1, 4, 4), (2,), dict(allow_unbatched=False), "4-D"),
    ((1, 1, 1, 4, 4), (2,), {}, "4-D"),
    ((1, 1, 4, 4), (2,), dict(ceil_mode=True, cover_all=True), "not both"),
    ((1, 1, 4, 4), (2.5,), {}, "ksize=2.5"),
]


@pytest.mark.parametrize("x_shape, args, kwargs, words", INVALID)
def test_invalid_arguments_raise_value_error(x_shape, args, kwargs, words):
    pool_kwargs = {k: v for k, v in kwargs.items() if k != "cover_all"}
    for pool, extra in ((max_pooling_2d, {k: v for k, v in kwargs.items() if k == "cover_all"}),
                        (average_pooling_2d, {})):
        if pool is average_pooling_2d and "cover_all" in kwargs:
            continue
        # the default (torch) policy: a non-positive ksize/stride or a negative pad is its
        # 'value' error (RuntimeError, as torch); the rest ValueError naming the argument
        with pytest.raises((ValueError, RuntimeError)) as raised:
            pool(np.ones(x_shape), *args, **pool_kwargs, **extra)
        assert words in str(raised.value), pool.__name__


def test_integer_input_raises_type_error():
    with pytest.raises(TypeError, match="x.dtype=int64"):
        max_pooling_2d(np.ones((1, 1, 4, 4), dtype=np.int64), 2)


def test_pad_limit_follows_the_framework():
    """torch: pad > ksize // 2 raises; chainer pools (windows entirely in padding)."""
    x = np.ones((1, 1, 4, 4))
    for pool in (max_pooling_2d, average_pooling_2d):
        with refimpl.semantics("torch"), pytest.raises(RuntimeError, match="half of the kernel"):
            pool(x, 2, 2, 2)
    with refimpl.semantics("chainer"):
        assert max_pooling_2d(x, 2, 2, 2, cover_all=False).shape == (1, 1, 4, 4)
        y = average_pooling_2d(x, 2, 2, 2)
    np.testing.assert_array_equal(y.data[0, 0], [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0],
                                                 [0, 0, 0, 0]])


def test_unbatched_input_follows_the_framework():
    x = np.arange(32.0).reshape(2, 4, 4)
    with refimpl.semantics("torch"):
        y = max_pooling_2d(x, 2)
    np.testing.assert_array_equal(y.data, max_pooling_2d(x[None], 2, cover_all=False).data[0])
    with refimpl.semantics("chainer"), pytest.raises(ValueError, match="4-D"):
        average_pooling_2d(x, 2)


# --------------------------------------------------------------------------------------
# The real frameworks
# --------------------------------------------------------------------------------------

# float64 both sides; averages divide in a different order: a few ulps.
TOL = dict(rtol=1e-12, atol=1e-14)


def _refimpl(pool, x, gy, **kwargs):
    v = refimpl.Variable(x, requires_grad=True)
    y = pool(v, **kwargs)
    F.sum(y * gy).backward()
    return y.data, v.grad


@pytest.mark.frameworks
@given(config=pool_configs(), count_include_pad=st.booleans())
def test_matches_torch(config, count_include_pad):
    torch = _import_torch()
    if config["rule"] == "cover_all":
        config["rule"] = "floor"
    ceil_mode = config["rule"] == "ceil_mode"
    rng = np.random.default_rng(3)
    for name in ("max", "avg"):
        t = torch.tensor(config["x"], requires_grad=True)
        args = (t, config["ksize"], config["stride"], config["pad"])
        if name == "max":
            ty = torch.nn.functional.max_pool2d(*args, ceil_mode=ceil_mode)
        else:
            ty = torch.nn.functional.avg_pool2d(*args, ceil_mode=ceil_mode,
                                                count_include_pad=count_include_pad)
        gy = rng.standard_normal(tuple(ty.shape))
        (ty * torch.tensor(gy)).sum().backward()
        kwargs = dict(kernel_size=config["ksize"], stride=config["stride"],
                      padding=config["pad"], ceil_mode=ceil_mode)
        with refimpl.semantics("torch"):
            if name == "max":
                y, gx = _refimpl(max_pool2d, config["x"], gy, **kwargs)
            else:
                y, gx = _refimpl(avg_pool2d, config["x"], gy, **kwargs,
                                 count_include_pad=count_include_pad)
        np.testing.assert_allclose(y, ty.detach().numpy(), **TOL)
        np.testing.assert_allclose(gx, t.grad.numpy(), **TOL)


@pytest.mark.frameworks
@given(config=pool_configs())
def test_matches_chainer(config):
    chainer = _import_chainer()
    rng = np.random.default_rng(4)
    pad_beyond = dict(pad=(config["pad"][0] + 1, config["pad"][1]))  # chainer has no limit
    for variant in (config, dict(config, **pad_beyond)):
        cover_all = variant["rule"] == "cover_all"
        v = chainer.Variable(variant["x"].copy())
        y = chainer.functions.max_pooling_2d(v, variant["ksize"], variant["stride"],
                                             variant["pad"], cover_all=cover_all)
        gy = rng.standard_normal(y.shape)
        chainer.functions.sum(y * gy).backward()
        with refimpl.semantics("chainer"):
            ry, rgx = _refimpl(max_pooling_2d, variant["x"], gy, ksize=variant["ksize"],
                               stride=variant["stride"], pad=variant["pad"], cover_all=cover_all)
        np.testing.assert_array_equal(ry, y.array)
        np.testing.assert_allclose(rgx, v.grad, **TOL)
        v = chainer.Variable(variant["x"].copy())
        y = chainer.functions.average_pooling_2d(v, variant["ksize"], variant["stride"],
                                                 variant["pad"])
        gy = rng.standard_normal(y.shape)
        chainer.functions.sum(y * gy).backward()
        with refimpl.semantics("chainer"):
            ry, rgx = _refimpl(average_pooling_2d, variant["x"], gy, ksize=variant["ksize"],
                               stride=variant["stride"], pad=variant["pad"])
        np.testing.assert_allclose(ry, y.array, **TOL)
        np.testing.assert_allclose(rgx, v.grad, **TOL)


@pytest.mark.frameworks
def test_max_pooling_second_order_matches_torch():
    torch = _import_torch()
    rng = np.random.default_rng(5)
    x = rng.permutation(50).reshape(1, 2, 5, 5) / 7.0
    gy = rng.standard_normal((1, 2, 3, 3))
    r = rng.standard_normal(x.shape)
    tx, tgy = torch.tensor(x, requires_grad=True), torch.tensor(gy, requires_grad=True)
    ty = torch.nn.functional.max_pool2d(tx, 3, 2, 1)
    (tgx,) = torch.autograd.grad(ty, tx, tgy, create_graph=True)
    (expected,) = torch.autograd.grad((tgx * torch.tensor(r)).sum(), [tgy])
    with refimpl.semantics("torch"):
        rx = refimpl.Variable(x, requires_grad=True)
        rgy = refimpl.Variable(gy, requires_grad=True)
        (gx,) = refimpl.grad(max_pooling_2d(rx, 3, 2, 1), [rx], rgy, create_graph=True)
        (actual,) = refimpl.grad(F.sum(gx * r), [rgy])
    np.testing.assert_allclose(actual.data, expected.numpy(), **TOL)
