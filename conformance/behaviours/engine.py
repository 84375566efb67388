"""Behaviour cases of the autograd engine: requires_grad and graph recording, backward
(freeing the graph, accumulation, seeds), intermediate grads, ``grad()``, parameters and
clearing. Each case names the ``refimpl.Policy`` fields it verifies (see ``core``)."""
import numpy

from ..checks.observations import attempt
from ..frameworks.base import NotSupported
from .core import behaviour, f32, record_grads, seed_graph


# --- requires_grad and graph recording ------------------------------------------------------

@behaviour("requires_grad_default")
def requires_grad_default(adapter, record):
    """A tensor/Variable made without requires_grad: torch False, chainer True."""
    x = adapter.tensor(f32([1, 2]), requires_grad=None)
    record("x.requires_grad", adapter.requires_grad(x))


@behaviour("outputs_require_grad")
def outputs_require_grad(adapter, record):
    """Whether op outputs require grad and have a graph, with and without an input that
    requires grad, and for an integer argmax output."""
    call = adapter.call
    constant = adapter.tensor(f32([1, 2]), requires_grad=False)
    y = call("mul", constant, 2)
    record("const*2.requires_grad", adapter.requires_grad(y))
    record("const*2.has_graph", adapter.has_graph(y))
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    y = call("mul", x, 2)
    record("x*2.requires_grad", adapter.requires_grad(y))
    record("x*2.has_graph", adapter.has_graph(y))
    index = call("argmax", x)
    record("argmax(x).requires_grad", adapter.requires_grad(index))
    record("argmax(x).has_graph", adapter.has_graph(index))


@behaviour("backward_without_graph", "outputs_require_grad", seed="004")
def backward_under_no_grad(adapter, record):
    """An output made under no_grad (chainer no_backprop_mode): torch: no grad, backward and
    grad raise; chainer: a leaf requiring grad, backward writes only its seed (7.x) or
    nothing (5.x), grad gives None."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    with adapter.no_grad():
        y = call("sum", call("mul", x, x))
    record("y.requires_grad", adapter.requires_grad(y))
    record("y.has_graph", adapter.has_graph(y))
    attempt(record, "backward", lambda: adapter.backward(y))
    record("x.grad", adapter.grad_of(x))
    record("y.grad", adapter.grad_of(y))
    grads = attempt(record, "grad", lambda: adapter.grad([y], [x]))
    if grads is not None:
        record("grad.result", list(grads))


@behaviour("backward_without_graph", "outputs_require_grad")
def first_order_grad_without_double_backprop(adapter, record):
    """A gradient computed without double backprop has no graph: torch: it does not require
    grad and differentiating it raises; chainer: a leaf that requires grad, grad gives None.
    With create_graph / enable_double_backprop both give the second derivative."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    gx = adapter.grad([call("sum", call("pow", x, 3))], [x])[0]
    record("gx", gx)
    record("gx.requires_grad", adapter.requires_grad(gx))
    record("gx.has_graph", adapter.has_graph(gx))
    second = attempt(record, "grad(sum(gx))", lambda: adapter.grad([call("sum", gx)], [x]))
    if second is not None:
        record("grad(sum(gx)).result", list(second))
    attempt(record, "sum(gx).backward", lambda: adapter.backward(call("sum", gx)))
    record("x.grad", adapter.grad_of(x))
    record("gx.grad", adapter.grad_of(gx))

    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    gx = adapter.grad([call("sum", call("pow", x, 3))], [x], **adapter.create_graph_options())[0]
    record("double.gx.has_graph", adapter.has_graph(gx))
    record("double.grad(sum(gx))", list(adapter.grad([call("sum", gx)], [x])))


# --- backward: freeing the graph, accumulation, seeds -------------------------------------

@behaviour("free_graph_after_backward")
def second_backward(adapter, record):
    """backward twice on one graph: through ops that save tensors (x*x, x*2) torch raises and
    chainer accumulates; through ops that save nothing (x+1, sum) both accumulate."""
    call = adapter.call
    graphs = {
        "mul_self": lambda x: call("sum", call("mul", x, x)),
        "mul_scalar": lambda x: call("sum", call("mul", x, 2)),
        "add_const": lambda x: call("sum", call("add", x, 1)),
    }
    for name, graph in graphs.items():
        x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
        y = graph(x)
        adapter.backward(y)
        record(f"{name}.x.grad_1", adapter.grad_of(x))
        attempt(record, f"{name}.backward_2", lambda: adapter.backward(y))
        record(f"{name}.x.grad_2", adapter.grad_of(x))


