"""Behaviour cases of the maths and activation breadth (issue 17) where chainer and torch
differ: the tie gradient of the binary maximum/minimum, hard_sigmoid's slope, softplus's
threshold, and flatten of a 1-D input returning it. Each names the ``refimpl.Policy`` fields
it verifies (see ``core``)."""
import numpy

from .core import behaviour, f32


@behaviour("binary_extremum_tie_gradient")
def binary_extremum_tie_gradient(adapter, record):
    """maximum(a, b)/minimum(a, b) where a == b: torch gives each operand half the gradient,
    chainer gives all of it to a."""
    call = adapter.call
    for op in ("maximum", "minimum"):
        a = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
        b = adapter.tensor(f32([1, 3, 3]), requires_grad=True)
        y = call(op, a, b)
        record(f"{op}.value", y)
        adapter.backward(call("sum", y))
        record(f"{op}.a.grad", adapter.grad_of(a))
        record(f"{op}.b.grad", adapter.grad_of(b))


@behaviour("hard_sigmoid_slope")
def hard_sigmoid_slope(adapter, record):
    """hard_sigmoid: torch clip(x / 6 + 0.5, 0, 1) (flat outside [-3, 3]), chainer clip(0.2 x
    + 0.5, 0, 1) (flat outside [-2.5, 2.5]); the gradient is the slope strictly inside."""
    x = adapter.tensor(f32([-3.5, -2.75, -1, 0, 1, 2.75, 3.5]), requires_grad=True)
    y = adapter.call("hard_sigmoid", x)
    record("y", y)
    adapter.backward(adapter.call("sum", y))
    record("x.grad", adapter.grad_of(x))


@behaviour("softplus_threshold")
def softplus_threshold(adapter, record):
    """softplus(x) at x = 21 in float64: torch returns x itself (beta x > threshold 20) with
    gradient exactly 1; chainer computes log(1 + exp(21)) = 21 + 7.6e-10, gradient 1 - 7.6e-10.
    At x = 1 both compute the formula."""
    call = adapter.call
    x = adapter.tensor(numpy.array([21.0, 1.0]), requires_grad=True)
    y = call("softplus", x)
    record("y == x", (adapter.to_numpy(call("sub", y, x)) == 0).tolist())
    adapter.backward(call("sum", y))
    record("x.grad == 1", (adapter.grad_of(x) == 1).tolist())
    record("y", y)


@behaviour("identity_ops_return_input")
def flatten_returns_input(adapter, record):
    """flatten of a 1-D input returns the input itself in both (torch.flatten, F.flatten); of a
    2-D input a new node."""
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    record("flatten(1-d) is x", adapter.call("flatten", x) is x)
    matrix = adapter.tensor(f32([[1, 2], [3, 4]]), requires_grad=True)
    flat = adapter.call("flatten", matrix)
    record("flatten(2-d) is x", flat is matrix)
    record("flatten(2-d)", flat)


@behaviour("step_functions_in_graph")
def step_functions_in_graph(adapter, record):
    """floor/ceil/sign of an x that requires grad: torch records a node (requires grad,
    gradient 0, zeros even from a NaN or infinite output gradient); chainer returns a
    Variable outside the graph (no creator, no grad), so grad() gives None for x."""
    call = adapter.call
    for op in ("floor", "ceil", "sign"):
        x = adapter.tensor(f32([1.5, -2.5, 0.25]), requires_grad=True)
        y = call(op, x)
        record(f"{op}.value", y)
        record(f"{op}.requires_grad", adapter.requires_grad(y))
        record(f"{op}.has_graph", adapter.has_graph(y))
        loss = call("sum", call("mul", y, x))  # d/dx = y (+ x * 0 where y is a node)
        adapter.backward(loss)
        record(f"{op}.x.grad", adapter.grad_of(x))
        z = adapter.tensor(f32([1.5, -2.5, 0.25]), requires_grad=True)
        w = call(op, z)
        if adapter.has_graph(w):  # torch: zeros_like(grad), whatever the seed holds
            adapter.seeded_backward(w, f32([numpy.nan, numpy.inf, -numpy.inf]))
            record(f"{op}.nonfinite_seed.x.grad", adapter.grad_of(z))
