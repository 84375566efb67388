"""Chainer behind the adapter protocol (NumPy arrays on the CPU, CuPy arrays on a GPU)."""
import warnings

import numpy

from ..base import Adapter, AdapterUnavailable, NotSupported, cuda_version, gpu_info

#: The CuPy major version chainer 7.x was made for (``chainer._version``: cupy>=7.7,<8).
CUPY_MAJOR_FOR_CHAINER7 = 7


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
    """chainer; ops are the functions of ``conformance.frameworks.chainer.ops``."""

    name = "chainer"
    framework = "chainer"

    def __init__(self, plugin=None):
        super().__init__(plugin)
        self.chainer = _import_chainer()
        self.version = self.chainer.__version__
        self.semantics = plugin.policy_for(self.version) if plugin is not None else None

    def device_reason(self, device):
        if device == "cuda":
            return self._cuda_reason()
        return super().device_reason(device)

    def _cuda_reason(self):
        """Why chainer cannot use the GPU here (None: it can), as precisely as chainer says:
        ``chainer.backends.cuda.available`` is False when importing cupy (or cupyx) failed,
        and chainer keeps that exception."""
        cuda = self.chainer.backends.cuda
        if not cuda.available:
            error = getattr(cuda, "_resolution_error", None)
            cause = f"{type(error).__name__}: {error}" if error is not None else "unknown"
            return (f"chainer {self.version}: chainer.backends.cuda.available is False: "
                    f"importing cupy failed ({cause}); chainer {self.version} asks for cupy "
                    f"{CUPY_MAJOR_FOR_CHAINER7}.x")
        cupy = cuda.cupy
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as error:  # noqa: BLE001 - no driver, no device: a reason to skip
            return (f"chainer {self.version} with cupy {cupy.__version__}: cupy sees no GPU "
                    f"({type(error).__name__}: {error})")
        return None if count else f"chainer {self.version}: cupy sees no GPU (device count 0)"

    def device_info(self, device):
        if device == "cuda" and self.device_reason("cuda") is None:
            cupy = self.chainer.backends.cuda.cupy
            props = cupy.cuda.runtime.getDeviceProperties(0)
            return gpu_info(props["name"].decode(),
                            cuda_runtime=cuda_version(cupy.cuda.runtime.runtimeGetVersion()),
                            cuda_driver=cuda_version(cupy.cuda.runtime.driverGetVersion()),
                            source=f"chainer {self.version} with cupy {cupy.__version__}")
        return super().device_info(device)

    def _constant_on_gpu(self, array):
        return self.chainer.backends.cuda.to_gpu(array)

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

    def keep_graph_options(self):
        return {}  # chainer keeps every graph until it is unchained or collected

    def create_graph_options(self):
        return {"enable_double_backprop": True}

    def seeded_backward(self, output, gradient, keep_graph=False, reseed=True):
        if reseed:
            self.set_grad(output, gradient)
        return output.backward()

    def retaining_backward(self, output, intermediates, keep_graph=False):
        return output.backward(retain_grad=True)

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

    def linear(self, in_size, out_size, device="cpu"):
        layer = self.chainer.links.Linear(in_size, out_size)
        if device == "cuda":
            layer.to_gpu()
        return layer, [layer.W, layer.b]

    # engine semantics of issue 17
    def _on_device_of(self, value, array):
        array = numpy.array(array)
        return array if isinstance(value.array, numpy.ndarray) else \
            self.chainer.backends.cuda.to_gpu(array)

    def add_in_place(self, value, array):
        value.array += self._on_device_of(value, numpy.asarray(array, dtype=value.dtype))

    def assign_grad(self, value, array):
        grad = self._on_device_of(value, array)
        value.grad = grad
        return grad

    def grad_handle(self, value):
        return value.grad

    def grad_strides(self, value):
        grad = value.grad
        return None if grad is None else tuple(s // grad.itemsize for s in grad.strides)

    def enable_grad(self):
        return self.chainer.force_backprop_mode()

    def lr_schedule(self, kind, lr, calls, set_lr=None, **hp):
        from .schedules import chainer_lr_schedule_run  # a stand-in trainer drives them
        case = {"kind": kind, "lr": lr, "calls": calls, "set_lr": set_lr, "hyper": hp}
        return chainer_lr_schedule_run(case)["lr"].tolist()

    def register_scaling_hook(self, value, factor, seen):
        raise NotSupported(f"chainer {self.version}'s Variable has no register_hook (its "
                           f"FunctionHook objects observe function calls and cannot replace a "
                           f"gradient)")

    def inference_mode(self):
        raise NotSupported(f"chainer {self.version} has no inference mode "
                           f"(chainer.no_backprop_mode() is its no_grad)")

    def adam_steps(self, param, grads, lr, beta1, beta2, eps, weight_decay=0):
        link = self.chainer.Link()
        with link.init_scope():
            link.p = self.chainer.Parameter(numpy.array(param))
        optimizer = self.chainer.optimizers.Adam(alpha=lr, beta1=beta1, beta2=beta2, eps=eps,
                                                 weight_decay_rate=weight_decay)
        optimizer.setup(link)
        values = []
        for grad in grads:
            link.p.grad = numpy.array(grad, dtype=param.dtype)
            optimizer.update()
            values.append(self.to_numpy(link.p))
        return values

    def default_optimizer_steps(self, family, param, grads):
        link = self.chainer.Link()
        with link.init_scope():
            link.p = self.chainer.Parameter(numpy.array(param))
        name = {"sgd": "SGD", "adagrad": "AdaGrad", "adadelta": "AdaDelta"}[family]
        optimizer = getattr(self.chainer.optimizers, name)()
        optimizer.setup(link)
        values = []
        for grad in grads:
            link.p.grad = numpy.array(grad, dtype=param.dtype)
            optimizer.update()
            values.append(self.to_numpy(link.p))
        return values

    def clip_grad_norm(self, grads, max_norm):
        """The GradientClipping hook run by an update of SGD(lr=0) (it clips the grads in
        place before the update, which changes nothing)."""
        import chainer.optimizer_hooks
        link = self.chainer.Link()
        with link.init_scope():
            for index, grad in enumerate(grads):
                setattr(link, f"p{index}", self.chainer.Parameter(
                    numpy.zeros(grad.shape, dtype=numpy.float64)))
        optimizer = self.chainer.optimizers.SGD(lr=0.0)
        optimizer.setup(link)
        optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(max_norm))
        params = [getattr(link, f"p{index}") for index in range(len(grads))]
        for param, grad in zip(params, grads):
            param.grad = numpy.array(grad, dtype=numpy.float64)
        optimizer.update()
        return [self.to_numpy(param.grad) for param in params]

    def momentum_sgd_steps(self, param, grads, lrs, momentum):
        link = self.chainer.Link()
        with link.init_scope():
            link.p = self.chainer.Parameter(numpy.array(param))
        optimizer = self.chainer.optimizers.MomentumSGD(lr=lrs[0], momentum=momentum)
        optimizer.setup(link)
        values = []
        for grad, lr in zip(grads, lrs):
            optimizer.lr = lr
            link.p.grad = None if grad is None else numpy.array(grad, dtype=param.dtype)
            optimizer.update()
            values.append(self.to_numpy(link.p))
        return values
