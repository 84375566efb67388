"""Behaviour cases: where PyTorch and Chainer differ (one or more ``refimpl.Policy`` fields per
case) and the worked examples of the seed notes (``/work/shared/seeds``).

Each case is a function ``case(adapter, record)`` written once against the adapter protocol
(``conformance.adapters.base.Adapter``). It records values with ``record(name, value)``
(tensors, arrays, None, booleans, strings, lists of them) and may raise: the harness runs it
on the real framework and on refimpl under that framework's policy and compares the two
observations. Steps that are expected to raise on one side are wrapped in
``attempt(record, name, fn)``, which records the exception and lets the case go on.

A case branches on ``adapter.framework`` only where the APIs differ (torch's
``x.retain_grad()`` and ``backward(retain_graph=True)`` vs chainer's
``backward(retain_grad=True)``; torch's ``backward(gradient)`` vs chainer's ``y.grad = ...``).
"""
import dataclasses
import warnings

import numpy

from .adapters.base import attempt

ALL = ("torch", "chainer")


@dataclasses.dataclass(frozen=True)
class Case:
    """One behaviour case: ``run(adapter, record)`` and what it verifies."""

    name: str
    fields: tuple       # refimpl.Policy fields it verifies; () for a behaviour both share
    frameworks: tuple   # frameworks it applies to
    run: object
    doc: str
    seed: str = None    # the seed note it reproduces (file prefix under /work/shared/seeds)

    @property
    def subject(self):
        """The cell's subject: the first policy field, or 'common'."""
        return self.fields[0] if self.fields else "common"

    def applies_to(self, framework):
        return framework in self.frameworks


CASES = []


def behaviour(*fields, frameworks=ALL, seed=None):
    """Register the decorated ``case(adapter, record)`` as a Case verifying ``fields``."""
    def register(function):
        doc = " ".join((function.__doc__ or "").split())
        CASES.append(Case(function.__name__, tuple(fields), tuple(frameworks), function, doc, seed))
        return function
    return register


def by_name():
    return {case.name: case for case in CASES}


# --- helpers ------------------------------------------------------------------------------

def f32(values):
    return numpy.array(values, dtype=numpy.float32)


def _seed_graph(adapter):
    """The seed 000 graph: x=[1,2,3], y = x**2 + 2x + 1, z = y**3 - 4y**2 + 2."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    y = call("add", call("add", call("pow", x, 2), call("mul", x, 2)), 1)
    z = call("add", call("sub", call("pow", y, 3), call("mul", call("pow", y, 2), 4)), 2)
    return x, y, z


def _record_grads(adapter, record, prefix, **variables):
    for name, variable in variables.items():
        record(f"{prefix}.{name}.grad", adapter.grad_of(variable))


def _values(pair_or_values):
    """The values of ``max(x, axis)``: torch returns (values, indices), chainer values only."""
    return pair_or_values[0] if isinstance(pair_or_values, tuple) else pair_or_values


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


@behaviour("outputs_require_grad", frameworks=("chainer",))
def chainer_unchain(adapter, record):
    """chainer ``y.unchain()``: y keeps requiring grad as a leaf; backward through it stops."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2]), requires_grad=True)
    y = call("mul", x, 2)
    record("y.has_graph", adapter.has_graph(y))
    call("unchain", y)
    record("unchained.has_graph", adapter.has_graph(y))
    record("unchained.requires_grad", adapter.requires_grad(y))
    adapter.backward(call("sum", y))
    record("x.grad", adapter.grad_of(x))
    record("y.grad", adapter.grad_of(y))


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
    double = {"create_graph": True} if adapter.framework == "torch" else {"enable_double_backprop": True}
    gx = adapter.grad([call("sum", call("pow", x, 3))], [x], **double)[0]
    record("double.gx.has_graph", adapter.has_graph(gx))
    record("double.grad(sum(gx))", list(adapter.grad([call("sum", gx)], [x])))


