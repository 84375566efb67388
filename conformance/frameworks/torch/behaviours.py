"""Behaviour cases about PyTorch's own API (registered into ``conformance.behaviours``; they
apply to every framework with the capabilities they declare, and to refimpl under its
policy)."""
import numpy

from ...behaviours.core import behaviour, f32
from ...checks.observations import attempt


@behaviour("backward_without_graph", "outputs_require_grad", requires=("detach",), seed="004")
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


@behaviour("grad_unused_input", requires=("grad.allow_unused", "grad.materialize_grads"))
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
