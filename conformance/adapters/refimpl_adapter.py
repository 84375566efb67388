"""refimpl behind the adapter protocol, running every call under one semantics policy."""
import contextlib
import functools

import numpy

from .base import Adapter, AdapterUnavailable, NotSupported

try:
    import refimpl
    import refimpl.functions as F
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


def _ops():
    """refimpl op name -> callable (adapter-level signatures, shared by all adapters)."""
    return {
        "add": F.add, "sub": F.sub, "mul": F.mul, "div": F.div, "pow": F.pow, "neg": F.neg,
        "exp": F.exp, "log": F.log, "tanh": F.tanh, "sigmoid": F.sigmoid, "relu": F.relu,
        "sum": lambda x, axis=None, keepdims=False: F.sum(x, axis, keepdims),
        "max": lambda x, axis=None, keepdims=False: F.max(x, axis, keepdims),
        "min": lambda x, axis=None, keepdims=False: F.min(x, axis, keepdims),
        "argmax": lambda x, axis=None: F.argmax(x, axis),
        "argmin": lambda x, axis=None: F.argmin(x, axis),
        "concat": lambda xs, axis=None: F.concat(xs, axis),
        "softmax": lambda x, axis=None: F.softmax(x, axis),
        "log_softmax": lambda x, axis=None: F.log_softmax(x, axis),
        "split": lambda x, sections, axis=0: F.split(x, sections, axis),
        "leaky_relu": lambda x, slope=None: F.leaky_relu(x, slope),
        "dot": F.dot, "matmul": F.matmul,
        "getitem": lambda x, key: x[key],
        "topk": lambda x, k: F.topk(x, k),
        "numpy": lambda x: x.numpy(),
        "unchain": lambda x: x.unchain(),
    }


class RefimplAdapter(Adapter):
    """refimpl under the policy ``semantics`` (a name such as 'chainer5', or a Policy)."""

    name = "refimpl"

    def __init__(self, semantics="torch"):
        if refimpl is None:
            raise AdapterUnavailable(_IMPORT_ERROR)
        self.policy = refimpl.policies.get_policy(semantics)
        self.semantics = self.policy.name
        self.framework = self.policy.framework
        self.version = refimpl.__version__
        self._ops = _ops()

    @classmethod
    def for_framework(cls, adapter):
        """refimpl under the policy that models ``adapter``'s framework and version."""
        return cls(adapter.semantics)

    def __repr__(self):
        return f"RefimplAdapter(semantics={self.semantics!r})"

    @_under_policy
    def tensor(self, array, requires_grad=False):
        array = numpy.array(array)
        if requires_grad is None:
            return refimpl.Variable(array)
        return refimpl.Variable(array, requires_grad=requires_grad)

    def to_numpy(self, value):
        if isinstance(value, refimpl.Variable):
            return numpy.array(value.data)
        return numpy.array(value)

    def dtype_of(self, value):
        return str(value.dtype)

    def grad_of(self, value):
        return None if value.grad is None else numpy.array(value.grad)

    @_under_policy
    def set_grad(self, value, array):
        value.grad = None if array is None else numpy.array(array)

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
    def call(self, op, *args, **kwargs):
        try:
            function = self._ops[op]
        except KeyError:
            raise NotSupported(f"refimpl adapter has no op {op!r}") from None
        return function(*args, **kwargs)

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

    def clear_grads(self, values):
        for value in values:
            value.cleargrad()

    def zero_grads(self, values):
        for value in values:
            value.zerograd()

    def linear(self, in_size, out_size):
        raise NotSupported("refimpl has no layers yet (policy field fresh_parameter_grad is "
                           "documented but not modelled)")
