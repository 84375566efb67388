"""PyTorch behind the adapter protocol (CPU, and CUDA when torch sees a GPU)."""
import numpy

from ..base import Adapter, AdapterUnavailable, cuda_version, gpu_info


def _import_torch():
    try:
        import torch
        import torch.nn.functional
    except Exception as error:  # noqa: BLE001 - any import failure is a reason to skip
        raise AdapterUnavailable(f"torch cannot be imported: {type(error).__name__}: {error}") from None
    return torch


class TorchAdapter(Adapter):
    """torch; ops are the functions of ``conformance.frameworks.torch.ops``."""

    name = "torch"
    framework = "torch"

    def __init__(self, plugin=None):
        super().__init__(plugin)
        self.torch = _import_torch()
        self.version = self.torch.__version__.split("+")[0]
        self.build = self.torch.__version__
        self.semantics = plugin.policy_for(self.version) if plugin is not None else None
        # TF32 is a reduced-precision mode of float32 matmuls and convolutions on Ampere and
        # later GPUs, and torch's cuDNN convolutions use it by default (cudnn.allow_tf32).
        # Cells compare float32 at float32's tolerance (refimpl's CuPy GEMMs are true float32:
        # CUPY_TF32 is off by default), so the harness turns it off: a TF32 difference is a
        # precision setting, not an autograd one. No effect on the CPU.
        self.torch.backends.cudnn.allow_tf32 = False
        self.torch.backends.cuda.matmul.allow_tf32 = False

    def device_reason(self, device):
        if device == "cuda":
            if not self.torch.cuda.is_available():
                return (f"torch {self.build}: torch.cuda.is_available() is False "
                        f"(CUDA build: {self.torch.version.cuda or 'no'})")
            return None
        return super().device_reason(device)

    def device_info(self, device):
        if device == "cuda" and self.device_reason("cuda") is None:
            try:  # private, present in recent torch; the header can do without it
                driver = cuda_version(self.torch._C._cuda_getDriverVersion())
            except Exception:  # noqa: BLE001
                driver = None
            return gpu_info(self.torch.cuda.get_device_name(0),
                            cuda_runtime=self.torch.version.cuda, cuda_driver=driver,
                            source=f"torch {self.build}")
        return super().device_info(device)

    def _constant_on_gpu(self, array):
        return self.torch.as_tensor(array.copy(), device="cuda")

    def _extra_ops(self):
        return {"numpy": lambda x: x.numpy()}

    def _as_tensor(self, value, like=None):
        """A NumPy array given where torch needs a tensor, converted (dtype/device of ``like``)."""
        if isinstance(value, numpy.ndarray):
            tensor = self.torch.from_numpy(value.copy())
            return tensor.to(dtype=like.dtype, device=like.device) if like is not None else tensor
        return value

    def tensor(self, array, requires_grad=False, dtype=None, device="cpu"):
        array = numpy.array(array, dtype=dtype)
        device = "cuda" if device == "cuda" else "cpu"
        if requires_grad is None:
            return self.torch.tensor(array, device=device)
        return self.torch.tensor(array, requires_grad=requires_grad, device=device)

    def to_numpy(self, value):
        if isinstance(value, self.torch.Tensor):
            return value.detach().cpu().numpy(force=True).copy()  # force: ZeroTensors too
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

    def vjp(self, outputs, inputs, grad_outputs, create_graph=False):
        return list(self.grad(list(outputs), list(inputs), list(grad_outputs),
                              create_graph=create_graph, retain_graph=True, allow_unused=True))

    def no_grad(self):
        return self.torch.no_grad()

    def detach(self, value):
        return value.detach()

    def retain_grad(self, value):
        value.retain_grad()

    def keep_graph_options(self):
        return {"retain_graph": True}

    def create_graph_options(self):
        return {"create_graph": True}

    def seeded_backward(self, output, gradient, keep_graph=False, reseed=True):
        # stated here, not inherited: a repro script pastes this class without the base
        options = self.keep_graph_options() if keep_graph else {}
        return self.backward(output, gradient=numpy.asarray(gradient), **options)

    def retaining_backward(self, output, intermediates, keep_graph=False):
        for value in intermediates:
            value.retain_grad()
        return self.backward(output, **(self.keep_graph_options() if keep_graph else {}))

    def clear_grads(self, values):
        self.torch.optim.SGD(list(values), lr=0.0).zero_grad()  # set_to_none=True since 2.0

    def zero_grads(self, values):
        self.torch.optim.SGD(list(values), lr=0.0).zero_grad(set_to_none=False)

    def linear(self, in_size, out_size, device="cpu"):
        layer = self.torch.nn.Linear(in_size, out_size).to("cuda" if device == "cuda" else "cpu")
        return ((lambda x: layer(self._as_tensor(x, like=layer.weight))),
                [layer.weight, layer.bias])

    # engine semantics of issue 17
    def add_in_place(self, value, array):
        with self.torch.no_grad():
            value.add_(self._as_tensor(numpy.asarray(array), like=value))

    def assign_grad(self, value, array):
        grad = self.torch.from_numpy(numpy.array(array)).to(value.device)
        value.grad = grad
        return grad

    def grad_handle(self, value):
        return value.grad

    def grad_strides(self, value):
        return None if value.grad is None else tuple(value.grad.stride())

    def enable_grad(self):
        return self.torch.enable_grad()

    def lr_schedule(self, kind, lr, calls, set_lr=None, **hp):
        from .schedules import torch_lr_schedule_run
        case = {"kind": kind, "lr": lr, "calls": calls, "set_lr": set_lr, "hyper": hp}
        return torch_lr_schedule_run(case)["lr"].tolist()

    def register_scaling_hook(self, value, factor, seen):
        def hook(grad):
            seen.append(self.to_numpy(grad))
            return grad * factor
        return value.register_hook(hook)

    def inference_mode(self):
        return self.torch.inference_mode()

    def is_inference(self, value):
        return bool(value.is_inference())

    def adam_steps(self, param, grads, lr, beta1, beta2, eps, weight_decay=0):
        p = self.torch.tensor(numpy.array(param), requires_grad=True)
        optimizer = self.torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps,
                                          weight_decay=weight_decay)
        values = []
        for grad in grads:
            p.grad = self.torch.tensor(numpy.array(grad, dtype=param.dtype))
            optimizer.step()
            values.append(self.to_numpy(p))
        return values

    def default_optimizer_steps(self, family, param, grads):
        p = self.torch.tensor(numpy.array(param), requires_grad=True)
        name = {"sgd": "SGD", "adagrad": "Adagrad", "adadelta": "Adadelta"}[family]
        optimizer = getattr(self.torch.optim, name)([p])
        values = []
        for grad in grads:
            p.grad = self.torch.tensor(numpy.array(grad, dtype=param.dtype))
            optimizer.step()
            values.append(self.to_numpy(p))
        return values

    def clip_grad_norm(self, grads, max_norm):
        params = []
        for grad in grads:
            param = self.torch.zeros(grad.shape, dtype=self.torch.float64, requires_grad=True)
            param.grad = self.torch.tensor(numpy.array(grad, dtype=numpy.float64))
            params.append(param)
        self.torch.nn.utils.clip_grad_norm_(params, max_norm)
        return [self.to_numpy(param.grad) for param in params]

    def momentum_sgd_steps(self, param, grads, lrs, momentum):
        p = self.torch.tensor(numpy.array(param), requires_grad=True)
        optimizer = self.torch.optim.SGD([p], lr=lrs[0], momentum=momentum)
        values = []
        for grad, lr in zip(grads, lrs):
            optimizer.param_groups[0]["lr"] = lr
            p.grad = None if grad is None else self.torch.tensor(numpy.array(grad,
                                                                             dtype=param.dtype))
            optimizer.step()
            values.append(self.to_numpy(p))
        return values