@behaviour("backward_without_graph", "outputs_require_grad", frameworks=("torch",), seed="004")
def seed_torch_no_grad_detach(adapter, record):
    """Seed 004 (torch.autograd tutorial): z = x @ w + b requires grad; not under no_grad();
    z.detach() neither; seed 001: .numpy() on a tensor that requires grad raises."""
    call = adapter.call
    x = adapter.tensor(numpy.ones(5, numpy.float32))
    w = adapter.tensor(numpy.arange(15, dtype=numpy.float32).reshape(5, 3) / 10, requires_grad=True)
    b = adapter.tensor(f32([0.5, -0.5, 1.0]), requires_grad=True)
    z = call("add", call("matmul", x, w), b)
    record("z", z)
    record("z.requires_grad", adapter.requires_grad(z))
    with adapter.no_grad():
        z_no_grad = call("add", call("matmul", x, w), b)
    record("no_grad.z.requires_grad", adapter.requires_grad(z_no_grad))
    z_detached = adapter.detach(z)
    record("z.detach().requires_grad", adapter.requires_grad(z_detached))
    record("z.detach().has_graph", adapter.has_graph(z_detached))
    attempt(record, "z.detach().sum().backward", lambda: adapter.backward(call("sum", z_detached)))
    attempt(record, "z.numpy()", lambda: call("numpy", z))
    record("z.detach().numpy()", call("numpy", z_detached))


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


@behaviour("free_graph_after_backward", frameworks=("torch",), seed="001")
def seed_retain_graph_8_then_16(adapter, record):
    """Seed 001: with retain_graph=True gradients add up (w.grad 8 then 16); a backward
    without it frees the graph and the next one raises."""
    call = adapter.call
    w = adapter.tensor(f32(2.0), requires_grad=True)
    f = call("mul", call("mul", w, w), 2)
    adapter.backward(f, retain_graph=True)
    record("w.grad_1", adapter.grad_of(w))
    adapter.backward(f, retain_graph=True)
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
    again = {"retain_graph": True} if adapter.framework == "torch" else {}
    for step in (1, 2, 3):
        adapter.backward(y, **again)
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
    ones = numpy.ones((2, 3), numpy.float32)
    if adapter.framework == "torch":
        adapter.backward(y, gradient=ones)
    else:
        adapter.set_grad(y, ones)
        adapter.backward(y)
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
    if adapter.framework == "torch":
        adapter.retain_grad(y)
        adapter.backward(y)
    else:
        adapter.backward(y, retain_grad=True)
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
        if adapter.framework == "torch":
            adapter.backward(out, gradient=ones, retain_graph=True)
        else:
            if reseed:
                adapter.set_grad(out, ones)
            adapter.backward(out)

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
    _record_grads(adapter, record, "dot", a=a, b=b, f=f)
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
    again = {"retain_graph": True} if adapter.framework == "torch" else {}
    adapter.backward(y, **again)
    _record_grads(adapter, record, "plain", x=x, z=z)

    x, z, y = graph()
    if adapter.framework == "torch":
        adapter.retain_grad(z)
        options = {"retain_graph": True}
    else:
        options = {"retain_grad": True}
    adapter.backward(y, **options)
    _record_grads(adapter, record, "retained_1", x=x, z=z)
    adapter.backward(y, **options)
    _record_grads(adapter, record, "retained_2", x=x, z=z)


@behaviour("intermediate_grads_without_retain", frameworks=("chainer",), seed="003")
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
    adapter.backward(y, retain_grad=True)
    record("retain.z.grad", adapter.grad_of(z))
    record("retain.x.grad", adapter.grad_of(x))
    adapter.backward(y)
    record("plain.z.grad", adapter.grad_of(z))
    record("plain.x.grad", adapter.grad_of(x))


# --- grad() ------------------------------------------------------------------------------

@behaviour("grad_nonscalar_output_default")
def grad_nonscalar_output_default(adapter, record):
    """grad(z, x) for a 3-element z with no grad_outputs: torch raises, chainer seeds ones."""
    x, y, z = _seed_graph(adapter)
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

    x, y, z = _seed_graph(adapter)
    record("dz/dx", list(adapter.grad([z], [x], grad_outputs=ones())))
    x, y, z = _seed_graph(adapter)
    record("dz/dy", list(adapter.grad([z], [y], grad_outputs=ones())))
    x, y, z = _seed_graph(adapter)
    record("dz/dx.grad_outputs_234",
           list(adapter.grad([z], [x], grad_outputs=[adapter.tensor(f32([2, 3, 4]))])))
    x, y, z = _seed_graph(adapter)
    adapter.set_grad(x, f32([2, 3, 4]))
    record("preset.dz/dx", list(adapter.grad([z], [x], grad_outputs=ones())))
    _record_grads(adapter, record, "preset", x=x, y=y, z=z)


