"""Transitional: the op records now live in ``conformance.subjects`` (``subjects.ops``)."""
from .subjects import REGISTRY, Absent, Api, Entry, entries, get, register  # noqa: F401
from .subjects.ops import *  # noqa: F401,F403
from .subjects.ops import FAMILIES, OpEntry, covered_ops  # noqa: F401
