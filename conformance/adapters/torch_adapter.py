"""PyTorch (CPU) behind the adapter protocol."""
import numpy

from .base import Adapter, AdapterUnavailable, NotSupported


def _import_torch():
    try:
        import torch
        import torch.nn.functional
    except Exception as error:  # noqa: BLE001 - any import failure is a reason to skip
        raise AdapterUnavailable(f"torch cannot be imported: {type(error).__name__}: {error}") from None
    return torch


def _pair(result):
    """torch.return_types.* (values, indices) as a plain tuple."""
    return tuple(result)


class TorchAdapter(Adapter):
    """torch on the CPU; ops map refimpl names to torch functions."""

    name = "torch"
    framework = "torch"
    semantics = "torch"

    def __init__(self):
        torch = self.torch = _import_torch()
        self.version = torch.__version__.split("+")[0]
        self.build = torch.__version__
        functional = torch.nn.functional

        def reduce(function):
            def run(x, axis=None, keepdims=False):
                if axis is None:
                    return function(x)
                return _pair(function(x, dim=axis, keepdim=keepdims))
            return run

        self._ops = {
            "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "neg": lambda x: -x,
            "exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "relu": torch.relu,
            "sum": lambda x, axis=None, keepdims=False: (
                torch.sum(x) if axis is None else torch.sum(x, dim=axis, keepdim=keepdims)),
            "max": reduce(torch.max),
            "min": reduce(torch.min),
            "argmax": lambda x, axis=None: torch.argmax(x) if axis is None else torch.argmax(x, dim=axis),
            "argmin": lambda x, axis=None: torch.argmin(x) if axis is None else torch.argmin(x, dim=axis),
            "concat": lambda xs, axis=None: torch.cat(xs) if axis is None else torch.cat(xs, dim=axis),
            "softmax": lambda x, axis=None: (
                functional.softmax(x) if axis is None else functional.softmax(x, dim=axis)),
            "log_softmax": lambda x, axis=None: (
                functional.log_softmax(x) if axis is None else functional.log_softmax(x, dim=axis)),
            "split": lambda x, sections, axis=0: torch.split(x, sections, dim=axis),
            "leaky_relu": lambda x, slope=None: (
                functional.leaky_relu(x) if slope is None else functional.leaky_relu(x, negative_slope=slope)),
            "dot": torch.dot, "matmul": torch.matmul,
            "getitem": lambda x, key: x[self._index(key)],
            "topk": lambda x, k: _pair(torch.topk(x, k)),
            "numpy": lambda x: x.numpy(),
        }

    def _index(self, key):
        return self.torch.as_tensor(key) if isinstance(key, numpy.ndarray) else key

    def _as_tensor(self, value, like=None):
        """A NumPy array given where torch needs a tensor, converted (dtype of ``like``)."""
        if isinstance(value, numpy.ndarray):
            tensor = self.torch.from_numpy(value.copy())
            return tensor.to(like.dtype) if like is not None else tensor
        return value

    def tensor(self, array, requires_grad=False):
        array = numpy.array(array)
        if requires_grad is None:
            return self.torch.tensor(array)
        return self.torch.tensor(array, requires_grad=requires_grad)

    def to_numpy(self, value):
        if isinstance(value, self.torch.Tensor):
            return value.detach().cpu().numpy().copy()
        return numpy.array(value)

    def dtype_of(self, value):
        return str(value.dtype).replace("torch.", "")

    def grad_of(self, value):
        grad = value.grad
        return None if grad is None else self.to_numpy(grad)

    def set_grad(self, value, array):
        value.grad = None if array is None else self._as_tensor(numpy.asarray(array), like=value)

    def requires_grad(self, value):
        return bool(value.requires_grad)

    def has_graph(self, value):
        return value.grad_fn is not None

    def backward(self, output, gradient=None, **options):
        return output.backward(gradient=self._as_tensor(gradient, like=output), **options)

    def grad(self, outputs, inputs, grad_outputs=None, **options):
        if grad_outputs is not None:
            grad_outputs = [self._as_tensor(g, like=y) for g, y in zip(grad_outputs, outputs)]
        return self.torch.autograd.grad(outputs, inputs, grad_outputs=grad_outputs, **options)

    def call(self, op, *args, **kwargs):
        try:
            function = self._ops[op]
        except KeyError:
            raise NotSupported(f"torch adapter has no op {op!r}") from None
        return function(*args, **kwargs)

    def no_grad(self):
        return self.torch.no_grad()

    def detach(self, value):
        return value.detach()

    def retain_grad(self, value):
        value.retain_grad()

    def clear_grads(self, values):
        self.torch.optim.SGD(list(values), lr=0.0).zero_grad()  # set_to_none=True since 2.0

    def zero_grads(self, values):
        self.torch.optim.SGD(list(values), lr=0.0).zero_grad(set_to_none=False)

    def linear(self, in_size, out_size):
        layer = self.torch.nn.Linear(in_size, out_size)
        return (lambda x: layer(self._as_tensor(x))), [layer.weight, layer.bias]
