#!/usr/bin/env python
"""Probe autograd behaviours of PyTorch and Chainer by running them.

Each scenario is a small function; ``torch_<name>`` and ``chainer_<name>``
are the two variants of scenario ``<name>``.  Every scenario prints one JSON object per
line::

    {"scenario": name, "framework": "torch"|"chainer", "version": ...,
     "result": {step: value, ...}, "warnings": [...]}

A step's value is the JSON form of what it returned (arrays and tensors as
nested lists) or ``{"raises": qualified.ExceptionClass, "message": str,
"raised_in": "file:function"}``.  Warnings emitted during a step are listed
under "warnings" with the step name, category and message.

Usage::

    SETUPTOOLS_USE_DISTUTILS=stdlib python scripts/probe_frameworks.py \\
        --framework torch > scripts/probe_results/torch-<version>.jsonl

The chainer scenarios work with Chainer 5.x and 7.x.
"""

import argparse
import json
import math
import os
import sys
import traceback
import warnings

SCENARIOS = {"torch": [], "chainer": []}


def scenario(framework):
    """Register ``<framework>_<name>`` as scenario ``name`` of ``framework``."""

    def register(fn):
        prefix = framework + "_"
        assert fn.__name__.startswith(prefix), fn.__name__
        SCENARIOS[framework].append((fn.__name__[len(prefix):], fn))
        return fn

    return register


# ---------------------------------------------------------------------------
# Recording helpers
# ---------------------------------------------------------------------------


def qualname(cls):
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    return "%s.%s" % (module, cls.__qualname__)


