"""hardshrink and softshrink as torch computes them: a gradient made with create_graph
requires grad even for a constant output gradient (torch records HardshrinkBackwardBackward /
SoftshrinkBackwardBackward on x; seen on torch 2.9.1, 2.13.0 and 2.15.0). The ci run of torch
2.9.1 drew hardshrink at x = 0 in grad_options.create_graph and found refimpl's where()
composition saying False there. At NaN the gradient is 0, as torch's vectorised CPU kernels
give it (its scalar tail, for tensors shorter than a vector, passes gy instead)."""
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