@behaviour("free_graph_after_backward")
def backward_of_graphs_sharing_leaves(adapter, record):
    """Two losses built from the same leaves before either backward: torch and chainer run
    the second backward and add its gradient; an engine that dismantles the graph after a
    backward raises on the second (only the class is recorded: the message shows the tensor
    in the engine's own repr) and the first output has no graph left."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    c = adapter.tensor(f32([1, 1]), requires_grad=False)
    y1 = call("sum", call("mul", x, c))
    y2 = call("sum", call("add", call("mul", c, 3), x))
    adapter.backward(y1)
    record("x.grad_1", adapter.grad_of(x))
    record("y1.has_graph", adapter.has_graph(y1))
    try:
        adapter.backward(y2)
        record("backward_2", "ok")
    except NotSupported:
        raise
    except Exception as error:  # noqa: BLE001 - the class is the behaviour under test
        record("backward_2", ("raises", type(error).__name__))
    record("x.grad_2", adapter.grad_of(x))


@behaviour("grad_accumulation")
def backward_of_two_losses(adapter, record):
    """sum(x * x).backward() then sum(3 x).backward() at x = [1, 2]: torch and chainer add
    the second gradient to x.grad ([5, 7]); an engine that clears the grads of a graph before
    its backward keeps only the last ([3, 3])."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    adapter.backward(call("sum", call("mul", x, x)))
    record("x.grad_1", adapter.grad_of(x))
    adapter.backward(call("sum", call("mul", x, 3)))
    record("x.grad_2", adapter.grad_of(x))


@behaviour("cast_differentiable", ops=("cast",))
def cast_in_graph(adapter, record):
    """y = sum(2 cast(cast(x, float32), float64) + x) at a float64 x: where cast is an op of
    the graph, x.grad is 3; where it makes a new leaf, only the ``+ x`` path reaches x (1)."""
    call = adapter.call
    x = adapter.tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    c = call("cast", call("cast", x, numpy.float32), numpy.float64)
    record("c.has_graph", adapter.has_graph(c))
    adapter.backward(call("sum", call("add", call("mul", c, 2), x)))
    record("x.grad", adapter.grad_of(x))


@behaviour("free_graph_after_backward", requires=("retain_graph",), seed="001")
def seed_retain_graph_8_then_16(adapter, record):
    """Seed 001: with retain_graph=True gradients add up (w.grad 8 then 16); a backward
    without it frees the graph and the next one raises."""
    call = adapter.call
    w = adapter.tensor(f32(2.0), requires_grad=True)
    f = call("mul", call("mul", w, w), 2)
    adapter.backward(f, **adapter.keep_graph_options())
    record("w.grad_1", adapter.grad_of(w))
    adapter.backward(f, **adapter.keep_graph_options())
    record("w.grad_2", adapter.grad_of(w))
    adapter.backward(f)
    record("w.grad_3", adapter.grad_of(w))
    attempt(record, "backward_4", lambda: adapter.backward(f))
    record("w.grad_4", adapter.grad_of(w))


@behaviour("free_graph_after_backward", seed="003")
def seed_accumulation_8_16_24(adapter, record):
    """Seed 003: x=5, y = x**2 - 2x + 1; each backward adds dy/dx = 8 into x.grad
    (torch needs retain_graph=True to go again)."""
    call = adapter.call
    x = adapter.tensor(f32([5]), requires_grad=True)
    y = call("add", call("sub", call("pow", x, 2), call("mul", x, 2)), 1)
    record("y", y)
    for step in (1, 2, 3):
        adapter.backward(y, **adapter.keep_graph_options())
        record(f"x.grad_{step}", adapter.grad_of(x))


@behaviour("nonscalar_backward_without_grad", seed="003")
def nonscalar_backward_implicit_seed(adapter, record):
    """backward() with no gradient on a (2, 3) output: torch raises; chainer starts from no
    gradient: after ``+ 1`` (passes None through) nothing happens, after ``** 2`` its backward
    fails on None. A size-1 output gets an implicit seed of ones in both."""
    call = adapter.call
    x = adapter.tensor(f32([[1, 2, 3], [4, 5, 6]]), requires_grad=True)
    y = call("add", call("sub", call("pow", x, 2), call("mul", x, 2)), 1)
    attempt(record, "plus_const.backward", lambda: adapter.backward(y))
    record("plus_const.x.grad", adapter.grad_of(x))

    x = adapter.tensor(f32([[1, 2, 3], [4, 5, 6]]), requires_grad=True)
    y = call("pow", x, 2)
    attempt(record, "pow.backward", lambda: adapter.backward(y))
    record("pow.x.grad", adapter.grad_of(x))

    x = adapter.tensor(f32([3]), requires_grad=True)
    adapter.backward(call("pow", x, 2))
    record("size1.x.grad", adapter.grad_of(x))


