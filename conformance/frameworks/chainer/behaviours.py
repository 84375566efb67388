"""Behaviour cases about Chainer's own API (registered into ``conformance.behaviours``; they
apply to every framework with the capabilities they declare, and to refimpl under its
policy)."""
from ...behaviours.core import behaviour, f32, record_grads, seed_graph


@behaviour("outputs_require_grad", requires=("unchain",))
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


@behaviour("intermediate_grads", "grad_nonscalar_output_default",
           requires=("grad.set_grad", "grad.retain_grad", "grad.grad_inputs"), seed="000")
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
        x, y, z = seed_graph(adapter)
        record(f"{name}.result", list(adapter.grad([z], [x], **option)))
        record_grads(adapter, record, name, x=x, y=y, z=z)
    for name, option in {"preset": {}, "preset_set_grad": {"set_grad": True}}.items():
        x, y, z = seed_graph(adapter)
        adapter.set_grad(x, f32([2, 3, 4]))
        record(f"{name}.result", list(adapter.grad([z], [x], **option)))
        record_grads(adapter, record, name, x=x, y=y, z=z)
