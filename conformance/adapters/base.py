"""The adapter protocol and how behaviours are observed and compared."""
import contextlib
import dataclasses
import warnings

import numpy


class AdapterUnavailable(RuntimeError):
    """The framework cannot be used here; the message is the reason for skip cells."""


class Adapter:
    """What the harness needs from a framework. Arrays in and out are NumPy arrays.

    Attributes: ``name`` ('refimpl', 'torch', 'chainer'), ``version``, ``semantics`` (the
    policy name refimpl uses to model this framework).
    """

    name = "?"
    version = "?"
    semantics = "?"

    def tensor(self, array, requires_grad=False):
        """A framework tensor/Variable holding ``array`` on the CPU."""
        raise NotImplementedError

    def to_numpy(self, value):
        """A NumPy copy of a tensor's data (no graph)."""
        raise NotImplementedError

    def grad_of(self, value):
        """``value.grad`` as a NumPy array, or None."""
        raise NotImplementedError

    def set_grad(self, value, array):
        raise NotImplementedError

    def requires_grad(self, value):
        raise NotImplementedError

    def has_graph(self, value):
        """Whether ``value`` was produced by a recorded op (grad_fn / creator)."""
        raise NotImplementedError

    def backward(self, output, gradient=None, **options):
        raise NotImplementedError

    def grad(self, outputs, inputs, grad_outputs=None, **options):
        raise NotImplementedError

    def call(self, op, *args, **kwargs):
        """Run the framework's counterpart of refimpl op ``op``."""
        raise NotImplementedError

    def no_grad(self):
        raise NotImplementedError

    def detach(self, value):
        raise NotImplementedError

    def retain_grad(self, value):
        """torch-style per-tensor retain_grad (chainer has none: raises NotImplementedError)."""
        raise NotImplementedError(f"{self.name} has no per-tensor retain_grad")


@dataclasses.dataclass
class Observation:
    """What a behaviour case saw: named values, or the exception it raised, and warnings."""

    values: dict
    exception: tuple = None  # (class name, message)
    warnings: list = dataclasses.field(default_factory=list)

    def to_json(self):
        def encode(value):
            if isinstance(value, numpy.ndarray):
                return {"array": value.tolist(), "dtype": str(value.dtype)}
            return value
        return {"values": {k: encode(v) for k, v in self.values.items()},
                "exception": list(self.exception) if self.exception else None,
                "warnings": self.warnings}


# Exception classes that mean the same thing across frameworks.
_EQUIVALENT_EXCEPTIONS = {"InvalidType": "InvalidType"}


def observe(case, adapter):
    """Run ``case(adapter, record)``; ``record(name, value)`` stores a value (tensors are
    converted with the adapter). Returns an Observation."""
    values = {}

    def record(name, value):
        if value is None or isinstance(value, (bool, int, float, str, tuple, list)):
            values[name] = value
        elif isinstance(value, numpy.ndarray):
            values[name] = value
        else:
            values[name] = adapter.to_numpy(value)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            case(adapter, record)
            exception = None
        except Exception as error:  # the behaviour under test may be an exception
            exception = (type(error).__name__, " ".join(str(error).split()))
    seen = [f"{w.category.__name__}: {' '.join(str(w.message).split())}" for w in caught
            if not issubclass(w.category, DeprecationWarning) and "pkg_resources" not in str(w.message)]
    return Observation(values, exception, seen)


def compare(expected, actual, rtol=1e-6, atol=1e-6):
    """Differences between two Observations as a list of strings (empty: they agree).

    ``expected`` is the real framework, ``actual`` refimpl under that framework's policy.
    Exceptions agree when the class names match and one message contains the other.
    """
    problems = []
    if (expected.exception is None) != (actual.exception is None):
        problems.append(f"exception: refimpl {actual.exception} vs framework {expected.exception}")
    elif expected.exception is not None:
        (expected_class, expected_message), (actual_class, actual_message) = expected.exception, actual.exception
        if _EQUIVALENT_EXCEPTIONS.get(expected_class, expected_class) != actual_class:
            problems.append(f"exception class: refimpl {actual_class} vs framework {expected_class}")
        if actual_message not in expected_message and expected_message not in actual_message:
            problems.append(f"exception message: refimpl {actual_message!r} vs framework {expected_message!r}")
    for name in sorted(set(expected.values) | set(actual.values)):
        if name not in expected.values or name not in actual.values:
            problems.append(f"{name}: recorded by only one side")
            continue
        e, a = expected.values[name], actual.values[name]
        if isinstance(e, numpy.ndarray) or isinstance(a, numpy.ndarray):
            if not (isinstance(e, numpy.ndarray) and isinstance(a, numpy.ndarray)):
                problems.append(f"{name}: refimpl {a!r} vs framework {e!r}")
            elif e.shape != a.shape or not numpy.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
                problems.append(f"{name}: refimpl {a.tolist()} vs framework {e.tolist()}")
        elif e != a:
            problems.append(f"{name}: refimpl {a!r} vs framework {e!r}")
    return problems


@contextlib.contextmanager
def nullcontext():
    yield