@behaviour("nonscalar_backward_without_grad", "output_grad_after_backward", seed="002")
def seed_nonscalar_ones_seed(adapter, record):
    """Seeds 002/003: a non-scalar output needs an explicit initial gradient of ones:
    chainer ``y.grad = ones; y.backward()``, torch ``y.backward(ones)``."""
    call = adapter.call
    x = adapter.tensor(f32([[1, 2, 3], [4, 5, 6]]), requires_grad=True)
    y = call("add", call("sub", call("pow", x, 2), call("mul", x, 2)), 1)
    adapter.seeded_backward(y, numpy.ones((2, 3), numpy.float32))
    record("x.grad", adapter.grad_of(x))


@behaviour("nonscalar_backward_without_grad", "output_grad_after_backward")
def preset_output_grad_as_seed(adapter, record):
    """``y.grad = ones`` then ``y.backward()`` on a non-scalar output: chainer uses it as the
    seed (7.x then clears it, 5.x keeps it); torch ignores it and raises."""
    call = adapter.call
    x = adapter.tensor(f32([[1, 2, 3], [4, 5, 6]]), requires_grad=True)
    y = call("add", call("sub", call("pow", x, 2), call("mul", x, 2)), 1)
    adapter.set_grad(y, numpy.ones((2, 3), numpy.float32))
    attempt(record, "backward_1", lambda: adapter.backward(y))
    record("x.grad_1", adapter.grad_of(x))
    record("y.grad_1", adapter.grad_of(y))
    attempt(record, "backward_2", lambda: adapter.backward(y))
    record("x.grad_2", adapter.grad_of(x))


@behaviour("output_grad_after_backward")
def output_grad_after_backward(adapter, record):
    """The output's own grad after backward: torch None (a non-leaf; [1] if retained), chainer
    7.x None, 5.x the seed [1]; with retain_grad=True chainer keeps [1]."""
    call = adapter.call
    x = adapter.tensor(f32([5]), requires_grad=True)
    y = call("add", call("sub", call("pow", x, 2), call("mul", x, 2)), 1)
    adapter.backward(y)
    record("plain.y.grad", adapter.grad_of(y))

    x = adapter.tensor(f32([5]), requires_grad=True)
    y = call("add", call("sub", call("pow", x, 2), call("mul", x, 2)), 1)
    adapter.retaining_backward(y, [y])
    record("retained.y.grad", adapter.grad_of(y))


@behaviour("output_grad_after_backward", "free_graph_after_backward", seed="004")
def seed_eye5_accumulation(adapter, record):
    """Seed 004: inp = eye(5), out = (inp + 1)**2 seeded with ones: inp.grad 4/2, then 8/4,
    then after zeroing 4/2 again. chainer 7.x clears out.grad after backward, so a second
    backward without a new seed fails; 5.x keeps it and accumulates."""
    call = adapter.call
    inp = adapter.tensor(numpy.eye(5, dtype=numpy.float32), requires_grad=True)
    out = call("pow", call("add", inp, 1), 2)
    ones = numpy.ones((5, 5), numpy.float32)

    def backward_with_ones(reseed):
        adapter.seeded_backward(out, ones, keep_graph=True, reseed=reseed)

    backward_with_ones(reseed=True)
    record("inp.grad_1", adapter.grad_of(inp))
    record("out.grad_1", adapter.grad_of(out))
    attempt(record, "backward_2", lambda: backward_with_ones(reseed=False))
    record("inp.grad_2", adapter.grad_of(inp))
    adapter.set_grad(inp, numpy.zeros((5, 5), numpy.float32))
    backward_with_ones(reseed=True)
    record("inp.grad_after_zeroing", adapter.grad_of(inp))


@behaviour("output_grad_after_backward", seed="001")
def seed_dot_grads(adapter, record):
    """Seed 001: f = dot(a, b), a=[1,2,3], b=[2,3,4]: a.grad = b, b.grad = a, and f.grad is
    None (torch: a non-leaf; chainer 7.x clears the seed; 5.x keeps 1)."""
    call = adapter.call
    a = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    b = adapter.tensor(f32([2, 3, 4]), requires_grad=True)
    f = call("dot", a, b)
    record("f", f)
    adapter.backward(f)
    record_grads(adapter, record, "dot", a=a, b=b, f=f)
    record("has_graph", [adapter.has_graph(a), adapter.has_graph(b), adapter.has_graph(f)])


