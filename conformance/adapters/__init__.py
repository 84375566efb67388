"""Transitional: the adapter protocol now lives in ``conformance.frameworks`` (plugins) and
``conformance.checks.observations``; this module goes when the last importer moves."""
from ..checks.observations import Observation, Raised, attempt, compare, observe
from ..frameworks import get
from ..frameworks.base import Adapter, AdapterUnavailable, NotSupported


def load(name, semantics=None):
    """The adapter of framework ``name`` (``semantics``: the reference's policy)."""
    return get(name).adapter(semantics)


__all__ = ["Adapter", "AdapterUnavailable", "NotSupported", "Observation", "Raised",
           "attempt", "compare", "load", "observe"]
