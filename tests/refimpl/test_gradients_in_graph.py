"""Gradients that are constant in x but, in torch, still nodes on x: a gradient made with
create_graph then requires grad even for a constant output gradient.

hardshrink and softshrink: torch records HardshrinkBackwardBackward / SoftshrinkBackwardBackward
on x (seen on torch 2.9.1, 2.13.0 and 2.15.0). The matrix run of torch 2.9.1 drew hardshrink at
x = 0 in grad_options.create_graph and found refimpl's where() composition saying False there.
At NaN their gradient is 0, as torch's vectorised CPU kernels give it (its scalar tail, for
tensors shorter than a vector, passes gy instead)."""
import numpy
import pytest

import refimpl
import refimpl.functions as F
from refimpl import policies

X = [numpy.nan, 0.5, -0.5, 0.7, -0.7, 0.0, numpy.inf, -numpy.inf]
GRADIENT = [0.0, 0.0, 0.0, 3.0, 3.0, 0.0, 3.0, 3.0]  # for gy = 3 everywhere


def expected_values(name, dtype):
    x, half = numpy.array(X, dtype), numpy.dtype(dtype).type(0.5)
    with numpy.errstate(invalid="ignore"):
        inside = x * 0
    if name == "hardshrink":
        return numpy.where(numpy.abs(x) > half, x, inside)
    return numpy.where(x > half, x - half, numpy.where(x < -half, x + half, inside))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", ["hardshrink", "softshrink"])
def test_values_and_gradients(name, dtype):
    with policies.semantics("torch"):
        x = refimpl.Variable(numpy.array(X, dtype), requires_grad=True)
        y = getattr(F, name)(x)
        (gx,) = refimpl.grad([y], [x], [refimpl.Variable(numpy.full(len(X), 3.0, dtype))])
    numpy.testing.assert_array_equal(y.data, expected_values(name, dtype))
    assert y.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(gx.data, numpy.array(GRADIENT, dtype))


@pytest.mark.parametrize("x", [0.0, 0.3, 2.0, -2.0])
@pytest.mark.parametrize("name", ["hardshrink", "softshrink"])
def test_a_create_graph_gradient_requires_grad_for_a_constant_seed(name, x):
    with policies.semantics("torch"):
        leaf = refimpl.Variable(numpy.array(x, numpy.float32), requires_grad=True)
        seed = refimpl.Variable(numpy.array(0.0, numpy.float32))  # requires no grad
        (gx,) = refimpl.grad([getattr(F, name)(leaf)], [leaf], [seed], create_graph=True)
    assert gx.requires_grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["hardshrink", "softshrink"])
def test_against_the_installed_torch(name, dtype):
    torch = pytest.importorskip("torch")
    xs = numpy.array(X * 16, dtype)  # 128: a whole number of vectors (no scalar tail)
    t = torch.tensor(xs, requires_grad=True)
    ty = getattr(torch.nn.functional, name)(t)
    (tg,) = torch.autograd.grad(ty, t, torch.full_like(t, 3.0), create_graph=True)
    with policies.semantics("torch"):
        x = refimpl.Variable(xs, requires_grad=True)
        y = getattr(F, name)(x)
        (g,) = refimpl.grad([y], [x], [refimpl.Variable(numpy.full(len(xs), 3.0, dtype))],
                            create_graph=True)
    numpy.testing.assert_array_equal(y.data, ty.detach().numpy())
    numpy.testing.assert_array_equal(g.data, tg.detach().numpy())
    assert g.requires_grad == tg.requires_grad


# fmod: torch's gradient for the divisor is -grad * a.div(b, rounding_mode='trunc'), a node on
# a and b (zero derivative), so with create_graph it requires grad for a constant seed; chainer's
# F.fix records no graph (policy step_functions_in_graph). Found by grad_options.create_graph
# of the thorough profile at seeds 3 and 4 (fmod(a=1.5, b=1.0)).

def test_fmod_divisor_gradient_is_in_torchs_graph():
    with policies.semantics("torch"):
        a = refimpl.Variable(numpy.array([1.5, -2.5], numpy.float32), requires_grad=True)
        b = refimpl.Variable(numpy.array([1.0, 0.7], numpy.float32), requires_grad=True)
        seed = refimpl.Variable(numpy.zeros(2, numpy.float32))
        _, gb = refimpl.grad([F.fmod(a, b)], [a, b], [seed], create_graph=True)
    assert gb.requires_grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fmod_against_the_installed_torch(dtype):
    torch = pytest.importorskip("torch")
    a_values = numpy.array([1.5, -2.5, 7.0, 0.3, -0.3], dtype)
    b_values = numpy.array([1.0, 0.7, -2.0, 0.1, 0.1], dtype)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a_values, b_values))
    for seed in (numpy.zeros(5, dtype), numpy.arange(1.0, 6.0).astype(dtype)):
        tga, tgb = torch.autograd.grad(torch.fmod(ta, tb), [ta, tb], torch.tensor(seed),
                                       create_graph=True)
        with policies.semantics("torch"):
            a, b = (refimpl.Variable(v, requires_grad=True) for v in (a_values, b_values))
            ga, gb = refimpl.grad([F.fmod(a, b)], [a, b], [refimpl.Variable(seed)],
                                  create_graph=True)
        numpy.testing.assert_array_equal(ga.data, tga.detach().numpy())
        numpy.testing.assert_array_equal(gb.data, tgb.detach().numpy())
        assert (ga.requires_grad, gb.requires_grad) == (tga.requires_grad, tgb.requires_grad)


# pow with a Python-number exponent: torch's pow(Tensor, Scalar) backward is
# grad * (n * a.pow(n - 1)) with the exponent still a number, so differentiating a.pow(0) gives
# zeros; the formula 0 * a^-1 is NaN where a^-1 overflows (a float32 subnormal: the thorough
# profile at seed 3 drew a = 1.4e-45, b = 1).
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("n", [1, 2, 3, 0, -1, 2.5])
def test_pow_number_exponent_second_derivative_as_torch(n, dtype):
    torch = pytest.importorskip("torch")
    a_values = [float(numpy.finfo(dtype).smallest_subnormal), 0.0, 1.5, -0.7]
    with policies.semantics("torch"), numpy.errstate(all="ignore"):
        a = refimpl.Variable(numpy.array(a_values, dtype), requires_grad=True)
        (g,) = refimpl.grad([F.sum(F.pow(a, n))], [a], create_graph=True)
        second = refimpl.grad([F.sum(g)], [a])[0].data if g.requires_grad else None
    t = torch.tensor(a_values, dtype=getattr(torch, dtype), requires_grad=True)
    (tg,) = torch.autograd.grad((t ** n).sum(), t, create_graph=True)
    numpy.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-3)
    if tg.requires_grad:
        (tgg,) = torch.autograd.grad(tg.sum(), t)
        numpy.testing.assert_allclose(second, tgg.numpy(), rtol=1e-3)
    else:
        assert second is None