def _float(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def jsonable(value):
    """Convert tensors, arrays, variables and containers into JSON values."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    module = type(value).__module__ or ""
    if module.startswith("torch") and hasattr(value, "detach"):
        return jsonable(value.detach().cpu().tolist())
    if hasattr(value, "creator") and hasattr(value, "array"):  # chainer.Variable
        return jsonable(value.array)
    if hasattr(value, "tolist"):  # numpy arrays and numpy scalars
        return jsonable(value.tolist())
    return str(value)


def exception_record(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    where = None
    if frames:
        last = frames[-1]
        filename = last.filename
        marker = "site-packages" + os.sep
        if marker in filename:
            filename = filename.split(marker, 1)[1]
        else:
            filename = os.path.basename(filename)
        where = "%s:%s" % (filename, last.name)
    return {"raises": qualname(type(exc)), "message": str(exc),
            "raised_in": where}


class Probe(object):
    """Collects the steps of one scenario."""

    def __init__(self):
        self.result = {}
        self.warnings = []

    def step(self, name, fn):
        """Run ``fn``; record its converted return value, exception and
        warnings under ``name``.  Returns the raw value (None on error)."""
        assert name not in self.result, name
        raw = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                raw = fn()
                value = jsonable(raw)
            except Exception as exc:  # noqa: BLE001 - recording is the point
                value = exception_record(exc)
        for w in caught:
            self.warnings.append({"step": name,
                                  "category": qualname(w.category),
                                  "message": str(w.message)})
        self.result[name] = value
        return raw


def type_name(obj):
    return qualname(type(obj))


# ---------------------------------------------------------------------------
# torch scenarios
# ---------------------------------------------------------------------------


def _t(values, dtype=None, requires_grad=False):
    import torch
    return torch.tensor(values, dtype=dtype or torch.float32,
                        requires_grad=requires_grad)


def _grad_fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


@scenario("torch")
def torch_second_backward_freed(p):
    x = _t([1., 2., 3.], requires_grad=True)
    y = (x * x).sum()
    p.step("mul_self.mul_node", lambda: type(y.grad_fn.next_functions[0][0]).__name__)
    p.step("mul_self.backward_1", lambda: y.backward())
    p.step("mul_self.x_grad_1", lambda: x.grad)
    p.step("mul_self.backward_2", lambda: y.backward())
    p.step("mul_self.x_grad_2", lambda: x.grad)

    x2 = _t([1., 2., 3.], requires_grad=True)
    y2 = (x2 + 1).sum()
    p.step("add_const.backward_1", lambda: y2.backward())
    p.step("add_const.x_grad_1", lambda: x2.grad)
    p.step("add_const.backward_2", lambda: y2.backward())
    p.step("add_const.x_grad_2", lambda: x2.grad)

    x3 = _t([1., 2., 3.], requires_grad=True)
    y3 = (x3 * 2).sum()
    p.step("mul_scalar.mul_node", lambda: type(y3.grad_fn.next_functions[0][0]).__name__)
    p.step("mul_scalar.backward_1", lambda: y3.backward())
    p.step("mul_scalar.x_grad_1", lambda: x3.grad)
    p.step("mul_scalar.backward_2", lambda: y3.backward())
    p.step("mul_scalar.x_grad_2", lambda: x3.grad)


@scenario("torch")
def torch_second_backward_retained(p):
    x = _t([1., 2., 3.], requires_grad=True)
    y = (x * x).sum()
    p.step("backward_1", lambda: y.backward(retain_graph=True))
    p.step("x_grad_1", lambda: x.grad)
    p.step("backward_2", lambda: y.backward(retain_graph=True))
    p.step("x_grad_2", lambda: x.grad)
    p.step("backward_3_no_retain", lambda: y.backward())
    p.step("x_grad_3", lambda: x.grad)
    p.step("backward_4_after_release", lambda: y.backward())


@scenario("torch")
def torch_nonscalar_backward_no_grad(p):
    import torch
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3).requires_grad_()
    y = x ** 2
    p.step("shape_2x3.backward", lambda: y.backward())
    p.step("shape_2x3.x_grad", lambda: x.grad)

    x1 = _t([3.], requires_grad=True)
    y1 = x1 ** 2
    p.step("shape_1.y_shape", lambda: list(y1.shape))
    p.step("shape_1.backward", lambda: y1.backward())
    p.step("shape_1.x_grad", lambda: x1.grad)

    x0 = _t(3., requires_grad=True)
    y0 = x0 ** 2
    p.step("shape_0d.y_shape", lambda: list(y0.shape))
    p.step("shape_0d.backward", lambda: y0.backward())
    p.step("shape_0d.x_grad", lambda: x0.grad)

    x11 = _t([[3.]], requires_grad=True)
    y11 = x11 ** 2
    p.step("shape_1x1.backward", lambda: y11.backward())
    p.step("shape_1x1.x_grad", lambda: x11.grad)


@scenario("torch")
def torch_intermediate_grads(p):
    x = _t([5.], requires_grad=True)
    z = 2 * x
    y = (x ** 2 - z + 1).sum()
    p.step("plain.backward", lambda: y.backward())
    p.step("plain.x_grad", lambda: x.grad)
    p.step("plain.z_grad", lambda: z.grad)
    p.step("plain.y_grad", lambda: y.grad)
    p.step("plain.z_is_leaf", lambda: z.is_leaf)

    x = _t([5.], requires_grad=True)
    z = 2 * x
    z.retain_grad()
    y = (x ** 2 - z + 1).sum()
    p.step("retain_grad.backward_1", lambda: y.backward(retain_graph=True))
    p.step("retain_grad.z_grad_1", lambda: z.grad)
    p.step("retain_grad.x_grad_1", lambda: x.grad)
    p.step("retain_grad.y_grad_1", lambda: y.grad)
    p.step("retain_grad.backward_2", lambda: y.backward(retain_graph=True))
    p.step("retain_grad.z_grad_2", lambda: z.grad)
    p.step("retain_grad.x_grad_2", lambda: x.grad)

    x = _t([5.], requires_grad=True)
    z = 2 * x
    y = (x ** 2 - z + 1).sum()
    y.retain_grad()
    p.step("output_retain_grad.backward", lambda: y.backward())
    p.step("output_retain_grad.y_grad", lambda: y.grad)


@scenario("torch")
def torch_grad_function(p):
    import torch

    def graph():
        x = _t([1., 2., 3.], requires_grad=True)
        y = x ** 2 + 2 * x + 1
        z = y ** 3 - 4 * y ** 2 + 2
        return x, y, z

    x, y, z = graph()
    p.step("grad_z_x_no_grad_outputs", lambda: torch.autograd.grad(z, [x]))
    x, y, z = graph()
    p.step("grad_z_x_ones", lambda: torch.autograd.grad(
        z, [x], grad_outputs=torch.ones_like(z)))
    p.step("after.x_grad", lambda: x.grad)
    x, y, z = graph()
    p.step("grad_z_y_ones", lambda: torch.autograd.grad(
        z, [y], grad_outputs=torch.ones_like(z)))
    x, y, z = graph()
    p.step("grad_z_x_grad_outputs_234", lambda: torch.autograd.grad(
        z, [x], grad_outputs=_t([2., 3., 4.])))
    x, y, z = graph()
    x.grad = _t([2., 3., 4.])
    p.step("preset_x_grad.grad", lambda: torch.autograd.grad(
        z.sum(), [x]))
    p.step("preset_x_grad.x_grad_after", lambda: x.grad)


@scenario("torch")
def torch_grad_unused_input(p):
    import torch

    def graph():
        x = _t([1., 2., 3.], requires_grad=True)
        w = _t([1., 2., 3.], requires_grad=True)
        return x, w, (x * x).sum()

    x, w, y = graph()
    p.step("default", lambda: torch.autograd.grad(y, [x, w]))
    x, w, y = graph()
    p.step("allow_unused", lambda: torch.autograd.grad(
        y, [x, w], allow_unused=True))
    x, w, y = graph()
    p.step("materialize_grads", lambda: torch.autograd.grad(
        y, [x, w], materialize_grads=True))
    x, w, y = graph()
    p.step("materialize_grads_allow_unused_false", lambda: torch.autograd.grad(
        y, [x, w], materialize_grads=True, allow_unused=False))
    x, w, y = graph()
    p.step("backward.w_grad", lambda: (y.backward(), w.grad)[1])


@scenario("torch")
def torch_second_derivative_no_double_backprop(p):
    import torch
    x = _t([1., 2., 3.], requires_grad=True)
    y = (x ** 3).sum()
    gx = p.step("gx", lambda: torch.autograd.grad(y, [x])[0])
    p.step("gx.requires_grad", lambda: gx.requires_grad)
    p.step("gx.grad_fn", lambda: _grad_fn_name(gx))
    p.step("grad_of_gx_sum", lambda: torch.autograd.grad(gx.sum(), [x]))
    p.step("gx_sum.backward", lambda: gx.sum().backward())
    p.step("x_grad_after", lambda: x.grad)

    x = _t([1., 2., 3.], requires_grad=True)
    y = (x ** 3).sum()
    gx = p.step("create_graph.gx", lambda: torch.autograd.grad(
        y, [x], create_graph=True)[0])
    p.step("create_graph.gx.requires_grad", lambda: gx.requires_grad)
    p.step("create_graph.gx.grad_fn", lambda: _grad_fn_name(gx))
    p.step("create_graph.grad_of_gx_sum", lambda: torch.autograd.grad(
        gx.sum(), [x]))


@scenario("torch")
def torch_backward_under_no_grad(p):
    import torch
    x = _t([1., 2., 3.], requires_grad=True)
    with torch.no_grad():
        y = (x * x).sum()
        p.step("inside.backward", lambda: y.backward())
    p.step("y.requires_grad", lambda: y.requires_grad)
    p.step("y.grad_fn", lambda: _grad_fn_name(y))
    p.step("outside.backward", lambda: y.backward())
    p.step("x_grad_after", lambda: x.grad)
    p.step("autograd_grad", lambda: torch.autograd.grad(y, [x]))


@scenario("torch")
def torch_dtypes(p):
    import torch
    a32 = _t([1., 2.], requires_grad=True)
    a64 = _t([1., 2.], dtype=torch.float64, requires_grad=True)
    s = a32 + a64
    p.step("f32_plus_f64.dtype", lambda: str(s.dtype))
    p.step("f32_plus_f64.backward", lambda: s.sum().backward())
    p.step("f32_plus_f64.grad_dtypes",
           lambda: [str(a32.grad.dtype), str(a64.grad.dtype)])
    p.step("f32_mul_pyfloat.dtype", lambda: str((a32 * 2.5).dtype))
    p.step("f32_mul_pyint.dtype", lambda: str((a32 * 2).dtype))
    p.step("f32_plus_f64_0d.dtype", lambda: str(
        (a32 + torch.tensor(2.0, dtype=torch.float64)).dtype))
    p.step("i32_plus_f32.dtype", lambda: str(
        (torch.tensor([1, 2], dtype=torch.int32) + _t([1., 2.])).dtype))
    p.step("int_tensor_requires_grad",
           lambda: torch.tensor([1, 2, 3], requires_grad=True))
    p.step("int_tensor_requires_grad_(True)",
           lambda: torch.tensor([1, 2, 3]).requires_grad_())
    i = torch.tensor([1, 2, 3])
    p.step("int64_div_int", lambda: {"value": i / 2, "dtype": str((i / 2).dtype)})
    p.step("int64_floordiv_int", lambda: {"value": i // 2,
                                          "dtype": str((i // 2).dtype)})
    p.step("int64_pow_2", lambda: {"value": i ** 2, "dtype": str((i ** 2).dtype)})
    h = _t([0., 1.], dtype=torch.float16, requires_grad=True)
    eh = p.step("f16_exp", lambda: torch.exp(h))
    p.step("f16_exp.dtype", lambda: str(eh.dtype))
    p.step("f16_exp.backward", lambda: eh.sum().backward())
    p.step("f16_exp.x_grad", lambda: h.grad)


@scenario("torch")
def torch_max_min(p):
    import torch
    a = _t([[1., 3., 3.], [2., 3., 0.]], requires_grad=True)
    r = p.step("max_dim0", lambda: torch.max(a, 0))
    p.step("max_dim0.type", lambda: type_name(r))
    p.step("max_dim0.values.grad_fn", lambda: _grad_fn_name(r.values))
    p.step("max_dim0.indices.grad_fn", lambda: _grad_fn_name(r.indices))
    p.step("max_dim0.indices.requires_grad", lambda: r.indices.requires_grad)
    p.step("max_dim0.indices.dtype", lambda: str(r.indices.dtype))
    p.step("max_dim0.backward", lambda: r.values.sum().backward())
    p.step("max_dim0.a_grad", lambda: a.grad)
    r = p.step("min_dim0", lambda: torch.min(_t([[1., 3., 3.], [2., 3., 0.]]), 0))

    a = _t([1., 3., 3.], requires_grad=True)
    p.step("max_full_ties.backward", lambda: torch.max(a).backward())
    p.step("max_full_ties.a_grad", lambda: a.grad)
    a = _t([3., 1., 3.], requires_grad=True)
    r = p.step("max_dim_ties", lambda: torch.max(a, dim=0))
    p.step("max_dim_ties.backward", lambda: r.values.backward())
    p.step("max_dim_ties.a_grad", lambda: a.grad)
    a = _t([1., 3., 3.], requires_grad=True)
    p.step("amax_ties.backward", lambda: torch.amax(a).backward())
    p.step("amax_ties.a_grad", lambda: a.grad)

    a = _t([1., 1., 3.], requires_grad=True)
    p.step("min_full_ties.backward", lambda: torch.min(a).backward())
    p.step("min_full_ties.a_grad", lambda: a.grad)
    a = _t([1., 3., 1.], requires_grad=True)
    r = p.step("min_dim_ties", lambda: torch.min(a, dim=0))
    p.step("min_dim_ties.backward", lambda: r.values.backward())
    p.step("min_dim_ties.a_grad", lambda: a.grad)
    a = _t([1., 1., 3.], requires_grad=True)
    p.step("amin_ties.backward", lambda: torch.amin(a).backward())
    p.step("amin_ties.a_grad", lambda: a.grad)

    a = _t([3., 1., 3.], requires_grad=True)
    p.step("argmax_ties", lambda: torch.argmax(a))

    a = _t([1., 3., 3., 2.], requires_grad=True)
    r = p.step("topk2_ties", lambda: torch.topk(a, 2))
    p.step("topk2_ties.backward", lambda: r.values.sum().backward())
    p.step("topk2_ties.a_grad", lambda: a.grad)
    a = _t([3., 1., 3.], requires_grad=True)
    r = p.step("topk1_ties", lambda: torch.topk(a, 1))
    p.step("topk1_ties.backward", lambda: r.values.sum().backward())
    p.step("topk1_ties.a_grad", lambda: a.grad)


def _matching_dims(fn, x, explicit):
    """Which explicit dims give the same result as fn(x) (implicit dim)."""
    import torch
    implicit = fn(x)
    return [d for d in range(x.dim()) if torch.equal(implicit, explicit(x, d))]


@scenario("torch")
def torch_default_axes(p):
    import torch
    import torch.nn.functional as TF
    a = torch.zeros(2, 3)
    p.step("cat.(2,3)+(2,2)", lambda: list(torch.cat((a, torch.zeros(2, 2))).shape))
    p.step("cat.(2,3)+(1,3)", lambda: list(torch.cat((a, torch.zeros(1, 3))).shape))
    p.step("cat.int(3,3)+int(3,2).dim0", lambda: torch.cat(
        (torch.zeros(3, 3, dtype=torch.int64),
         torch.zeros(3, 2, dtype=torch.int64)), dim=0))
    p.step("stack.default_shape", lambda: list(torch.stack((a, a)).shape))
    for n in (1, 2, 3, 4):
        shape = (2, 3, 4, 5)[:n]
        x = torch.arange(math.prod(shape), dtype=torch.float32).reshape(shape) / 7
        p.step("softmax.implicit_dim.%dd" % n, lambda x=x: _matching_dims(
            TF.softmax, x, lambda t, d: TF.softmax(t, dim=d)))
        p.step("log_softmax.implicit_dim.%dd" % n, lambda x=x: _matching_dims(
            TF.log_softmax, x, lambda t, d: TF.log_softmax(t, dim=d)))
    x1 = torch.arange(3, dtype=torch.float32)
    p.step("softmax.1d.dim0", lambda: TF.softmax(x1, dim=0))
    p.step("softmax.2d.dim2_out_of_range",
           lambda: TF.softmax(torch.zeros(2, 3), dim=2))
    x = torch.arange(12, dtype=torch.float32).reshape(2, 6)
    p.step("split.int2.dim1", lambda: [list(t.shape) for t in torch.split(x, 2, dim=1)])
    p.step("split.[1,3,2].dim1",
           lambda: [list(t.shape) for t in torch.split(x, [1, 3, 2], dim=1)])
    p.step("split.[1,3].dim1",
           lambda: [list(t.shape) for t in torch.split(x, [1, 3], dim=1)])
    p.step("split.default_dim", lambda: [list(t.shape) for t in torch.split(x, 1)])
    p.step("sum.keepdim", lambda: list(torch.sum(x, dim=1, keepdim=True).shape))
    p.step("sum.keepdims", lambda: list(torch.sum(x, dim=1, keepdims=True).shape))
    p.step("sum.axis", lambda: list(torch.sum(x, axis=1).shape))


@scenario("torch")
def torch_fresh_grad_and_clearing(p):
    import torch
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    p.step("linear.weight.grad.fresh", lambda: lin.weight.grad)
    p.step("linear.backward", lambda: lin(torch.ones(1, 3)).sum().backward())
    p.step("linear.weight.grad.after_backward", lambda: lin.weight.grad)
    p.step("linear.zero_grad_default", lambda: lin.zero_grad())
    p.step("linear.weight.grad.after_zero_grad_default", lambda: lin.weight.grad)
    lin(torch.ones(1, 3)).sum().backward()
    p.step("linear.zero_grad_set_to_none_false",
           lambda: lin.zero_grad(set_to_none=False))
    p.step("linear.weight.grad.after_zero_grad_set_to_none_false",
           lambda: lin.weight.grad)
    t = _t([1., 2.], requires_grad=True)
    p.step("leaf.grad.fresh", lambda: t.grad)


@scenario("torch")
def torch_requires_grad_default(p):
    import torch
    p.step("tensor.requires_grad", lambda: torch.tensor([1., 2.]).requires_grad)
    p.step("parameter.requires_grad",
           lambda: torch.nn.Parameter(torch.tensor([1., 2.])).requires_grad)
    p.step("numpy_on_requires_grad",
           lambda: _t([1., 2.], requires_grad=True).numpy())
    p.step("numpy_on_detached",
           lambda: _t([1., 2.], requires_grad=True).detach().numpy())
    r = torch.max(_t([[1., 3., 3.], [2., 3., 0.]], requires_grad=True), 0)
    p.step("max_dim.output_types",
           lambda: [type_name(r), type_name(r[0]), type_name(r[1]),
                    list(r._fields) if hasattr(r, "_fields") else None])


@scenario("torch")
def torch_leaf_nonleaf(p):
    import torch
    a = _t([1., 2., 3.], requires_grad=True)
    b = _t([4., 5., 6.], requires_grad=True)
    f = torch.dot(a, b)
    p.step("dot.backward", lambda: f.backward())
    p.step("dot.a_grad", lambda: a.grad)
    p.step("dot.b_grad", lambda: b.grad)
    p.step("dot.f_grad", lambda: f.grad)
    p.step("dot.is_leaf", lambda: [a.is_leaf, b.is_leaf, f.is_leaf])

    inp = torch.eye(5, requires_grad=True)
    out = (inp + 1).pow(2)
    p.step("accumulate.backward_1",
           lambda: out.backward(torch.ones_like(inp), retain_graph=True))
    p.step("accumulate.inp_grad_1", lambda: inp.grad)
    p.step("accumulate.backward_2",
           lambda: out.backward(torch.ones_like(inp), retain_graph=True))
    p.step("accumulate.inp_grad_2", lambda: inp.grad)
    inp.grad.zero_()
    p.step("accumulate.backward_3_after_zero",
           lambda: out.backward(torch.ones_like(inp), retain_graph=True))
    p.step("accumulate.inp_grad_3", lambda: inp.grad)


@scenario("torch")
def torch_detach_unchain(p):
    import torch
    x = _t([1., 2.], requires_grad=True)
    y = x * 2
    d = y.detach()
    p.step("detach.requires_grad", lambda: d.requires_grad)
    p.step("detach.is_leaf", lambda: d.is_leaf)
    p.step("detach.grad_fn", lambda: _grad_fn_name(d))
    p.step("detach.shares_storage", lambda: d.data_ptr() == y.data_ptr())
    p.step("y.grad_fn_after_detach", lambda: _grad_fn_name(y))
    p.step("nonleaf.requires_grad_(True)", lambda: y.requires_grad_(True).requires_grad)
    p.step("nonleaf.requires_grad_(False)", lambda: y.requires_grad_(False))
    p.step("nonleaf.set_requires_grad_False", lambda: setattr(y, "requires_grad", False))
    p.step("has.requires_grad_", lambda: hasattr(torch.Tensor, "requires_grad_"))


@scenario("torch")
def torch_getitem(p):
    import torch
    x = _t([1., 2., 3.], requires_grad=True)
    mask = torch.tensor([True, False, True])
    p.step("bool_mask.value", lambda: x[mask])
    p.step("bool_mask.backward", lambda: x[mask].sum().backward())
    p.step("bool_mask.x_grad", lambda: x.grad)
    x = _t([1., 2., 3.], requires_grad=True)
    p.step("repeated_index.value", lambda: x[[0, 0, 1]])
    p.step("repeated_index.backward", lambda: x[[0, 0, 1]].sum().backward())
    p.step("repeated_index.x_grad", lambda: x.grad)
    x = _t([1., 2., 3.], requires_grad=True)
    idx = torch.tensor([0, 0, 1])
    p.step("repeated_index_tensor.backward", lambda: x[idx].sum().backward())
    p.step("repeated_index_tensor.x_grad", lambda: x.grad)


@scenario("torch")
def torch_backward_inputs_arg(p):
    x = _t([1., 2., 3.], requires_grad=True)
    w = _t([4., 5., 6.], requires_grad=True)
    y = (x * w).sum()
    p.step("backward_inputs_x", lambda: y.backward(inputs=[x]))
    p.step("x_grad", lambda: x.grad)
    p.step("w_grad", lambda: w.grad)


@scenario("torch")
def torch_grad_retain_graph_default(p):
    import torch
    x = _t([1., 2., 3.], requires_grad=True)
    y = (x ** 3).sum()
    p.step("create_graph.grad_1",
           lambda: torch.autograd.grad(y, [x], create_graph=True))
    p.step("create_graph.grad_2",
           lambda: torch.autograd.grad(y, [x], create_graph=True))
    x = _t([1., 2., 3.], requires_grad=True)
    y = (x ** 3).sum()
    p.step("no_create_graph.grad_1", lambda: torch.autograd.grad(y, [x]))
    p.step("no_create_graph.grad_2", lambda: torch.autograd.grad(y, [x]))
    x = _t([1., 2., 3.], requires_grad=True)
    y = (x ** 3).sum()
    p.step("create_graph_retain_false.grad_1", lambda: torch.autograd.grad(
        y, [x], create_graph=True, retain_graph=False))
    p.step("create_graph_retain_false.grad_2",
           lambda: torch.autograd.grad(y, [x]))


# ---------------------------------------------------------------------------
# chainer scenarios
# ---------------------------------------------------------------------------


def _v(values, dtype=None):
    import chainer
    import numpy as np
    return chainer.Variable(np.array(values, dtype=dtype or np.float32))


def _creator_name(v):
    return None if v.creator is None else type(v.creator).__name__


@scenario("chainer")
def chainer_second_backward_freed(p):
    import chainer.functions as F
    x = _v([1., 2., 3.])
    y = F.sum(x * x)
    p.step("mul_self.backward_1", lambda: y.backward())
    p.step("mul_self.x_grad_1", lambda: x.grad)
    p.step("mul_self.backward_2", lambda: y.backward())
    p.step("mul_self.x_grad_2", lambda: x.grad)

    x2 = _v([1., 2., 3.])
    y2 = F.sum(x2 + 1)
    p.step("add_const.backward_1", lambda: y2.backward())
    p.step("add_const.x_grad_1", lambda: x2.grad)
    p.step("add_const.backward_2", lambda: y2.backward())
    p.step("add_const.x_grad_2", lambda: x2.grad)

    x3 = _v([1., 2., 3.])
    y3 = F.sum(x3 * 2)
    p.step("mul_scalar.backward_1", lambda: y3.backward())
    p.step("mul_scalar.x_grad_1", lambda: x3.grad)
    p.step("mul_scalar.backward_2", lambda: y3.backward())
    p.step("mul_scalar.x_grad_2", lambda: x3.grad)


@scenario("chainer")
def chainer_second_backward_retained(p):
    import chainer.functions as F
    x = _v([1., 2., 3.])
    y = F.sum(x * x)
    p.step("backward_retain_graph_kwarg", lambda: y.backward(retain_graph=True))
    p.step("backward_1", lambda: y.backward())
    p.step("x_grad_1", lambda: x.grad)
    p.step("backward_2", lambda: y.backward())
    p.step("x_grad_2", lambda: x.grad)


@scenario("chainer")
def chainer_nonscalar_backward_no_grad(p):
    import numpy as np
    x = _v(np.arange(6).reshape(2, 3))
    y = x ** 2
    p.step("shape_2x3.backward", lambda: y.backward())
    p.step("shape_2x3.x_grad", lambda: x.grad)
    p.step("shape_2x3.y_grad", lambda: y.grad)

    x1 = _v([3.])
    y1 = x1 ** 2
    p.step("shape_1.y_shape", lambda: list(y1.shape))
    p.step("shape_1.backward", lambda: y1.backward())
    p.step("shape_1.x_grad", lambda: x1.grad)
    p.step("shape_1.y_grad", lambda: y1.grad)

    x0 = _v(3.)
    y0 = x0 ** 2
    p.step("shape_0d.y_shape", lambda: list(y0.shape))
    p.step("shape_0d.backward", lambda: y0.backward())
    p.step("shape_0d.x_grad", lambda: x0.grad)

    x11 = _v([[3.]])
    y11 = x11 ** 2
    p.step("shape_1x1.backward", lambda: y11.backward())
    p.step("shape_1x1.x_grad", lambda: x11.grad)

    x = _v(np.arange(6).reshape(2, 3))
    y = x ** 2
    y.grad = np.ones((2, 3), np.float32)
    p.step("shape_2x3_explicit_grad.backward", lambda: y.backward())
    p.step("shape_2x3_explicit_grad.x_grad", lambda: x.grad)


@scenario("chainer")
def chainer_intermediate_grads(p):
    x = _v([5.])
    z = 2 * x
    y = x ** 2 - z + 1
    p.step("retain_1.backward", lambda: y.backward(retain_grad=True))
    p.step("retain_1.z_grad", lambda: z.grad)
    p.step("retain_1.y_grad", lambda: y.grad)
    p.step("retain_1.x_grad", lambda: x.grad)
    p.step("plain_2.backward", lambda: y.backward())
    p.step("plain_2.z_grad", lambda: z.grad)
    p.step("plain_2.y_grad", lambda: y.grad)
    p.step("plain_2.x_grad", lambda: x.grad)
    p.step("retain_3.backward", lambda: y.backward(retain_grad=True))
    p.step("retain_3.z_grad", lambda: z.grad)
    p.step("retain_3.y_grad", lambda: y.grad)
    p.step("retain_3.x_grad", lambda: x.grad)
    p.step("retain_4.backward", lambda: y.backward(retain_grad=True))
    p.step("retain_4.z_grad", lambda: z.grad)
    p.step("retain_4.x_grad", lambda: x.grad)

    x = _v([5.])
    z = 2 * x
    y = x ** 2 - z + 1
    p.step("fresh_plain.backward", lambda: y.backward())
    p.step("fresh_plain.z_grad", lambda: z.grad)
    p.step("fresh_plain.y_grad", lambda: y.grad)
    p.step("fresh_plain.x_grad", lambda: x.grad)


@scenario("chainer")
def chainer_grad_function(p):
    import chainer
    import numpy as np

    def graph():
        x = _v([1., 2., 3.])
        y = x ** 2 + 2 * x + 1
        z = y ** 3 - 4 * y ** 2 + 2
        return x, y, z

    def grads():
        return {"x": x.grad, "y": y.grad, "z": z.grad}

    x, y, z = graph()
    p.step("grad_z_x", lambda: chainer.grad([z], [x]))
    p.step("grad_z_y", lambda: chainer.grad([z], [y]))
    p.step("after.grads", grads)

    x, y, z = graph()
    p.step("set_grad.grad_z_x", lambda: chainer.grad([z], [x], set_grad=True))
    p.step("set_grad.grads", grads)

    x, y, z = graph()
    p.step("retain_grad.grad_z_x", lambda: chainer.grad([z], [x], retain_grad=True))
    p.step("retain_grad.grads", grads)

    x, y, z = graph()
    p.step("set_and_retain_grad.grad_z_x",
           lambda: chainer.grad([z], [x], set_grad=True, retain_grad=True))
    p.step("set_and_retain_grad.grads", grads)

    x, y, z = graph()
    x.grad = np.array([2., 3., 4.], np.float32)
    p.step("preset_x_grad.grad_z_x", lambda: chainer.grad([z], [x]))
    p.step("preset_x_grad.grads", grads)
    p.step("preset_x_grad.set_grad.grad_z_x",
           lambda: chainer.grad([z], [x], set_grad=True))
    p.step("preset_x_grad.set_grad.grads", grads)

    gi = np.array([2., 3., 4.], np.float32)
    x, y, z = graph()
    p.step("grad_inputs.grad_z_x", lambda: chainer.grad([z], [x], grad_inputs=[gi]))
    p.step("grad_inputs.grads", grads)
    x, y, z = graph()
    p.step("grad_inputs.set_grad.grad_z_x",
           lambda: chainer.grad([z], [x], grad_inputs=[gi], set_grad=True))
    p.step("grad_inputs.set_grad.grads", grads)

    x, y, z = graph()
    p.step("grad_outputs_234.grad_z_x",
           lambda: chainer.grad([z], [x], grad_outputs=[gi]))
    x, y, z = graph()
    p.step("grad_outputs_234_variable.grad_z_x", lambda: chainer.grad(
        [z], [x], grad_outputs=[chainer.Variable(gi)]))

    x, y, z = graph()
    p.step("backward_nonscalar_z", lambda: z.backward())
    p.step("backward_nonscalar_z.grads", grads)


@scenario("chainer")
def chainer_grad_unused_input(p):
    import chainer
    import chainer.functions as F
    x = _v([1., 2., 3.])
    w = _v([1., 2., 3.])
    y = F.sum(x * x)
    p.step("default", lambda: chainer.grad([y], [x, w]))
    p.step("backward.w_grad", lambda: (y.backward(), w.grad)[1])


@scenario("chainer")
def chainer_second_derivative_no_double_backprop(p):
    import chainer
    import chainer.functions as F
    x = _v([1., 2., 3.])
    y = F.sum(x ** 3)
    gx = p.step("gx", lambda: chainer.grad([y], [x])[0])
    p.step("gx.creator", lambda: _creator_name(gx))
    p.step("gx.requires_grad", lambda: gx.requires_grad)
    p.step("grad_of_gx_sum", lambda: chainer.grad([F.sum(gx)], [x]))
    p.step("gx_sum.backward", lambda: F.sum(gx).backward())
    p.step("x_grad_after", lambda: x.grad)
    p.step("gx_grad_after", lambda: gx.grad)

    x = _v([1., 2., 3.])
    y = F.sum(x ** 3)
    gx = p.step("double.gx", lambda: chainer.grad(
        [y], [x], enable_double_backprop=True)[0])
    p.step("double.gx.creator", lambda: _creator_name(gx))
    p.step("double.grad_of_gx_sum", lambda: chainer.grad([F.sum(gx)], [x]))

    x = _v([1., 2., 3.])
    y = F.sum(x ** 3)
    p.step("backward_no_double.backward", lambda: y.backward())
    p.step("backward_no_double.x_grad_creator", lambda: _creator_name(x.grad_var))


@scenario("chainer")
def chainer_backward_under_no_grad(p):
    import chainer
    import chainer.functions as F
    x = _v([1., 2., 3.])
    with chainer.no_backprop_mode():
        y = F.sum(x * x)
        p.step("inside.backward", lambda: y.backward())
        p.step("inside.x_grad", lambda: x.grad)
        p.step("inside.y_grad", lambda: y.grad)
        p.step("inside.grad", lambda: chainer.grad([y], [x]))
    p.step("y.creator", lambda: _creator_name(y))
    p.step("y.requires_grad", lambda: y.requires_grad)
    p.step("outside.backward", lambda: y.backward())
    p.step("outside.x_grad", lambda: x.grad)
    p.step("outside.grad", lambda: chainer.grad([y], [x]))


@scenario("chainer")
def chainer_dtypes(p):
    import chainer
    import chainer.functions as F
    import numpy as np
    a32 = _v([1., 2.])
    a64 = _v([1., 2.], np.float64)
    p.step("f32_plus_f64", lambda: str((a32 + a64).dtype))
    p.step("f32_plus_f64_ndarray", lambda: str((a32 + np.array([1., 2.])).dtype))
    p.step("f32_mul_pyfloat.dtype", lambda: str((a32 * 2.5).dtype))
    p.step("f32_mul_pyint.dtype", lambda: str((a32 * 2).dtype))
    p.step("f32_plus_f64_0d_variable",
           lambda: str((a32 + chainer.Variable(np.array(2.0))).dtype))
    p.step("f32_plus_np_float64_scalar",
           lambda: str((a32 + np.float64(2.0)).dtype))
    p.step("i32_plus_f32", lambda: str((_v([1, 2], np.int32) + a32).dtype))
    xi = p.step("int32_variable", lambda: _v([1, 2, 3], np.int32))
    p.step("int32_variable.requires_grad", lambda: xi.requires_grad)
    yi = p.step("int32_variable.sum_sq", lambda: F.sum(xi * xi))
    p.step("int32_variable.sum_sq.dtype", lambda: str(yi.dtype))
    p.step("int32_variable.backward", lambda: yi.backward())
    p.step("int32_variable.x_grad", lambda: xi.grad)
    p.step("int32_div_int", lambda: {"value": xi / 2, "dtype": str((xi / 2).dtype)})
    p.step("int32_floordiv_int", lambda: {"value": xi // 2,
                                          "dtype": str((xi // 2).dtype)})
    p.step("int32_pow_2", lambda: {"value": xi ** 2, "dtype": str((xi ** 2).dtype)})
    h = _v([0., 1.], np.float16)
    eh = p.step("f16_exp", lambda: F.exp(h))
    p.step("f16_exp.dtype", lambda: str(eh.dtype))
    p.step("f16_exp.backward", lambda: F.sum(eh).backward())
    p.step("f16_exp.x_grad", lambda: h.grad)
    p.step("f16_exp.x_grad_dtype", lambda: str(h.grad.dtype))


@scenario("chainer")
def chainer_max_min(p):
    import inspect
    import chainer.functions as F
    import numpy as np
    p.step("signatures", lambda: {
        "max": str(inspect.signature(F.max)),
        "min": str(inspect.signature(F.min)),
        "argmax": str(inspect.signature(F.argmax))})
    a = _v([[1., 3., 3.], [2., 3., 0.]])
    r = p.step("max_axis0", lambda: F.max(a, axis=0))
    p.step("max_axis0.type", lambda: type_name(r))
    p.step("max_axis0.creator", lambda: _creator_name(r))
    p.step("max_axis0.backward",
           lambda: (setattr(r, "grad", np.ones(3, np.float32)), r.backward()))
    p.step("max_axis0.a_grad", lambda: a.grad)
    p.step("min_axis0", lambda: F.min(_v([[1., 3., 3.], [2., 3., 0.]]), axis=0))
    p.step("argmax_axis0", lambda: F.argmax(_v([[1., 3., 3.], [2., 3., 0.]]), axis=0))

    a = _v([1., 3., 3.])
    p.step("max_full_ties.backward", lambda: F.max(a).backward())
    p.step("max_full_ties.a_grad", lambda: a.grad)
    a = _v([3., 1., 3.])
    r = p.step("max_axis_ties", lambda: F.max(a, axis=0))
    p.step("max_axis_ties.backward", lambda: r.backward())
    p.step("max_axis_ties.a_grad", lambda: a.grad)
    a = _v([1., 1., 3.])
    p.step("min_full_ties.backward", lambda: F.min(a).backward())
    p.step("min_full_ties.a_grad", lambda: a.grad)
    a = _v([1., 3., 1.])
    r = p.step("min_axis_ties", lambda: F.min(a, axis=0))
    p.step("min_axis_ties.backward", lambda: r.backward())
    p.step("min_axis_ties.a_grad", lambda: a.grad)

    p.step("argmax_ties", lambda: F.argmax(_v([3., 1., 3.])))
    p.step("argmin_ties", lambda: F.argmin(_v([1., 3., 1.])))
    p.step("argmax.dtype", lambda: str(F.argmax(_v([3., 1., 3.])).dtype))
    p.step("has.topk", lambda: hasattr(F, "topk"))


@scenario("chainer")
def chainer_default_axes(p):
    import inspect
    import chainer.functions as F
    import numpy as np
    a = np.zeros((2, 3), np.float32)
    p.step("signatures", lambda: {
        name: str(inspect.signature(getattr(F, name)))
        for name in ("concat", "stack", "softmax", "log_softmax",
                     "split_axis", "sum")})
    p.step("concat.(2,3)+(2,2)",
           lambda: list(F.concat((a, np.zeros((2, 2), np.float32))).shape))
    p.step("concat.(2,3)+(1,3)",
           lambda: list(F.concat((a, np.zeros((1, 3), np.float32))).shape))
    p.step("concat.int(3,3)+int(3,2).axis0", lambda: F.concat(
        (np.zeros((3, 3), np.int64), np.zeros((3, 2), np.int64)), axis=0))
    p.step("stack.default_shape", lambda: list(F.stack((a, a)).shape))
    for n in (1, 2, 3, 4):
        shape = (2, 3, 4, 5)[:n]
        x = (np.arange(int(np.prod(shape)), dtype=np.float32) / 7).reshape(shape)

        def matching(fn, x=x):
            implicit = fn(x).array
            return [d for d in range(x.ndim)
                    if np.array_equal(implicit, fn(x, axis=d).array)]

        p.step("softmax.implicit_axis.%dd" % n, lambda m=matching: m(F.softmax))
        p.step("log_softmax.implicit_axis.%dd" % n,
               lambda m=matching: m(F.log_softmax))
    x1 = np.arange(3, dtype=np.float32)
    p.step("softmax.1d.axis0", lambda: F.softmax(x1, axis=0))
    p.step("softmax.2d.axis2_out_of_range",
           lambda: F.softmax(np.zeros((2, 3), np.float32), axis=2))
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    p.step("split_axis.int2.axis1",
           lambda: [list(t.shape) for t in F.split_axis(x, 2, axis=1)])
    p.step("split_axis.int4.axis1",
           lambda: [list(t.shape) for t in F.split_axis(x, 4, axis=1)])
    p.step("split_axis.[1,3].axis1",
           lambda: [list(t.shape) for t in F.split_axis(x, [1, 3], axis=1)])
    p.step("split_axis.[1,3,2].axis1",
           lambda: [list(t.shape) for t in F.split_axis(x, [1, 3, 2], axis=1)])
    p.step("split_axis.no_axis", lambda: F.split_axis(x, 2))
    p.step("sum.keepdims", lambda: list(F.sum(x, axis=1, keepdims=True).shape))
    p.step("sum.keepdim", lambda: list(F.sum(x, axis=1, keepdim=True).shape))
    p.step("sum.dim", lambda: list(F.sum(x, dim=1).shape))


@scenario("chainer")
def chainer_fresh_grad_and_clearing(p):
    import chainer.links as L
    import numpy as np
    lin = L.Linear(3, 2)
    p.step("linear.W.grad.fresh", lambda: lin.W.grad)
    p.step("linear.b.grad.fresh", lambda: lin.b.grad)
    p.step("linear.backward", lambda: _sum_backward(lin(np.ones((1, 3), np.float32))))
    p.step("linear.W.grad.after_backward", lambda: lin.W.grad)
    p.step("linear.backward_again_accumulates",
           lambda: _sum_backward(lin(np.ones((1, 3), np.float32))))
    p.step("linear.W.grad.after_second_backward", lambda: lin.W.grad)
    p.step("linear.cleargrads", lambda: lin.cleargrads())
    p.step("linear.W.grad.after_cleargrads", lambda: lin.W.grad)
    p.step("linear.backward_after_cleargrads",
           lambda: _sum_backward(lin(np.ones((1, 3), np.float32))))
    p.step("linear.W.grad.after_cleargrads_backward", lambda: lin.W.grad)
    p.step("linear.zerograds", lambda: lin.zerograds())
    p.step("linear.W.grad.after_zerograds", lambda: lin.W.grad)
    lazy = L.Linear(None, 2)
    p.step("lazy_linear.W.array.fresh", lambda: lazy.W.array)
    p.step("lazy_linear.W.grad.fresh", lambda: lazy.W.grad)
    v = _v([1., 2.])
    p.step("variable.grad.fresh", lambda: v.grad)
    p.step("variable.zerograd", lambda: v.zerograd())
    p.step("variable.grad.after_zerograd", lambda: v.grad)
    p.step("variable.cleargrad", lambda: v.cleargrad())
    p.step("variable.grad.after_cleargrad", lambda: v.grad)


def _sum_backward(y):
    import chainer.functions as F
    F.sum(y).backward()


@scenario("chainer")
def chainer_requires_grad_default(p):
    import chainer
    import numpy as np
    arr = np.array([1., 2.], np.float32)
    p.step("variable.requires_grad", lambda: chainer.Variable(arr).requires_grad)
    p.step("variable(requires_grad=False).requires_grad",
           lambda: chainer.Variable(arr, requires_grad=False).requires_grad)
    p.step("parameter.requires_grad",
           lambda: chainer.Parameter(arr.copy()).requires_grad)
    p.step("variable.array_is_data", lambda: chainer.Variable(arr).array is arr)
    p.step("np.asarray(variable)", lambda: str(np.asarray(chainer.Variable(arr)).dtype))


@scenario("chainer")
def chainer_leaf_nonleaf(p):
    import chainer.functions as F
    import numpy as np
    a = _v([1., 2., 3.])
    b = _v([4., 5., 6.])
    f = F.sum(a * b)
    p.step("dot.backward", lambda: f.backward())
    p.step("dot.a_grad", lambda: a.grad)
    p.step("dot.b_grad", lambda: b.grad)
    p.step("dot.f_grad", lambda: f.grad)
    f2 = F.matmul(_v([[1., 2., 3.]]), _v([[4.], [5.], [6.]]))
    p.step("matmul_1x1.value", lambda: f2)

    inp = _v(np.eye(5))
    out = (inp + 1) ** 2
    out.grad = np.ones((5, 5), np.float32)
    p.step("accumulate.backward_1", lambda: out.backward())
    p.step("accumulate.inp_grad_1", lambda: inp.grad)
    p.step("accumulate.out_grad_1", lambda: out.grad)
    p.step("accumulate.backward_2", lambda: out.backward())
    p.step("accumulate.inp_grad_2", lambda: inp.grad)
    out.grad = np.ones((5, 5), np.float32)
    p.step("accumulate.backward_3_grad_reset", lambda: out.backward())
    p.step("accumulate.inp_grad_3", lambda: inp.grad)


@scenario("chainer")
def chainer_detach_unchain(p):
    import chainer
    x = _v([1., 2.])
    y = x * 2
    p.step("y.creator_before", lambda: _creator_name(y))
    p.step("y.unchain", lambda: y.unchain())
    p.step("y.creator_after_unchain", lambda: _creator_name(y))
    p.step("y.requires_grad_after_unchain", lambda: y.requires_grad)
    p.step("y.array_type", lambda: type_name(y.array))
    p.step("y_sum.backward", lambda: _sum_backward(y))
    p.step("x_grad_after", lambda: x.grad)
    p.step("has.requires_grad_", lambda: hasattr(chainer.Variable, "requires_grad_"))
    p.step("has.detach", lambda: hasattr(chainer.Variable, "detach"))
    p.step("set_requires_grad_False", lambda: setattr(y, "requires_grad", False))
    y2 = x * 2
    z2 = y2 * 3
    p.step("unchain_backward", lambda: z2.unchain_backward())
    p.step("unchain_backward.creators",
           lambda: [_creator_name(y2), _creator_name(z2)])


@scenario("chainer")
def chainer_getitem(p):
    import chainer.functions as F
    import numpy as np
    x = _v([1., 2., 3.])
    mask = np.array([True, False, True])
    p.step("bool_mask.value", lambda: F.get_item(x, mask))
    p.step("bool_mask.backward", lambda: _sum_backward(F.get_item(x, mask)))
    p.step("bool_mask.x_grad", lambda: x.grad)
    x = _v([1., 2., 3.])
    p.step("bool_mask_operator.value", lambda: x[mask])
    x = _v([1., 2., 3.])
    idx = np.array([0, 0, 1])
    p.step("repeated_index.value", lambda: x[idx])
    p.step("repeated_index.backward", lambda: _sum_backward(x[idx]))
    p.step("repeated_index.x_grad", lambda: x.grad)
    x = _v([1., 2., 3.])
    p.step("repeated_index_list.value", lambda: x[[0, 0, 1]])
    p.step("repeated_index_list.backward", lambda: _sum_backward(x[[0, 0, 1]]))
    p.step("repeated_index_list.x_grad", lambda: x.grad)


@scenario("chainer")
def chainer_backward_inputs_arg(p):
    import chainer
    import chainer.functions as F
    x = _v([1., 2., 3.])
    w = _v([4., 5., 6.])
    y = F.sum(x * w)
    p.step("backward_inputs_x", lambda: y.backward(inputs=[x]))
    p.step("grad_set_grad_x", lambda: chainer.grad([y], [x], set_grad=True))
    p.step("x_grad", lambda: x.grad)
    p.step("w_grad", lambda: w.grad)


@scenario("chainer")
def chainer_grad_retain_graph_default(p):
    import chainer
    import chainer.functions as F
    x = _v([1., 2., 3.])
    y = F.sum(x ** 3)
    p.step("double.grad_1", lambda: chainer.grad([y], [x], enable_double_backprop=True))
    p.step("double.grad_2", lambda: chainer.grad([y], [x], enable_double_backprop=True))
    x = _v([1., 2., 3.])
    y = F.sum(x ** 3)
    p.step("no_double.grad_1", lambda: chainer.grad([y], [x]))
    p.step("no_double.grad_2", lambda: chainer.grad([y], [x]))


# ---------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------


def framework_version(framework):
    if framework == "torch":
        import torch
        return torch.__version__
    import chainer
    return chainer.__version__


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--scenario", action="append",
                        help="run only this scenario (repeatable)")
    args = parser.parse_args(argv)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # import-time deprecation noise
        version = framework_version(args.framework)
        import numpy as np
        np.random.seed(0)

    for name, fn in SCENARIOS[args.framework]:
        if args.scenario and name not in args.scenario:
            continue
        probe = Probe()
        try:
            fn(probe)
        except Exception as exc:  # noqa: BLE001 - a bug in the scenario itself
            probe.result["__scenario_error__"] = exception_record(exc)
        line = {"scenario": name, "framework": args.framework,
                "version": version, "result": probe.result,
                "warnings": probe.warnings}
        sys.stdout.write(json.dumps(line, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
