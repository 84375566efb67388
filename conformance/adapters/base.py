"""The adapter protocol and how behaviours are observed and compared."""
import dataclasses
import math
import platform
import shutil
import subprocess
import warnings

import numpy


DEVICES = ("cpu", "cuda")


def cpu_model():
    """The CPU's model name (Linux /proc/cpuinfo), or platform.processor()."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def nvidia_smi():
    """{'model', 'driver'} of GPU 0 from ``nvidia-smi`` (the driver's own version, e.g.
    '580.65.06'), or {} where there is no nvidia-smi or it fails."""
    if shutil.which("nvidia-smi") is None:
        return {}
    try:
        text = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version",
                               "--format=csv,noheader"], capture_output=True, text=True,
                              timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    first = text.strip().splitlines()[0] if text.strip() else ""
    name, _, driver = first.rpartition(",")
    return {"model": name.strip(), "driver": driver.strip()} if name else {}


def cuda_version(number):
    """A CUDA version number (CuPy's runtimeGetVersion/driverGetVersion: 1000 major + 10
    minor, e.g. 12040) as text ('12.4'); None stays None."""
    if number is None:
        return None
    return f"{int(number) // 1000}.{int(number) % 1000 // 10}"


def gpu_info(model=None, cuda_runtime=None, cuda_driver=None, **extra):
    """The run header's description of GPU 0: ``model``, ``driver`` (nvidia-smi's driver
    version, else the highest CUDA version the driver supports), the CUDA runtime the
    framework uses and the CUDA version of the driver's API."""
    smi = nvidia_smi()
    info = {"model": smi.get("model") or model,
            "driver": smi.get("driver") or (f"CUDA driver API {cuda_driver}" if cuda_driver
                                            else None),
            "cuda_runtime": cuda_runtime, "cuda_driver": cuda_driver}
    info.update(extra)
    return info


class AdapterUnavailable(RuntimeError):
    """The framework cannot be used here; the message is the reason for skip cells."""


class NotSupported(Exception):
    """The adapter cannot express what a case asks (e.g. refimpl has no layers yet).

    ``observe`` lets it through, so the harness records a skip cell with this reason instead
    of comparing an exception the framework never raised.
    """


