"""MyGrad behind the harness's adapter protocol (NumPy arrays on the CPU only).

MyGrad's engine in the protocol's terms: a float tensor requires grad unless made with
``constant=True`` (integer tensors are always constants); ``Tensor.backward(grad=None)`` is
the only way to differentiate (no functional ``grad()``); backward of a non-scalar output
seeds ones; every non-constant tensor of the graph gets ``.grad`` (a NumPy array, never a
Tensor, so there is no double backprop); backward then clears the graph; a tensor's
``.grad`` is cleared when the tensor takes part in a new operation; ``.grad`` has no
setter (``null_grad()`` clears it).
"""
import numpy

from conformance.frameworks.base import Adapter, AdapterUnavailable, NotSupported


class MyGradAdapter(Adapter):
    """mygrad; ops are the functions of ``conformance_mygrad.ops``.

    Self-contained (no module-level helper or constant): a scenario repro script pastes this
    class alone."""

    name = "mygrad"
    framework = "mygrad"
    NO_KEEP_GRAPH = ("mygrad 2.5.0 backward always clears the graph it went through (no "
                     "retain_graph option): a backward cannot be repeated on the same graph")

    def __init__(self, plugin=None):
        super().__init__(plugin)
        try:
            import mygrad
            import mygrad.nnet
        except Exception as error:  # noqa: BLE001 - any import failure is a reason to skip
            raise AdapterUnavailable(
                f"mygrad cannot be imported: {type(error).__name__}: {error}") from None
        self.mygrad = mygrad
        self.version = self.mygrad.__version__
        self.semantics = plugin.policy_for(self.version) if plugin is not None else None

    # CPU only: Adapter.device_reason already says "mygrad adapter has no cuda support".

    def _extra_ops(self):
        return {"numpy": lambda x: x.data}

    def tensor(self, array, requires_grad=False, dtype=None, device="cpu"):
        if device != "cpu":
            raise NotSupported(f"mygrad adapter has no {device} support")
        array = numpy.array(array, dtype=dtype)
        if requires_grad is None:
            return self.mygrad.tensor(array)
        return self.mygrad.tensor(array, constant=not requires_grad)

    def to_numpy(self, value):
        if isinstance(value, self.mygrad.Tensor):
            return numpy.array(value.data)
        return numpy.array(value)

    def dtype_of(self, value):
        return str(numpy.dtype(value.dtype))

    def grad_of(self, value):
        grad = getattr(value, "grad", None)
        return None if grad is None else numpy.array(grad)

    def set_grad(self, value, array):
        if array is None:
            value.null_grad()
            return
        raise NotSupported("mygrad Tensor.grad has no setter (only null_grad() clears it)")

    def requires_grad(self, value):
        """False for what is not a Tensor (``mygrad.argmax`` gives a NumPy integer)."""
        return isinstance(value, self.mygrad.Tensor) and not value.constant

    def has_graph(self, value):
        return isinstance(value, self.mygrad.Tensor) and value.creator is not None

    def backward(self, output, gradient=None, **options):
        """``output.backward(grad)``; MyGrad's backward takes no other option, so one given
        (``retain_graph``, ``create_graph``, ...) is passed on for MyGrad to refuse."""
        if gradient is not None:
            options["grad"] = numpy.asarray(gradient)
        return output.backward(**options)

    def grad(self, outputs, inputs, grad_outputs=None, **options):
        raise NotSupported("mygrad 2.5.0 has no functional grad(): only Tensor.backward")

    def vjp(self, outputs, inputs, grad_outputs, create_graph=False):
        """One backward of ``sum_k sum(y_k * g_k)`` (MyGrad has no ``grad()``; the backward
        clears the graph, as every MyGrad backward does, and sets ``.grad`` of the inputs):
        the inputs' grads, as constant tensors (None where unused)."""
        if create_graph:
            raise NotSupported("mygrad 2.5.0 has no double backprop: gradients are NumPy "
                               "arrays without a graph")
        mygrad = self.mygrad
        total = None
        for y, g in zip(outputs, grad_outputs):
            weight = g.data if isinstance(g, mygrad.Tensor) else numpy.asarray(g)
            term = mygrad.sum(mygrad.multiply(y, mygrad.tensor(weight, constant=True)))
            total = term if total is None else mygrad.add(total, term)
        for x in inputs:
            x.null_grad()
        total.backward()
        return [None if x.grad is None else mygrad.tensor(numpy.array(x.grad), constant=True)
                for x in inputs]

    def keep_graph_options(self):
        raise NotSupported(self.NO_KEEP_GRAPH)

    def retaining_backward(self, output, intermediates, keep_graph=False):
        """``output.backward()``: MyGrad keeps the grad of every non-constant intermediate of
        every backward, with no option; it cannot keep the graph for another backward."""
        if keep_graph:
            raise NotSupported(self.NO_KEEP_GRAPH)
        return output.backward()

    def no_grad(self):
        return self.mygrad.no_autodiff

    def detach(self, value):
        raise NotSupported("mygrad Tensor has no detach (mygrad.tensor(x, constant=True) "
                           "copies)")

    def clear_grads(self, values):
        for value in values:
            value.null_grad()

    def zero_grads(self, values):
        raise NotSupported("mygrad has no way to set a grad to zeros (Tensor.grad has no "
                           "setter; null_grad() sets None)")