@behaviour("intermediate_grads", "grad_nonscalar_output_default", frameworks=("chainer",), seed="000")
def seed_chainer_grad_options(adapter, record):
    """Seed 000, chainer.grad options: set_grad fills x.grad only; retain_grad also fills y.grad
    (and z.grad with the seed); a preset x.grad is ignored and kept unless set_grad;
    grad_inputs [2,3,4] is added to the result ([66,1029,5124])."""
    options = {
        "set_grad": {"set_grad": True},
        "retain_grad": {"retain_grad": True},
        "set_and_retain_grad": {"set_grad": True, "retain_grad": True},
        "grad_inputs": {"grad_inputs": [f32([2, 3, 4])]},
        "grad_inputs_set_grad": {"grad_inputs": [f32([2, 3, 4])], "set_grad": True},
    }
    for name, option in options.items():
        x, y, z = _seed_graph(adapter)
        record(f"{name}.result", list(adapter.grad([z], [x], **option)))
        _record_grads(adapter, record, name, x=x, y=y, z=z)
    for name, option in {"preset": {}, "preset_set_grad": {"set_grad": True}}.items():
        x, y, z = _seed_graph(adapter)
        adapter.set_grad(x, f32([2, 3, 4]))
        record(f"{name}.result", list(adapter.grad([z], [x], **option)))
        _record_grads(adapter, record, name, x=x, y=y, z=z)


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


@behaviour("grad_unused_input", frameworks=("torch",))
def torch_grad_allow_unused(adapter, record):
    """torch.autograd.grad options for an unused input: allow_unused=True gives None,
    materialize_grads=True zeros, and materialize_grads with allow_unused=False raises."""
    call = adapter.call
    options = {
        "allow_unused": {"allow_unused": True},
        "materialize_grads": {"materialize_grads": True},
        "materialize_grads_allow_unused_false": {"materialize_grads": True, "allow_unused": False},
    }
    for name, option in options.items():
        x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
        w = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
        y = call("sum", call("mul", x, x))
        grads = attempt(record, name, lambda: adapter.grad([y], [x, w], **option))
        if grads is not None:
            record(f"{name}.result", list(grads))


@behaviour("grad_returns")
def grad_returns(adapter, record):
    """The container grad() returns: torch a tuple, chainer a list."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    grads = adapter.grad([call("sum", call("mul", x, x))], [x])
    record("container", type(grads).__name__)
    record("result", list(grads))


# --- dtypes ------------------------------------------------------------------------------

@behaviour("mixed_dtypes")
def mixed_dtypes(adapter, record):
    """Binary ops on different dtypes: torch promotes (float32 + float64 -> float64; a 0-d
    float64 does not upcast; int32 + float32 -> float32); chainer raises InvalidType for
    Variables and casts Python numbers to the Variable's dtype."""
    call = adapter.call
    a32 = adapter.tensor(f32([1, 2]), requires_grad=True)
    a64 = adapter.tensor(numpy.array([1, 2], numpy.float64), requires_grad=True)
    total = attempt(record, "f32+f64", lambda: call("add", a32, a64))
    if total is not None:
        record("f32+f64.dtype", adapter.dtype_of(total))
        adapter.backward(call("sum", total))
        _record_grads(adapter, record, "f32+f64", a32=a32, a64=a64)
    scalar64 = adapter.tensor(numpy.array(2.0, numpy.float64), requires_grad=True)
    total = attempt(record, "f32+f64_0d", lambda: call("add", a32, scalar64))
    if total is not None:
        record("f32+f64_0d.dtype", adapter.dtype_of(total))
    constant64 = adapter.tensor(numpy.array([1, 2], numpy.float64), requires_grad=False)
    total = attempt(record, "f32+f64_no_grad", lambda: call("add", a32, constant64))
    if total is not None:
        record("f32+f64_no_grad.dtype", adapter.dtype_of(total))
    integers = adapter.tensor(numpy.array([1, 2], numpy.int32), requires_grad=False)
    total = attempt(record, "i32+f32", lambda: call("add", integers, a32))
    if total is not None:
        record("i32+f32.dtype", adapter.dtype_of(total))
    record("f32*2.5.dtype", adapter.dtype_of(call("mul", a32, 2.5)))
    record("f32*2.dtype", adapter.dtype_of(call("mul", a32, 2)))
    if adapter.framework == "chainer":  # torch tensors do not take NumPy operands
        record("f32+f64_ndarray.dtype", adapter.dtype_of(call("add", a32, numpy.array([1.0, 2.0]))))
        record("f32+np.float64.dtype", adapter.dtype_of(call("add", a32, numpy.float64(2.0))))


