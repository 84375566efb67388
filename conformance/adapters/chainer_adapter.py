"""Chainer (CPU, NumPy arrays) behind the adapter protocol."""
import warnings

import numpy

from .base import Adapter, AdapterUnavailable, NotSupported, semantics_for


def _import_chainer():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pkg_resources / numpy.distutils noise at import
            import chainer
            import chainer.functions
            import chainer.links
    except Exception as error:  # noqa: BLE001 - any import failure is a reason to skip
        raise AdapterUnavailable(f"chainer cannot be imported: {type(error).__name__}: {error}") from None
    return chainer


class ChainerAdapter(Adapter):
    """chainer on the CPU; ops map refimpl names to chainer.functions."""

    name = "chainer"
    framework = "chainer"

    def __init__(self):
        chainer = self.chainer = _import_chainer()
        self.version = chainer.__version__
        self.semantics = semantics_for("chainer", self.version)
        F = chainer.functions

        def with_axis(function, name="axis"):
            def run(x, axis=None):
                return function(x) if axis is None else function(x, **{name: axis})
            return run

        self._ops = {
            "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "neg": lambda x: -x,
            "exp": F.exp, "log": F.log, "tanh": F.tanh, "sigmoid": F.sigmoid, "relu": F.relu,
            "sum": lambda x, axis=None, keepdims=False: F.sum(x, axis=axis, keepdims=keepdims),
            "max": lambda x, axis=None, keepdims=False: F.max(x, axis=axis, keepdims=keepdims),
            "min": lambda x, axis=None, keepdims=False: F.min(x, axis=axis, keepdims=keepdims),
            "argmax": with_axis(F.argmax), "argmin": with_axis(F.argmin),
            "concat": lambda xs, axis=None: F.concat(xs) if axis is None else F.concat(xs, axis=axis),
            "softmax": with_axis(F.softmax), "log_softmax": with_axis(F.log_softmax),
            "split": lambda x, sections, axis=0: F.split_axis(x, sections, axis),
            "leaky_relu": lambda x, slope=None: F.leaky_relu(x) if slope is None else F.leaky_relu(x, slope=slope),
            "dot": F.matmul, "matmul": F.matmul,
            "getitem": lambda x, key: x[key],
            "unchain": lambda x: x.unchain(),
        }

    def tensor(self, array, requires_grad=False):
        array = numpy.array(array)
        if requires_grad is None:
            return self.chainer.Variable(array)
        return self.chainer.Variable(array, requires_grad=requires_grad)

    def to_numpy(self, value):
        if isinstance(value, self.chainer.Variable):
            return numpy.array(value.array)
        return numpy.array(value)

    def dtype_of(self, value):
        return str(value.dtype)

    def grad_of(self, value):
        grad = value.grad
        return None if grad is None else numpy.array(grad)

    def set_grad(self, value, array):
        value.grad = None if array is None else numpy.array(array, dtype=value.dtype)

    def requires_grad(self, value):
        return bool(value.requires_grad)

    def has_graph(self, value):
        return value.creator is not None

    def backward(self, output, gradient=None, **options):
        if gradient is not None:  # chainer has no such argument: let it say so
            options["gradient"] = gradient
        return output.backward(**options)

    def grad(self, outputs, inputs, grad_outputs=None, **options):
        return self.chainer.grad(outputs, inputs, grad_outputs=grad_outputs, **options)

    def call(self, op, *args, **kwargs):
        try:
            function = self._ops[op]
        except KeyError:
            raise NotSupported(f"chainer has no counterpart of op {op!r}") from None
        return function(*args, **kwargs)

    def no_grad(self):
        return self.chainer.no_backprop_mode()

    def detach(self, value):
        raise NotSupported("chainer.Variable has no detach (see unchain)")

    def clear_grads(self, values):
        for value in values:
            value.cleargrad()

    def zero_grads(self, values):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # zerograd is deprecated in 7.x
            for value in values:
                value.zerograd()

    def linear(self, in_size, out_size):
        layer = self.chainer.links.Linear(in_size, out_size)
        return layer, [layer.W, layer.b]