# --- intermediate grads -----------------------------------------------------------------

@behaviour("intermediate_grads", seed="002")
def seed_retain_grad_intermediate(adapter, record):
    """Seeds 002/003: x=5, z=2x, y = x**2 - z + 1. Without retaining, z.grad stays None.
    Retained (torch z.retain_grad(), chainer backward(retain_grad=True)) z.grad is -1; a
    second backward accumulates it in torch (-2) and overwrites it in chainer (-1)."""
    call = adapter.call

    def graph():
        x = adapter.tensor(f32([5]), requires_grad=True)
        z = call("mul", x, 2)
        return x, z, call("add", call("sub", call("pow", x, 2), z), 1)

    x, z, y = graph()
    adapter.backward(y, **adapter.keep_graph_options())
    record_grads(adapter, record, "plain", x=x, z=z)

    x, z, y = graph()
    adapter.retaining_backward(y, [z], keep_graph=True)
    record_grads(adapter, record, "retained_1", x=x, z=z)
    adapter.retaining_backward(y, [z], keep_graph=True)
    record_grads(adapter, record, "retained_2", x=x, z=z)


@behaviour("intermediate_grads_without_retain", requires=("per_call_retain_grad",), seed="003")
def seed_retain_then_plain_backward(adapter, record):
    """Seed 003: x=5; y = x**2 - 2x + 1; backward -> x.grad 8; z = 2x, y = x**2 - z + 1;
    backward(retain_grad=True) -> z.grad -1, x.grad 16; backward() -> x.grad 24 and z.grad
    None (the notebook, chainer 5.x) or still -1 (chainer 7.x)."""
    call = adapter.call
    x = adapter.tensor(f32([5]), requires_grad=True)
    adapter.backward(call("add", call("sub", call("pow", x, 2), call("mul", x, 2)), 1))
    record("x.grad_1", adapter.grad_of(x))
    z = call("mul", x, 2)
    y = call("add", call("sub", call("pow", x, 2), z), 1)
    adapter.retaining_backward(y, [z])
    record("retain.z.grad", adapter.grad_of(z))
    record("retain.x.grad", adapter.grad_of(x))
    adapter.backward(y)
    record("plain.z.grad", adapter.grad_of(z))
    record("plain.x.grad", adapter.grad_of(x))


# --- grad() ------------------------------------------------------------------------------

@behaviour("grad_nonscalar_output_default")
def grad_nonscalar_output_default(adapter, record):
    """grad(z, x) for a 3-element z with no grad_outputs: torch raises, chainer seeds ones."""
    x, y, z = seed_graph(adapter)
    grads = attempt(record, "grad", lambda: adapter.grad([z], [x]))
    if grads is not None:
        record("dz/dx", list(grads))


@behaviour("grad_nonscalar_output_default", seed="000")
def seed_grad_worked_example(adapter, record):
    """Seed 000: x=[1,2,3], y = x**2+2x+1, z = y**3-4y**2+2 with grad_outputs ones:
    dz/dx = [64,1026,5120], dz/dy = [16,171,640]; grad_outputs [2,3,4] -> [128,3078,20480];
    grad leaves a preset x.grad untouched and sets no other grad."""
    def ones():
        return [adapter.tensor(numpy.ones(3, numpy.float32))]

    x, y, z = seed_graph(adapter)
    record("dz/dx", list(adapter.grad([z], [x], grad_outputs=ones())))
    x, y, z = seed_graph(adapter)
    record("dz/dy", list(adapter.grad([z], [y], grad_outputs=ones())))
    x, y, z = seed_graph(adapter)
    record("dz/dx.grad_outputs_234",
           list(adapter.grad([z], [x], grad_outputs=[adapter.tensor(f32([2, 3, 4]))])))
    x, y, z = seed_graph(adapter)
    adapter.set_grad(x, f32([2, 3, 4]))
    record("preset.dz/dx", list(adapter.grad([z], [x], grad_outputs=ones())))
    record_grads(adapter, record, "preset", x=x, y=y, z=z)


@behaviour("grad_unused_input")
def grad_unused_input(adapter, record):
    """grad(y, [x, w]) where y does not depend on w: torch raises, chainer gives None for w;
    backward leaves w.grad None in both."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    w = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    y = call("sum", call("mul", x, x))
    grads = attempt(record, "grad", lambda: adapter.grad([y], [x, w]))
    if grads is not None:
        record("grad.result", list(grads))
    adapter.backward(call("sum", call("mul", x, x)))
    record("backward.w.grad", adapter.grad_of(w))


@behaviour("grad_returns")
def grad_returns(adapter, record):
    """The container grad() returns: torch a tuple, chainer a list."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    grads = adapter.grad([call("sum", call("mul", x, x))], [x])
    record("container", type(grads).__name__)
    record("result", list(grads))