@behaviour("integer_arithmetic")
def integer_arithmetic(adapter, record):
    """int32 arithmetic: torch computes it (true division gives float32); chainer raises
    InvalidType for Variable*Variable and **, and x / 2 multiplies by int(1/2) = 0. Run on a
    tensor made with the framework's default requires_grad (chainer: True) and with
    requires_grad=False."""
    call = adapter.call
    for variant, requires_grad in (("default", None), ("no_grad", False)):
        integers = adapter.tensor(numpy.array([1, 2, 3], numpy.int32), requires_grad=requires_grad)
        for name, op, operand in (("x*x", "mul", integers), ("x/2", "div", 2), ("x**2", "pow", 2),
                                  ("x+1", "add", 1)):
            result = attempt(record, f"{variant}.{name}", lambda: call(op, integers, operand))
            if result is not None:
                record(f"{variant}.{name}.value", result)


@behaviour("integer_requires_grad")
def integer_requires_grad(adapter, record):
    """An int32 tensor that requires grad: torch raises, chainer allows it."""
    integers = attempt(record, "make", lambda: adapter.tensor(numpy.array([1, 2, 3], numpy.int32),
                                                              requires_grad=True))
    if integers is not None:
        record("requires_grad", adapter.requires_grad(integers))


@behaviour("index_dtype")
def index_dtype(adapter, record):
    """argmax indices: torch int64, chainer int32 (values: the first maximum)."""
    call = adapter.call
    x = adapter.tensor(f32([[1, 3, 3], [2, 3, 0]]))
    record("argmax", call("argmax", x))
    record("argmax.axis0", call("argmax", x, axis=0))
    record("argmax.dtype", adapter.dtype_of(call("argmax", x)))


# --- max / min -------------------------------------------------------------------------

@behaviour("max_returns_indices", "max_axis_tie_gradient", seed="001")
def seed_max_values_indices(adapter, record):
    """Seed 001: torch.max(a, 0) returns values (with a graph) and indices (without); chainer
    F.max returns values only. The gradient goes to the returned index (torch) or to every
    tied element (chainer)."""
    call = adapter.call
    for name, values in (("1d", [1, 2, 3]), ("2d", [[1, 3, 3], [2, 3, 0]])):
        a = adapter.tensor(f32(values), requires_grad=True)
        result = call("max", a, axis=0)
        record(f"{name}.returns_pair", isinstance(result, tuple))
        maxima = _values(result)
        record(f"{name}.values", maxima)
        record(f"{name}.values.has_graph", adapter.has_graph(maxima))
        if isinstance(result, tuple):
            indices = result[1]
            record(f"{name}.indices", indices)
            record(f"{name}.indices.requires_grad", adapter.requires_grad(indices))
            record(f"{name}.indices.has_graph", adapter.has_graph(indices))
        adapter.backward(call("sum", maxima))
        record(f"{name}.a.grad", adapter.grad_of(a))


@behaviour("max_tie_gradient")
def max_tie_gradient(adapter, record):
    """max/min over all elements with ties: torch splits the gradient evenly, chainer gives
    each tied element the full gradient."""
    call = adapter.call
    for op, values in (("max", [1, 3, 3]), ("min", [1, 1, 3])):
        a = adapter.tensor(f32(values), requires_grad=True)
        adapter.backward(call(op, a))
        record(f"{op}.a.grad", adapter.grad_of(a))


