"""refimpl behind the adapter protocol, running every call under one semantics policy."""
import contextlib
import functools

import numpy

from ..base import Adapter, AdapterUnavailable, cuda_version, gpu_info

try:
    import refimpl
except Exception as error:  # noqa: BLE001 - any import failure is a reason to skip
    refimpl = None
    _IMPORT_ERROR = f"refimpl cannot be imported: {type(error).__name__}: {error}"


def _under_policy(method):
    """Run ``method`` with the adapter's policy active."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with refimpl.semantics(self.policy):
            return method(self, *args, **kwargs)
    return wrapper


class RefimplAdapter(Adapter):
    """refimpl under the policy ``semantics`` (a name such as 'chainer5', or a Policy)."""

    name = "refimpl"

    def __init__(self, plugin=None, semantics="torch"):
        super().__init__(plugin)
        if refimpl is None:
            raise AdapterUnavailable(_IMPORT_ERROR)
        self.policy = refimpl.policies.get_policy(semantics)
        self.semantics = self.policy.name
        self.framework = self.policy.framework
        self.version = refimpl.__version__
        self._ops = {}  # name -> the op under the policy: one object per name, so that
        # checks.shared can key a call by the function's identity

    @property
    def features(self):
        """The API features of the framework this adapter's policy models."""
        from .. import features_of_policy
        return features_of_policy(self.semantics)

    def __repr__(self):
        return f"RefimplAdapter(semantics={self.semantics!r})"

    def device_reason(self, device):
        if device == "cuda":
            cupy = refimpl._backend.cupy
            if cupy is None:
                return "refimpl: cupy is not importable (refimpl runs on GPUs through CuPy)"
            try:
                count = cupy.cuda.runtime.getDeviceCount()
            except Exception as error:  # noqa: BLE001 - a CUDA error is a reason to skip
                return f"refimpl: cupy sees no GPU ({type(error).__name__}: {error})"
            return None if count else "refimpl: cupy sees no GPU (device count 0)"
        return super().device_reason(device)

    def device_info(self, device):
        if device == "cuda" and self.device_reason("cuda") is None:
            cupy = refimpl._backend.cupy
            props = cupy.cuda.runtime.getDeviceProperties(0)
            return gpu_info(props["name"].decode(),
                            cuda_runtime=cuda_version(cupy.cuda.runtime.runtimeGetVersion()),
                            cuda_driver=cuda_version(cupy.cuda.runtime.driverGetVersion()),
                            source=f"cupy {cupy.__version__}")
        return super().device_info(device)

    def _constant_on_gpu(self, array):
        return refimpl._backend.cupy.asarray(array)

    def _on_device_of(self, value, array):
        """``array`` (NumPy) on the device of Variable ``value`` (explicit copy to a GPU)."""
        if refimpl._backend.is_cupy_array(value.data):
            return refimpl._backend.cupy.asarray(array)
        return array

    def _extra_ops(self):
        return {"numpy": lambda x: x.numpy(), "unchain": lambda x: x.unchain()}

    def op(self, name):
        if name not in self._ops:
            function = super().op(name)

            @functools.wraps(function)
            def under_policy(*args, **kwargs):
                with refimpl.semantics(self.policy):
                    return function(*args, **kwargs)
            self._ops[name] = under_policy
        return self._ops[name]

    @_under_policy
    def tensor(self, array, requires_grad=False, dtype=None, device="cpu"):
        array = numpy.array(array, dtype=dtype)
        if device == "cuda":
            array = refimpl._backend.cupy.asarray(array)
        if requires_grad is None:
            return refimpl.Variable(array)
        return refimpl.Variable(array, requires_grad=requires_grad)

    def to_numpy(self, value):
        if isinstance(value, refimpl.Variable):
            value = value.data
        if refimpl._backend.is_cupy_array(value):
            return value.get()
        return numpy.array(value)

    def dtype_of(self, value):
        return str(value.dtype)

    def grad_of(self, value):
        return None if value.grad is None else self.to_numpy(value.grad)

    @_under_policy
    def set_grad(self, value, array):
        # as the chainer adapter: the array is cast to the Variable's dtype, on its device
        value.grad = None if array is None else self._on_device_of(
            value, numpy.array(array, dtype=value.dtype))

    def requires_grad(self, value):
        return bool(value.requires_grad)

    def has_graph(self, value):
        return value.creator is not None

    @_under_policy
    def backward(self, output, gradient=None, **options):
        if gradient is not None:
            options["gradient"] = gradient
        return output.backward(**options)

    @_under_policy
    def grad(self, outputs, inputs, grad_outputs=None, **options):
        return refimpl.grad(outputs, inputs, grad_outputs=grad_outputs, **options)

    @_under_policy
    def vjp(self, outputs, inputs, grad_outputs, create_graph=False):
        return list(refimpl.grad(list(outputs), list(inputs), list(grad_outputs),
                                 create_graph=create_graph, retain_graph=True, allow_unused=True))

    @contextlib.contextmanager
    def no_grad(self):
        with refimpl.semantics(self.policy), refimpl.no_grad():
            yield

    @_under_policy
    def detach(self, value):
        return value.detach()

    @_under_policy
    def retain_grad(self, value):
        value.retain_grad()

    # The calls below take the form of the framework the policy models, read from its fields.
    def keep_graph_options(self):
        return {"retain_graph": True} if self.policy.free_graph_after_backward else {}

    def create_graph_options(self):
        return {"create_graph": True}  # refimpl: the same as enable_double_backprop=True

    def seeded_backward(self, output, gradient, keep_graph=False, reseed=True):
        options = self.keep_graph_options() if keep_graph else {}
        if not self.policy.backward_seed_from_output_grad:  # the seed is an argument
            return self.backward(output, gradient=numpy.asarray(gradient), **options)
        if reseed:
            self.set_grad(output, gradient)
        return self.backward(output, **options)

    def retaining_backward(self, output, intermediates, keep_graph=False):
        options = self.keep_graph_options() if keep_graph else {}
        if self.policy.intermediate_grads == "per_tensor":
            for value in intermediates:
                self.retain_grad(value)
            return self.backward(output, **options)
        return self.backward(output, retain_grad=True, **options)

    def clear_grads(self, values):
        for value in values:
            value.cleargrad()

    def zero_grads(self, values):
        for value in values:
            value.zerograd()

    def linear(self, in_size, out_size, device="cpu"):
        """refimpl.nn.Linear made and applied under the adapter's policy, on ``device``."""
        with refimpl.semantics(self.policy):
            from refimpl.nn import Linear
            layer = Linear(in_size, out_size).to_device(device)

        def apply(x):
            with refimpl.semantics(self.policy):
                if not isinstance(x, refimpl.Variable):
                    x = refimpl.Variable(self._on_device_of(layer.weight, numpy.asarray(x)))
                return layer(x)
        return apply, [layer.weight, layer.bias]

    # engine semantics of issue 17
    @_under_policy
    def add_in_place(self, value, array):
        value.add_(self._on_device_of(value, numpy.asarray(array, dtype=value.dtype)))

    @_under_policy
    def assign_grad(self, value, array):
        grad = self._on_device_of(value, numpy.array(array))
        value.grad = grad
        return grad

    def grad_handle(self, value):
        return value.grad

    def grad_strides(self, value):
        grad = value.grad
        return None if grad is None else tuple(s // grad.itemsize for s in grad.strides)

    @contextlib.contextmanager
    def enable_grad(self):
        with refimpl.semantics(self.policy), refimpl.enable_grad():
            yield

    @_under_policy
    def lr_schedule(self, kind, lr, calls, set_lr=None, **hp):
        from .schedules import refimpl_lr_schedule_run
        case = {"kind": kind, "lr": lr, "calls": calls, "set_lr": set_lr, "hyper": hp,
                "policy": self.policy}
        return refimpl_lr_schedule_run(case)["lr"].tolist()

    @_under_policy
    def register_scaling_hook(self, value, factor, seen):
        def hook(grad):
            seen.append(self.to_numpy(grad))
            return grad * factor
        return value.register_hook(hook)

    @contextlib.contextmanager
    def inference_mode(self):
        with refimpl.semantics(self.policy), refimpl.inference_mode():
            yield

    def is_inference(self, value):
        return bool(value._is_inference)

    @_under_policy
    def adam_steps(self, param, grads, lr, beta1, beta2, eps, weight_decay=0):
        param, state, values = numpy.array(param), {}, []
        for grad in grads:
            param, state = refimpl.optimizers.rules.adam_step(
                param, numpy.array(grad, dtype=param.dtype), state, lr, beta1, beta2, eps,
                weight_decay)
            values.append(param)
        return values

    @_under_policy
    def default_optimizer_steps(self, family, param, grads):
        param, state, values = numpy.array(param), {}, []
        for grad in grads:
            param, state = refimpl.optimizers.rules.default_step(
                family, param, numpy.array(grad, dtype=param.dtype), state)
            values.append(param)
        return values

    @_under_policy
    def clip_grad_norm(self, grads, max_norm):
        return refimpl.optimizers.rules.clip_global_norm(
            [numpy.array(grad, dtype=numpy.float64) for grad in grads], max_norm)

    @_under_policy
    def momentum_sgd_steps(self, param, grads, lrs, momentum):
        param, state, values = numpy.array(param), {}, []
        for grad, lr in zip(grads, lrs):
            param, state = refimpl.optimizers.rules.momentum_step(
                param, None if grad is None else numpy.array(grad, dtype=param.dtype), state,
                lr, momentum)
            values.append(param)
        return values
