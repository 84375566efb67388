"""Observations of behaviour cases: what a case recorded on a framework, and how two
observations (the framework's and refimpl's under its policy) are compared."""
import dataclasses
import math
import warnings

import numpy

from .. import frameworks
from ..frameworks.base import NotSupported


def _oracle():
    """The reference's name, as the comparison messages call refimpl's side."""
    return frameworks.reference().name


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
        problems.append(f"{what} class: {_oracle()} {actual_class} vs framework {expected_class}")
    if actual_message not in expected_message and expected_message not in actual_message:
        problems.append(f"{what} message: {_oracle()} {actual_message!r} vs framework "
                        f"{expected_message!r}")
    return problems


def _compare_values(name, e, a, rtol, atol):
    """Differences between one recorded value of the framework (``e``) and of refimpl (``a``)."""
    if isinstance(e, Raised) or isinstance(a, Raised):
        if not (isinstance(e, Raised) and isinstance(a, Raised)):
            return [f"{name}: {_oracle()} {_show(a)} vs framework {_show(e)}"]
        return _compare_exceptions(f"{name}: exception", (e.cls, e.message), (a.cls, a.message))
    if isinstance(e, numpy.ndarray) or isinstance(a, numpy.ndarray):
        if not (isinstance(e, numpy.ndarray) and isinstance(a, numpy.ndarray)):
            return [f"{name}: {_oracle()} {_show(a)} vs framework {_show(e)}"]
        if e.shape != a.shape or e.dtype != a.dtype or not numpy.allclose(
                a, e, rtol=rtol, atol=atol, equal_nan=True):
            return [f"{name}: {_oracle()} {_show(a)} vs framework {_show(e)}"]
        return []
    if isinstance(e, list) and isinstance(a, list):
        if len(e) != len(a):
            return [f"{name}: {_oracle()} {_show(a)} vs framework {_show(e)}"]
        problems = []
        for index, (ei, ai) in enumerate(zip(e, a)):
            problems.extend(_compare_values(f"{name}[{index}]", ei, ai, rtol, atol))
        return problems
    if type(e) is not type(a) and not (isinstance(e, (int, float)) and isinstance(a, (int, float))
                                       and not isinstance(e, bool) and not isinstance(a, bool)):
        return [f"{name}: {_oracle()} {_show(a)} vs framework {_show(e)}"]
    if e != a:
        return [f"{name}: {_oracle()} {_show(a)} vs framework {_show(e)}"]
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
        problems.append(f"exception: {_oracle()} {actual.exception} vs framework "
                        f"{expected.exception}")
    elif expected.exception is not None:
        problems.extend(_compare_exceptions("exception", expected.exception, actual.exception))
    for name in sorted(set(expected.values) | set(actual.values)):
        if name not in expected.values or name not in actual.values:
            side = _oracle() if name in actual.values else "the framework"
            shown = _show(actual.values[name] if name in actual.values else expected.values[name])
            problems.append(f"{name}: recorded only by {side} ({shown})")
            continue
        problems.extend(_compare_values(name, expected.values[name], actual.values[name], rtol, atol))
    return problems
