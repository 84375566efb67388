"""Chainer behind the adapter protocol (NumPy arrays on the CPU, CuPy arrays on a GPU)."""
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
    """chainer; ops are the functions of ``conformance.counterparts.chainer_ops``."""

    name = "chainer"
    framework = "chainer"

    def __init__(self):
        self.chainer = _import_chainer()
        self.version = self.chainer.__version__
        self.semantics = semantics_for("chainer", self.version)

    def device_reason(self, device):
        if device == "cuda":
            cuda = self.chainer.backends.cuda
            if not cuda.available:
                return f"chainer {self.version}: cupy is not importable or sees no GPU " \
                       f"(chainer.backends.cuda.available is False)"
            return None
        return super().device_reason(device)

    def device_info(self, device):
        if device == "cuda" and self.device_reason("cuda") is None:
            cupy = self.chainer.backends.cuda.cupy
            props = cupy.cuda.runtime.getDeviceProperties(0)
            return {"model": props["name"].decode(),
                    "driver": f"CUDA driver {cupy.cuda.runtime.driverGetVersion()}"}
        return super().device_info(device)

    def _extra_ops(self):
        return {"unchain": lambda x: x.unchain()}

    def tensor(self, array, requires_grad=False, dtype=None, device="cpu"):
        array = numpy.array(array, dtype=dtype)
        if device == "cuda":
            array = self.chainer.backends.cuda.to_gpu(array)
        if requires_grad is None:
            return self.chainer.Variable(array)
        return self.chainer.Variable(array, requires_grad=requires_grad)

    def to_numpy(self, value):
        if isinstance(value, self.chainer.Variable):
            value = value.array
        return numpy.array(self.chainer.backends.cuda.to_cpu(value))

    def dtype_of(self, value):
        return str(value.dtype)

    def grad_of(self, value):
        grad = value.grad
        return None if grad is None else self.to_numpy(grad)

    def set_grad(self, value, array):
        if array is None:
            value.grad = None
            return
        array = numpy.array(array, dtype=value.dtype)
        if not isinstance(value.array, numpy.ndarray):
            array = self.chainer.backends.cuda.to_gpu(array)
        value.grad = array

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

    def vjp(self, outputs, inputs, grad_outputs, create_graph=False):
        return list(self.grad(list(outputs), list(inputs), list(grad_outputs),
                              enable_double_backprop=create_graph))

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