# --- parameters and clearing ------------------------------------------------------------

@behaviour("fresh_parameter_grad")
def fresh_parameter_grad(adapter, record):
    """A fresh Linear(3, 2)'s weight grad: torch None; chainer NaN, into which backward adds,
    until cleargrads (then None, and the next backward gives ones)."""
    call = adapter.call
    layer, (weight, bias) = adapter.linear(3, 2)
    record("fresh.W.grad", adapter.grad_of(weight))
    record("fresh.b.grad", adapter.grad_of(bias))
    inputs = adapter.tensor(numpy.ones((1, 3), numpy.float32))
    adapter.backward(call("sum", layer(inputs)))
    record("backward.W.grad", adapter.grad_of(weight))
    adapter.clear_grads([weight, bias])
    record("cleared.W.grad", adapter.grad_of(weight))
    adapter.backward(call("sum", layer(inputs)))
    record("cleared_backward.W.grad", adapter.grad_of(weight))
    record("cleared_backward.b.grad", adapter.grad_of(bias))


@behaviour(seed="002")
def cleared_grad(adapter, record):
    """Grads accumulate until cleared (seed 002); clearing (torch zero_grad(), chainer
    cleargrad()) leaves None, zeroing (set_to_none=False, zerograd()) leaves zeros. The same
    in every framework observed (the policy field cleared_grad, 'none' everywhere, is gone)."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    record("fresh.x.grad", adapter.grad_of(x))
    for step in (1, 2):
        adapter.backward(call("sum", call("mul", x, x)))
        record(f"x.grad_{step}", adapter.grad_of(x))
    adapter.clear_grads([x])
    record("cleared.x.grad", adapter.grad_of(x))
    adapter.backward(call("sum", call("mul", x, x)))
    record("cleared_backward.x.grad", adapter.grad_of(x))
    adapter.zero_grads([x])
    record("zeroed.x.grad", adapter.grad_of(x))


# --- the fields that replaced refimpl's branches on the framework's name -------------------

@behaviour("backward_seed_from_output_grad")
def backward_seed_from_output_grad(adapter, record):
    """``y.grad = 5`` then ``y.backward()`` on ``y = sum(x * x)``: chainer starts from y.grad
    (x.grad = 10 x); torch never reads an output's grad (2 x)."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    y = call("sum", call("mul", x, x))
    adapter.set_grad(y, numpy.array(5, numpy.float32))
    adapter.backward(y)
    record("x.grad", adapter.grad_of(x))


@behaviour("leaf_backward_accumulates", "backward_without_graph")
def leaf_backward(adapter, record):
    """``x.backward()`` twice on a 0-d leaf that requires grad: torch accumulates (1, then 2);
    chainer 7.x sets x.grad to the seed (1, 1), 5.x does nothing."""
    x = adapter.tensor(numpy.array(3, numpy.float32), requires_grad=True)
    for step in (1, 2):
        adapter.backward(x)
        record(f"x.grad_{step}", adapter.grad_of(x))


@behaviour("grad_input_without_requires_grad", requires=("functional_grad",))
def grad_input_without_requires_grad(adapter, record):
    """``grad([sum(x * w)], [x])`` with x not requiring grad: torch raises ('One of the
    differentiated Tensors does not require grad'); chainer gives [None]."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=False)
    w = adapter.tensor(f32([3, 4]), requires_grad=True)
    result = attempt(record, "grad", lambda: adapter.grad([call("sum", call("mul", x, w))], [x]))
    if result is not None:
        record("grad.result", list(result))


@behaviour("slope_in_graph", requires=("functional_grad", "double_backprop"))
def slope_in_graph(adapter, record):
    """grad(f(x), x, zeros) with double backprop for f = abs, relu: torch's gradient requires
    grad (its slope is a node on x), chainer's does not."""
    call = adapter.call
    for op in ("abs", "relu"):
        x = adapter.tensor(f32([1, -2]), requires_grad=True)
        (g,) = adapter.grad([call(op, x)], [x], [numpy.zeros(2, numpy.float32)],
                            **adapter.create_graph_options())
        record(f"{op}.grad.requires_grad", adapter.requires_grad(g))
        record(f"{op}.grad", g)