class Adapter:
    """What the harness needs from a framework. Arrays in and out are NumPy arrays.

    Attributes: ``name`` ('refimpl', 'torch', 'chainer'), ``version``, ``semantics`` (the
    policy name refimpl uses to model this framework), ``framework`` (whose API a case must
    use where the frameworks' APIs differ: 'torch' or 'chainer'; for refimpl, the framework
    its policy models).
    """

    name = "?"
    version = "?"
    semantics = "?"
    framework = "?"

    # --- devices ----------------------------------------------------------------------
    def devices(self):
        """The devices this adapter can use here: 'cpu', plus 'cuda' when there is a GPU."""
        return [device for device in DEVICES if self.device_reason(device) is None]

    def device_reason(self, device):
        """None when ``device`` is usable, else why not (the reason of skip cells)."""
        if device == "cpu":
            return None
        if device not in DEVICES:
            return f"unknown device {device!r}; known: {', '.join(DEVICES)}"
        return f"{self.name} adapter has no {device} support"

    def device_info(self, device):
        """{'model': ..., 'driver': ...} of ``device`` (for the run header); a GPU also
        gives 'cuda_runtime' and 'cuda_driver' (``gpu_info``)."""
        if device == "cpu":
            return {"model": cpu_model(), "driver": None}
        return {"model": None, "driver": None}

    def constant(self, array, device="cpu"):
        """A NumPy array that is an argument but not a differentiated input (an index array,
        a mask, labels, class weights) as the framework takes it on ``device``: the array
        itself on the CPU; on 'cuda' a copy on the GPU (torch tensor, CuPy array), so that
        no framework sees host and device data mixed in one call. Tuples and lists (e.g. an
        index key) are converted element by element; other values pass through."""
        if isinstance(array, tuple):
            return tuple(self.constant(a, device) for a in array)
        if isinstance(array, list):
            return [self.constant(a, device) for a in array]
        if device == "cpu" or not isinstance(array, numpy.ndarray):
            return array
        return self._constant_on_gpu(array)

    def _constant_on_gpu(self, array):
        raise NotSupported(f"{self.name} adapter has no cuda arrays")

    # --- tensors ------------------------------------------------------------------------
    def tensor(self, array, requires_grad=False, dtype=None, device="cpu"):
        """A framework tensor/Variable holding a copy of ``array`` (cast to ``dtype`` when
        given) on ``device``.

        ``requires_grad=None`` passes no ``requires_grad`` at all (the framework's default).
        """
        raise NotImplementedError

    def to_numpy(self, value):
        """A NumPy copy of a tensor's data (no graph)."""
        raise NotImplementedError

    def dtype_of(self, value):
        """The NumPy name of a tensor's dtype ('float32', 'int64', ...)."""
        raise NotImplementedError

    def grad_of(self, value):
        """``value.grad`` as a NumPy array, or None."""
        raise NotImplementedError

    def set_grad(self, value, array):
        """Assign ``value.grad`` (``array`` is a NumPy array or None)."""
        raise NotImplementedError

    def requires_grad(self, value):
        raise NotImplementedError

    def has_graph(self, value):
        """Whether ``value`` was produced by a recorded op (grad_fn / creator)."""
        raise NotImplementedError

    def backward(self, output, gradient=None, **options):
        """``output.backward(...)``; ``options`` keep the framework's own argument names."""
        raise NotImplementedError

    def grad(self, outputs, inputs, grad_outputs=None, **options):
        """The framework's ``grad`` function; returns its own container (tuple or list)."""
        raise NotImplementedError

    def call(self, op, *args, **kwargs):
        """Run the framework's counterpart of refimpl op ``op`` (refimpl's signature; see
        ``conformance.counterparts``). Raises ``NotSupported`` for an op the framework lacks."""
        return self.op(op)(*args, **kwargs)

    def op(self, name):
        """The framework's counterpart of refimpl op (or registry subject) ``name``: a
        function with refimpl's signature. Raises ``NotSupported`` with the registry's reason
        when the framework lacks it."""
        extra = self._extra_ops().get(name)
        if extra is not None:
            return extra
        from .. import counterparts, registry
        function_name = name
        if name in registry.REGISTRY:
            function_name = registry.get(name).counterpart(self.name)
        else:
            absent = [e.counterpart(self.name) for e in registry.entries("op") if e.op == name]
            if absent and all(isinstance(a, registry.Absent) for a in absent):
                function_name = absent[0]
        if isinstance(function_name, registry.Absent):
            raise NotSupported(function_name.reason)
        function = counterparts.lookup(self.name, function_name)
        if function is None:
            raise NotSupported(f"{self.name} adapter has no op {name!r}")
        return function

    def _extra_ops(self):
        """Adapter-level calls that are not refimpl ops ('numpy', 'unchain')."""
        return {}

    def vjp(self, outputs, inputs, grad_outputs, create_graph=False):
        """Vector-Jacobian products: one gradient (framework tensor, or None where an input is
        unused) per input, through the framework's ``grad`` with its own option names."""
        raise NotImplementedError

    def no_grad(self):
        raise NotImplementedError

    def detach(self, value):
        raise NotImplementedError

    def retain_grad(self, value):
        """torch-style per-tensor retain_grad (chainer has none: raises NotImplementedError)."""
        raise NotImplementedError(f"{self.name} has no per-tensor retain_grad")

    def clear_grads(self, values):
        """The framework's idiomatic gradient clearing (torch ``zero_grad()``, chainer
        ``cleargrad()``)."""
        raise NotImplementedError

    def zero_grads(self, values):
        """Clear gradients to zeros (torch ``zero_grad(set_to_none=False)``, chainer
        ``zerograd()``)."""
        raise NotImplementedError

    def linear(self, in_size, out_size):
        """A fresh fully-connected layer: ``(layer, [weight, bias])``; ``layer(x)`` applies it."""
        raise NotSupported(f"{self.name} has no linear layer")


@dataclasses.dataclass(frozen=True)
class Raised:
    """A recorded value meaning: this step raised ``cls`` with ``message``."""

    cls: str
    message: str

    @classmethod
    def of(cls, error):
        return cls(type(error).__name__, " ".join(str(error).split()))


def attempt(record, name, function):
    """Run ``function()``; record 'ok' under ``name``, or the exception it raised (as a
    ``Raised``). Returns its result, or None when it raised."""
    try:
        result = function()
    except NotSupported:
        raise
    except Exception as error:  # the behaviour under test may be an exception
        record(name, Raised.of(error))
        return None
    record(name, "ok")
    return result


def _json_value(value):
    """JSON-safe form of a recorded value (NaN and infinities as strings)."""
    if isinstance(value, numpy.ndarray):
        return {"array": _json_value(value.tolist()), "dtype": str(value.dtype)}
    if isinstance(value, Raised):
        return {"raises": value.cls, "message": value.message}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


@dataclasses.dataclass
class Observation:
    """What a behaviour case saw: named values, or the exception it raised, and warnings."""

    values: dict
    exception: tuple = None  # (class name, message)
    warnings: list = dataclasses.field(default_factory=list)

    def to_json(self):
        return {"values": {k: _json_value(v) for k, v in self.values.items()},
                "exception": list(self.exception) if self.exception else None,
                "warnings": self.warnings}


# Exception classes that mean the same thing across frameworks.
_EQUIVALENT_EXCEPTIONS = {"InvalidType": "InvalidType"}


