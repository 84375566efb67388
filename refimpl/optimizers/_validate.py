"""Argument checks shared by the optimizer classes and hooks."""
import numbers


def require_real(name, value):
    """TypeError naming the argument unless ``value`` is a real number (bool excluded)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {name}={value!r}")


def typename(value):
    """``torch.typename``-style name of ``value``'s type ('int', 'numpy.ndarray', ...)."""
    cls = type(value)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