@behaviour("max_axis_tie_gradient")
def max_axis_tie_gradient(adapter, record):
    """max/min along an axis with ties: torch gives the gradient to the returned index only,
    chainer to every tied element."""
    call = adapter.call
    for op, values in (("max", [3, 1, 3]), ("min", [1, 3, 1])):
        a = adapter.tensor(f32(values), requires_grad=True)
        result = _values(call(op, a, axis=0))
        record(f"{op}.value", result)
        adapter.backward(result)
        record(f"{op}.a.grad", adapter.grad_of(a))


# --- default axes and argument meanings ---------------------------------------------------

@behaviour("concat_default_axis")
def concat_default_axis(adapter, record):
    """concat without an axis: torch.cat joins along 0, chainer F.concat along 1."""
    call = adapter.call
    a = adapter.tensor(f32([[1, 2], [3, 4]]))
    b = adapter.tensor(f32([[5, 6], [7, 8]]))
    record("concat", call("concat", [a, b]))


@behaviour("concat_default_axis", "invalid_argument_errors", seed="001")
def seed_cat_shapes_and_error(adapter, record):
    """Seed 001: int tensors (3,3) and (3,2): joining along axis 0 raises (sizes must match
    except in dimension 0), along axis 1 gives (3,5); with the default axis torch raises and
    chainer joins along 1."""
    call = adapter.call
    ones = adapter.tensor(numpy.ones((3, 3), numpy.int64))
    twos = adapter.tensor(numpy.full((3, 2), 2, numpy.int64))
    for name, axis in (("axis0", 0), ("axis1", 1), ("default", None)):
        joined = attempt(record, name, lambda: call("concat", [ones, twos], axis=axis))
        if joined is not None:
            record(f"{name}.value", joined)


@behaviour("softmax_default_axis")
def softmax_default_axis(adapter, record):
    """softmax/log_softmax without an axis: torch picks 0 for 1-d and 3-d inputs and 1
    otherwise, with a UserWarning; chainer always uses 1. Records which explicit axes give
    the same result as the implicit call.

    An out-of-range default axis (chainer, 1-d input) raises; only the exception class is
    compared for that step: chainer's message is an internal type_check error ("An Expr
    instance cannot be evaluated as bool..." in 7.8.1, "Don't convert Expr to bool..." in
    5.4.0) that says nothing about the axis, and refimpl raises the same class with a
    message naming the axis instead of copying it."""
    call = adapter.call
    for ndim in (1, 2, 3, 4):
        shape = (2, 3, 4, 5)[:ndim]
        array = numpy.arange(numpy.prod(shape), dtype=numpy.float32).reshape(shape) / 7
        for op in ("softmax", "log_softmax"):
            name = f"{op}.{ndim}d"
            x = adapter.tensor(array)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    implicit = call(op, x)
                    record(name, "ok")
                except Exception as error:  # class only: see the docstring
                    implicit = None
                    record(name, ("raises", type(error).__name__))
            record(f"{name}.user_warnings", [" ".join(str(w.message).split()) for w in caught
                                             if issubclass(w.category, UserWarning)])
            if implicit is not None:
                implicit = adapter.to_numpy(implicit)
                record(f"{name}.matching_axes", [
                    axis for axis in range(ndim)
                    if numpy.array_equal(implicit, adapter.to_numpy(call(op, x, axis=axis)))])


@behaviour("split_semantics")
def split_semantics(adapter, record):
    """split(x, n or list, axis=1) on a (2, 6) input: torch reads sizes (an int is the piece
    size), chainer F.split_axis reads indices (an int is the number of pieces)."""
    call = adapter.call
    x = adapter.tensor(numpy.arange(12, dtype=numpy.float32).reshape(2, 6))
    for spec in (2, 3, [1, 3, 2], [2, 4]):
        pieces = call("split", x, spec, axis=1)
        record(f"split({spec}).shapes", [list(adapter.to_numpy(p).shape) for p in pieces])
        record(f"split({spec}).values", list(pieces))


@behaviour("leaky_relu_default_slope")
def leaky_relu_default_slope(adapter, record):
    """leaky_relu without a slope: torch 0.01, chainer 0.2 (values and gradient)."""
    call = adapter.call
    x = adapter.tensor(f32([-2, -0.5, 1, 3]), requires_grad=True)
    y = call("leaky_relu", x)
    record("y", y)
    adapter.backward(call("sum", y))
    record("x.grad", adapter.grad_of(x))


# --- parameters and clearing ------------------------------------------------------------

