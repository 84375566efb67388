"""refimpl (torch policy) against torch 2.13 on the edge inputs the property strategies did not
draw (issue 15): zero and negative bases of pow, NaN at the kinks of relu/abs/clip/max, empty
reduction axes, 0-d inputs with keepdim, two Python numbers as operands, Python complex with
float64, cross entropy with probability targets, squeeze of a non-1 axis, legacy empty (0,)
tensors in cat, one-element tuples for pooling arguments.

Each case runs the op on both sides and compares the value, the first-order gradients of
``sum(y * w)`` (w fixed, nonzero) and, where ``second`` is set, the gradients of the sum of
the first-order gradients (double backprop). NaN must match NaN, inf must match inf of the
same sign. When torch raises, refimpl must raise the same class.

Agreement over the whole table: ``python tests/refimpl/test_torch_edge_inputs.py``.
"""
import sys
import warnings

import numpy as np
import pytest

import refimpl
import refimpl.functions as F

DEBUG = False
NAN, INF = float("nan"), float("inf")


class Case:
    """One edge input: ``ref(F, *variables)`` and ``torch_fn(torch, *tensors)`` on ``arrays``;
    ``grad`` lists which arrays get gradients (all float ones by default)."""

    def __init__(self, name, ref, torch_fn, arrays, grad=None, second=True, rtol=1e-6):
        self.name, self.ref, self.torch_fn = name, ref, torch_fn
        self.arrays = [np.asarray(a) for a in arrays]
        self.grad = [a.dtype.kind == "f" for a in self.arrays] if grad is None else grad
        self.second, self.rtol = second, rtol


def f64(*values):
    return np.array(values, dtype=np.float64)


def f32(*values):
    return np.array(values, dtype=np.float32)