def observe(case, adapter):
    """Run ``case(adapter, record)``; ``record(name, value)`` stores a value (tensors are
    converted with the adapter, sequences element by element). Returns an Observation.

    ``NotSupported`` raised by the adapter propagates: the case cannot run on it.
    """
    values = {}

    def convert(value):
        if value is None or isinstance(value, (bool, int, float, str, Raised)):
            return value
        if isinstance(value, numpy.ndarray):
            return value.copy()
        if isinstance(value, numpy.generic):
            return numpy.asarray(value)
        if isinstance(value, (tuple, list)):
            return [convert(v) for v in value]
        return adapter.to_numpy(value)

    def record(name, value):
        if name in values:
            raise ValueError(f"value {name!r} recorded twice")
        values[name] = convert(value)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            case(adapter, record)
            exception = None
        except NotSupported:
            raise
        except Exception as error:  # the behaviour under test may be an exception
            exception = (type(error).__name__, " ".join(str(error).split()))
    seen = [f"{w.category.__name__}: {' '.join(str(w.message).split())}" for w in caught
            if not issubclass(w.category, DeprecationWarning) and "pkg_resources" not in str(w.message)]
    return Observation(values, exception, seen)


def _compare_exceptions(what, expected, actual):
    """Differences between two (class, message) pairs: classes must match (up to
    ``_EQUIVALENT_EXCEPTIONS``) and one message must contain the other."""
    (expected_class, expected_message), (actual_class, actual_message) = expected, actual
    problems = []
    if _EQUIVALENT_EXCEPTIONS.get(expected_class, expected_class) != actual_class:
        problems.append(f"{what} class: refimpl {actual_class} vs framework {expected_class}")
    if actual_message not in expected_message and expected_message not in actual_message:
        problems.append(f"{what} message: refimpl {actual_message!r} vs framework {expected_message!r}")
    return problems


def _compare_values(name, e, a, rtol, atol):
    """Differences between one recorded value of the framework (``e``) and of refimpl (``a``)."""
    if isinstance(e, Raised) or isinstance(a, Raised):
        if not (isinstance(e, Raised) and isinstance(a, Raised)):
            return [f"{name}: refimpl {_show(a)} vs framework {_show(e)}"]
        return _compare_exceptions(f"{name}: exception", (e.cls, e.message), (a.cls, a.message))
    if isinstance(e, numpy.ndarray) or isinstance(a, numpy.ndarray):
        if not (isinstance(e, numpy.ndarray) and isinstance(a, numpy.ndarray)):
            return [f"{name}: refimpl {_show(a)} vs framework {_show(e)}"]
        if e.shape != a.shape or e.dtype != a.dtype or not numpy.allclose(
                a, e, rtol=rtol, atol=atol, equal_nan=True):
            return [f"{name}: refimpl {_show(a)} vs framework {_show(e)}"]
        return []
    if isinstance(e, list) and isinstance(a, list):
        if len(e) != len(a):
            return [f"{name}: refimpl {_show(a)} vs framework {_show(e)}"]
        problems = []
        for index, (ei, ai) in enumerate(zip(e, a)):
            problems.extend(_compare_values(f"{name}[{index}]", ei, ai, rtol, atol))
        return problems
    if type(e) is not type(a) and not (isinstance(e, (int, float)) and isinstance(a, (int, float))
                                       and not isinstance(e, bool) and not isinstance(a, bool)):
        return [f"{name}: refimpl {_show(a)} vs framework {_show(e)}"]
    if e != a:
        return [f"{name}: refimpl {_show(a)} vs framework {_show(e)}"]
    return []


def _show(value):
    if isinstance(value, numpy.ndarray):
        return f"{value.tolist()} ({value.dtype})"
    if isinstance(value, Raised):
        return f"raises {value.cls}({value.message!r})"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


def compare(expected, actual, rtol=1e-6, atol=1e-6):
    """Differences between two Observations as a list of strings (empty: they agree).

    ``expected`` is the real framework, ``actual`` refimpl under that framework's policy.
    Exceptions (the case's own, or ``Raised`` values recorded by ``attempt``) agree when the
    class names match and one message contains the other. Arrays agree when shape and dtype
    are equal and values are close (NaN equals NaN); lists element by element; other values
    by type and ``==``.
    """
    problems = []
    if (expected.exception is None) != (actual.exception is None):
        problems.append(f"exception: refimpl {actual.exception} vs framework {expected.exception}")
    elif expected.exception is not None:
        problems.extend(_compare_exceptions("exception", expected.exception, actual.exception))
    for name in sorted(set(expected.values) | set(actual.values)):
        if name not in expected.values or name not in actual.values:
            side = "refimpl" if name in actual.values else "the framework"
            shown = _show(actual.values[name] if name in actual.values else expected.values[name])
            problems.append(f"{name}: recorded only by {side} ({shown})")
            continue
        problems.extend(_compare_values(name, expected.values[name], actual.values[name], rtol, atol))
    return problems




def semantics_for(framework, version):
    """The refimpl policy that models ``framework`` at ``version``.

    torch -> 'torch'; chainer 6.x/7.x -> 'chainer' (verified on 7.8.1); chainer 5.x and
    older -> 'chainer5' (verified on 5.4.0).
    """
    if framework == "torch":
        return "torch"
    if framework == "chainer":
        try:
            major = int(str(version).split(".")[0])
        except ValueError:
            raise ValueError(f"cannot parse chainer version={version!r}") from None
        return "chainer5" if major <= 5 else "chainer"
    raise ValueError(f"no refimpl policy for framework={framework!r}")