@behaviour("fresh_parameter_grad", "cleared_grad")
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


@behaviour("cleared_grad", seed="002")
def cleared_grad(adapter, record):
    """Grads accumulate until cleared (seed 002); clearing (torch zero_grad(), chainer
    cleargrad()) leaves None, zeroing (set_to_none=False, zerograd()) leaves zeros."""
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


# --- behaviours both frameworks share -------------------------------------------------------

@behaviour(seed="001")
def seed_boolean_mask(adapter, record):
    """Seed 001: x[mask] selects [1, 3]; its gradient scatters back as [1, 0, 1]."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    mask = numpy.array([True, False, True])
    selected = call("getitem", x, mask)
    record("x[mask]", selected)
    adapter.backward(call("sum", selected))
    record("x.grad", adapter.grad_of(x))


@behaviour(frameworks=("torch",), seed="001")
def seed_topk(adapter, record):
    """Seed 001: topk(fi, 2) of the notebook's 4x3 tensor (values and indices, last axis);
    with ties the lower index wins and the gradient goes to the selected elements."""
    call = adapter.call
    fi = adapter.tensor(f32([[-0.0879, 1.2384, 0.3714], [0.6582, 0.4486, 1.1292],
                             [0.7334, -1.0504, 0.9428], [1.9731, -0.2247, 0.6539]]))
    values, indices = call("topk", fi, 2)
    record("values", values)
    record("indices", indices)
    a = adapter.tensor(f32([1, 3, 3, 2]), requires_grad=True)
    values, indices = call("topk", a, 2)
    record("ties.values", values)
    record("ties.indices", indices)
    adapter.backward(call("sum", values))
    record("ties.a.grad", adapter.grad_of(a))


@behaviour("identity_ops_return_input")
def identity_ops_return_input(adapter, record):
    """Ops that change nothing (same shape, identity permutation, nothing to squeeze, same
    dtype) return the input itself or a new node; torch returns the input only for ``to`` the
    same dtype and ``sum_to_size`` the same shape, chainer for reshape, broadcast_to and
    sum_to."""
    call = adapter.call
    x = adapter.tensor(f32([[1, 2], [3, 4]]), requires_grad=True)
    calls = {
        "reshape": lambda: call("reshape", x, (2, 2)),
        "transpose": lambda: call("transpose", x, (0, 1)),
        "squeeze": lambda: call("squeeze", x),
        "cast": lambda: call("cast", x, "float32"),
        "broadcast_to": lambda: call("broadcast_to", x, (2, 2)),
        "sum_to": lambda: call("sum_to", x, (2, 2)),
    }
    for name, function in calls.items():
        record(f"{name}.returns_input", function() is x)


@behaviour("no_grad_views")
def no_grad_views(adapter, record):
    """A view (reshape) made under no_grad of a tensor that requires grad: torch gives a
    tensor that requires grad but has no gradient edge, so a backward through it writes no
    grad anywhere; chainer gives a leaf that requires grad and receives the gradient."""
    call = adapter.call
    x = adapter.tensor(f32([1, 2, 3]), requires_grad=True)
    with adapter.no_grad():
        view = call("reshape", x, (3, 1))
    record("view.requires_grad", adapter.requires_grad(view))
    record("view.has_graph", adapter.has_graph(view))
    attempt(record, "backward", lambda: adapter.backward(call("sum", call("mul", view, 2))))
    record("view.grad", adapter.grad_of(view))
    record("x.grad", adapter.grad_of(x))


@behaviour("zero_dim_axis")
def zero_dim_axis(adapter, record):
    """An axis given to a 0-d input: torch accepts axis 0/-1 (reducing over nothing), chainer
    raises InvalidType for reductions and argmax."""
    call = adapter.call
    x = adapter.tensor(f32(3.0), requires_grad=True)
    record("sum", attempt(record, "sum.raises", lambda: call("sum", x, 0)))
    record("max", attempt(record, "max.raises", lambda: call("max", x, 0)))
    attempt(record, "argmax.raises", lambda: call("argmax", x, 0))


# Cases for layers, pooling, initialisers and mixed dtypes live in their own module; importing
# it registers them into CASES.
from . import behaviours_layers  # noqa: E402,F401  (registers cases)