def _cases():
    cases = []
    add = cases.append
    # --- pow at zero and negative bases -------------------------------------------------
    for dtype in (np.float32, np.float64):
        base = np.array([-2.0, 0.0, 0.0, 3.0, 0.0, -1.0, 2.0], dtype=dtype)
        exponent = np.array([2.0, 2.0, -1.0, 0.5, 0.0, 3.0, 0.0], dtype=dtype)
        # second order without (2, 0): torch's d/db of d/da there is 0, its documented
        # defect (conformance/frameworks/torch/known_issues.toml); refimpl keeps a^-1
        add(Case(f"pow_var_var_{np.dtype(dtype).name}", lambda F, a, b: a ** b,
                 lambda t, a, b: a ** b, [base[:-1], exponent[:-1]]))
        add(Case(f"pow_var_var_zero_exponent_first_order_{np.dtype(dtype).name}",
                 lambda F, a, b: a ** b, lambda t, a, b: a ** b, [base, exponent],
                 second=False))
        add(Case(f"pow_var_var_exponent_only_{np.dtype(dtype).name}", lambda F, a, b: a ** b,
                 lambda t, a, b: a ** b, [base, exponent], grad=[False, True]))
    for scalar in (0.0, -2.0, 2.0):
        add(Case(f"pow_scalar_base_{scalar}", lambda F, b, s=scalar: s ** b,
                 lambda t, b, s=scalar: s ** b, [f64(0.0, 2.0, -1.0, 0.5)]))
    for scalar in (0.0, 2.0, -1.0, 0.5):
        add(Case(f"pow_scalar_exponent_{scalar}", lambda F, a, s=scalar: a ** s,
                 lambda t, a, s=scalar: a ** s, [f64(0.0, -2.0, 3.0)]))
    # --- NaN at the kinks -------------------------------------------------------------
    kinked = f64(NAN, 0.0, 1.0, -1.0, 0.5)
    nan_ops = [
        ("relu", lambda F, x: F.relu(x), lambda t, x: t.relu(x)),
        ("abs", lambda F, x: F.abs(x), lambda t, x: t.abs(x)),
        ("clip", lambda F, x: F.clip(x, -0.5, 0.5), lambda t, x: t.clamp(x, -0.5, 0.5)),
        ("clip_min", lambda F, x: F.clip(x, 0.0), lambda t, x: t.clamp(x, min=0.0)),
        ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.1),
         lambda t, x: t.nn.functional.leaky_relu(x, 0.1)),
        ("max_all", lambda F, x: F.max(x), lambda t, x: t.max(x)),
        ("min_all", lambda F, x: F.min(x), lambda t, x: t.min(x)),
        ("max_axis", lambda F, x: F.max(x, 0)[0], lambda t, x: t.max(x, 0)[0]),
        ("min_axis", lambda F, x: F.min(x, 0)[0], lambda t, x: t.min(x, 0)[0]),
        ("sqrt", lambda F, x: F.sqrt(x), lambda t, x: t.sqrt(x)),
        ("sigmoid", lambda F, x: F.sigmoid(x), lambda t, x: t.sigmoid(x)),
        ("tanh", lambda F, x: F.tanh(x), lambda t, x: t.tanh(x)),
        ("logsumexp", lambda F, x: F.logsumexp(x, 0), lambda t, x: t.logsumexp(x, 0)),
        ("softmax", lambda F, x: F.softmax(x, 0), lambda t, x: t.softmax(x, 0)),
        ("topk", lambda F, x: F.topk(x, 2)[0], lambda t, x: t.topk(x, 2)[0]),
    ]
    for name, ref, torch_fn in nan_ops:
        add(Case(f"nan_{name}", ref, torch_fn, [kinked]))
    add(Case("nan_argmax", lambda F, x: F.argmax(x), lambda t, x: t.argmax(x), [kinked],
             grad=[False]))
    # --- empty reduction axes ---------------------------------------------------------
    for shape, axis in [((2, 0), 1), ((2, 0), -1), ((0, 3), 0), ((0, 3), 1), ((0,), 0)]:
        x = np.zeros(shape)
        tag = f"{'x'.join(map(str, shape))}_axis{axis}"
        for name, ref, torch_fn in [
                ("softmax", lambda F, x, a=axis: F.softmax(x, a), lambda t, x, a=axis: t.softmax(x, a)),
                ("log_softmax", lambda F, x, a=axis: F.log_softmax(x, a),
                 lambda t, x, a=axis: t.log_softmax(x, a)),
                ("logsumexp", lambda F, x, a=axis: F.logsumexp(x, a),
                 lambda t, x, a=axis: t.logsumexp(x, a)),
                ("sum", lambda F, x, a=axis: F.sum(x, a), lambda t, x, a=axis: t.sum(x, a)),
                ("mean", lambda F, x, a=axis: F.mean(x, a), lambda t, x, a=axis: t.mean(x, a)),
                ("max", lambda F, x, a=axis: F.max(x, a)[0], lambda t, x, a=axis: t.max(x, a)[0]),
                ("argmax", lambda F, x, a=axis: F.argmax(x, a), lambda t, x, a=axis: t.argmax(x, a)),
                ("topk0", lambda F, x, a=axis: F.topk(x, 0, a)[0],
                 lambda t, x, a=axis: t.topk(x, 0, a)[0])]:
            add(Case(f"empty_{name}_{tag}", ref, torch_fn, [x]))
    add(Case("empty_logsumexp_all", lambda F, x: F.logsumexp(x, (0, 1)),
             lambda t, x: t.logsumexp(x, (0, 1)), [np.zeros((2, 0))]))
    # --- 0-d inputs with keepdim ------------------------------------------------------
    scalar = np.array(3.0)
    for axis in (0, -1, None):
        for name, ref, torch_fn in [
                ("argmax", lambda F, x, a=axis: F.argmax(x, a, keepdims=True),
                 lambda t, x, a=axis: t.argmax(x, a, keepdim=True)),
                ("argmin", lambda F, x, a=axis: F.argmin(x, a, keepdims=True),
                 lambda t, x, a=axis: t.argmin(x, a, keepdim=True))]:
            add(Case(f"0d_keepdim_{name}_axis{axis}", ref, torch_fn, [scalar]))
    for axis in (0, -1):
        for name, ref, torch_fn in [
                ("sum", lambda F, x, a=axis: F.sum(x, a, keepdims=True),
                 lambda t, x, a=axis: t.sum(x, a, keepdim=True)),
                ("mean", lambda F, x, a=axis: F.mean(x, a, keepdims=True),
                 lambda t, x, a=axis: t.mean(x, a, keepdim=True)),
                ("max", lambda F, x, a=axis: F.max(x, a, keepdims=True)[0],
                 lambda t, x, a=axis: t.max(x, a, keepdim=True)[0]),
                ("max_indices", lambda F, x, a=axis: F.max(x, a, keepdims=True)[1],
                 lambda t, x, a=axis: t.max(x, a, keepdim=True)[1]),
                ("min", lambda F, x, a=axis: F.min(x, a, keepdims=True)[0],
                 lambda t, x, a=axis: t.min(x, a, keepdim=True)[0]),
                ("logsumexp", lambda F, x, a=axis: F.logsumexp(x, a, keepdims=True),
                 lambda t, x, a=axis: t.logsumexp(x, a, keepdim=True))]:
            add(Case(f"0d_keepdim_{name}_axis{axis}", ref, torch_fn, [scalar]))
    add(Case("2d_keepdim_argmax_all", lambda F, x: F.argmax(x, None, keepdims=True),
             lambda t, x: t.argmax(x, None, keepdim=True), [np.arange(6.0).reshape(2, 3)]))
    # --- two Python numbers -----------------------------------------------------------
    for name in ("add", "sub", "mul", "div", "pow"):
        for a, b in ((2, 3), (2.0, 3), (2.5, 0.5), (True, 2)):
            add(Case(f"numbers_{name}_{a!r}_{b!r}", lambda F, a=a, b=b, n=name: getattr(F, n)(a, b),
                     lambda t, a=a, b=b, n=name: getattr(t, n)(a, b), []))
    condition = np.array([True, False])
    for a, b in ((2, 3), (2.0, 3), (2.5, 0.5), (True, 2)):
        add(Case(f"numbers_where_{a!r}_{b!r}", lambda F, a=a, b=b, c=condition: F.where(c, a, b),
                 lambda t, a=a, b=b, c=condition: t.where(t.tensor(c), a, b), []))
    add(Case("numbers_matmul", lambda F: F.matmul(2.0, 3.0), lambda t: t.matmul(2.0, 3.0), []))
    # --- Python complex ---------------------------------------------------------------
    for dtype in (np.float32, np.float64):
        for shape in ((2,), ()):
            x = np.full(shape, 1.5, dtype=dtype)
            add(Case(f"complex_scalar_mul_{np.dtype(dtype).name}_{len(shape)}d",
                     lambda F, x: F.mul(x, 2j), lambda t, x: x * 2j, [x], grad=[False]))
            add(Case(f"complex_scalar_add_{np.dtype(dtype).name}_{len(shape)}d",
                     lambda F, x: F.add(1 + 1j, x), lambda t, x: (1 + 1j) + x, [x], grad=[False]))
    # --- cross entropy with probability targets ---------------------------------------
    logits = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    probabilities = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    for reduction in ("mean", "sum", "none"):
        for smoothing in (0.0, 0.2):
            add(Case(f"cross_entropy_probabilities_{reduction}_{smoothing}",
                     lambda F, x, q, r=reduction, s=smoothing: F.softmax_cross_entropy(
                         x, q, reduction=r, label_smoothing=s),
                     lambda t, x, q, r=reduction, s=smoothing: t.nn.functional.cross_entropy(
                         x, q, reduction=r, label_smoothing=s),
                     [logits, probabilities]))
    # --- squeeze of an axis whose length is not 1 -------------------------------------
    for shape, axis in [((2, 3), 0), ((2, 1, 3), (0, 1)), ((2, 3), -1), ((1, 3), (0, 1))]:
        add(Case(f"squeeze_{'x'.join(map(str, shape))}_{axis}",
                 lambda F, x, a=axis: F.squeeze(x, a), lambda t, x, a=axis: t.squeeze(x, a),
                 [np.arange(float(np.prod(shape))).reshape(shape)]))
    # --- legacy empty (0,) tensors in cat ---------------------------------------------
    block = np.arange(6.0).reshape(2, 3)
    for axis, order in [(0, "first"), (1, "last"), (-1, "first")]:
        arrays = [np.zeros(0), block] if order == "first" else [block, np.zeros(0)]
        add(Case(f"cat_legacy_empty_axis{axis}_{order}",
                 lambda F, a, b, ax=axis: F.cat([a, b], ax), lambda t, a, b, ax=axis: t.cat([a, b], ax),
                 arrays))
    add(Case("cat_only_legacy_empty", lambda F, a, b: F.cat([a, b], 0),
             lambda t, a, b: t.cat([a, b], 0), [np.zeros(0), np.zeros(0)]))
    add(Case("cat_legacy_empty_other_dtype", lambda F, a, b: F.cat([a, b], 0),
             lambda t, a, b: t.cat([a, b], 0), [block.astype(np.float32), np.zeros(0)]))
    # --- one-element tuples for pooling -----------------------------------------------
    image = np.arange(16.0).reshape(1, 1, 4, 4)
    for name, kwargs in [("padding", dict(kernel_size=2, stride=2, padding=(1,))),
                         ("kernel", dict(kernel_size=(2,), stride=2)),
                         ("stride", dict(kernel_size=2, stride=(1,))),
                         ("all", dict(kernel_size=(2,), stride=(2,), padding=(1,)))]:
        add(Case(f"max_pool2d_one_tuple_{name}", lambda F, x, k=kwargs: F.max_pool2d(x, **k),
                 lambda t, x, k=kwargs: t.nn.functional.max_pool2d(x, **k), [image]))
        add(Case(f"avg_pool2d_one_tuple_{name}", lambda F, x, k=kwargs: F.avg_pool2d(x, **k),
                 lambda t, x, k=kwargs: t.nn.functional.avg_pool2d(x, **k), [image]))
    return cases


CASES = _cases()


# --------------------------------------------------------------------------------------
# Running one side
# --------------------------------------------------------------------------------------

def _weights(shape, dtype):
    """Fixed nonzero cotangent weights, so a gradient error cannot hide in a sum."""
    return (np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) % 3 + 1).astype(dtype)


def _first(output):
    return output[0] if isinstance(output, tuple) else output


def run_refimpl(case):
    """(value, first-order grads, second-order grads) or ('raises', class name)."""
    with refimpl.semantics("torch"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            xs = [refimpl.Variable(a, requires_grad=bool(g)) for a, g in zip(case.arrays, case.grad)]
            y = _first(case.ref(F, *xs))
            value = np.asarray(y.data)
            wanted = [x for x, g in zip(xs, case.grad) if g]
            if not wanted or not y.requires_grad:
                return value, None, None
            w = _weights(y.shape, y.dtype)
            grads = refimpl.grad([F.sum(y * w)], wanted, create_graph=case.second, allow_unused=True)
            first = [None if g is None else np.asarray(g.data) for g in grads]
            second = None
            live = [g for g in grads if g is not None and g.requires_grad]
            if case.second and live:
                total = live[0].sum()
                for g in live[1:]:
                    total = total + g.sum()
                second = [None if g is None else np.asarray(g.data) for g in
                          refimpl.grad([total], wanted, allow_unused=True)]
            return value, first, second
        except Exception as error:  # noqa: BLE001 - the class is what is compared
            return "raises", type(error).__name__


def run_torch(torch, case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            xs = [torch.tensor(a, requires_grad=bool(g)) for a, g in zip(case.arrays, case.grad)]
            y = _first(case.torch_fn(torch, *xs))
            value = y.detach().numpy()
            wanted = [x for x, g in zip(xs, case.grad) if g]
            if not wanted or not y.requires_grad:
                return value, None, None
            w = torch.tensor(_weights(tuple(y.shape), value.dtype))
            grads = torch.autograd.grad((y * w).sum(), wanted, create_graph=case.second,
                                        allow_unused=True)
            first = [None if g is None else g.detach().numpy() for g in grads]
            second = None
            live = [g for g in grads if g is not None and g.requires_grad]
            if case.second and live:
                total = sum(g.sum() for g in live)
                second = [None if g is None else g.numpy(force=True) for g in
                          torch.autograd.grad(total, wanted, allow_unused=True)]
            return value, first, second
        except Exception as error:  # noqa: BLE001
            if DEBUG: raise
            return "raises", type(error).__name__


def _same_array(actual, expected, rtol):
    """Equal dtype-kind, shape and values (NaN = NaN, inf of the same sign); None = zeros."""
    if actual is None or expected is None:
        other = expected if actual is None else actual
        return other is None or not np.any(other)
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        return False
    if actual.dtype.kind in "biuc":
        return np.array_equal(actual, expected, equal_nan=actual.dtype.kind == "c")
    return np.allclose(actual, expected, rtol=rtol, atol=rtol, equal_nan=True) and np.array_equal(
        np.isposinf(actual), np.isposinf(expected)) and np.array_equal(
        np.isneginf(actual), np.isneginf(expected))


def compare(case, ours, theirs):
    """A list of mismatch messages (empty when refimpl agrees with torch)."""
    if isinstance(theirs[0], str):
        if isinstance(ours[0], str) and ours[1] == theirs[1]:
            return []
        return [f"torch raises {theirs[1]}, refimpl gives {ours[1] if isinstance(ours[0], str) else ours[0]!r}"]
    if isinstance(ours[0], str):
        return [f"refimpl raises {ours[1]}, torch gives {theirs[0]!r}"]
    problems = []
    rtol = case.rtol if theirs[0].dtype != np.float32 else max(case.rtol, 1e-5)
    if not _same_array(ours[0], theirs[0], rtol):
        problems.append(f"value: {ours[0]!r} vs torch {theirs[0]!r}")
    for order, (a, b) in enumerate([(ours[1], theirs[1]), (ours[2], theirs[2])], 1):
        if b is None:
            continue
        if a is None:  # refimpl's gradient has no graph: its derivatives are zero
            a = [None] * len(b)
        for index, (ga, gb) in enumerate(zip(a, b)):
            if not _same_array(ga, gb, rtol):
                problems.append(f"order-{order} grad of input {index}: {ga!r} vs torch {gb!r}")
    return problems


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refimpl_agrees_with_torch_on_edge_inputs(case):
    from framework_imports import import_torch
    torch = import_torch()
    problems = compare(case, run_refimpl(case), run_torch(torch, case))
    assert not problems, f"{case.name}: " + "; ".join(problems)


def agreement(torch):
    """(agreeing cases, all cases, {name: problems})."""
    failures = {}
    for case in CASES:
        problems = compare(case, run_refimpl(case), run_torch(torch, case))
        if problems:
            failures[case.name] = problems
    return len(CASES) - len(failures), len(CASES), failures


if __name__ == "__main__":
    import torch
    agreeing, total, failures = agreement(torch)
    for name, problems in failures.items():
        print(f"{name}: {'; '.join(problems)[:300]}")
    print(f"agreement: {agreeing}/{total} ({100 * agreeing / total:.1f}%)", file=sys.stderr)
