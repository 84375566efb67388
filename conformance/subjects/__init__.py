"""Subjects: one declarative record per subject, framework-neutral, in one registry.

A record (``Entry`` and its kinds: ``ops.OpEntry``, ...) says what a subject is, how its
inputs are drawn, which properties apply and its tolerances with their reasons. How each
framework calls it (its *binding*) lives in the framework's plugin
(``conformance.frameworks``); a framework that lacks a subject says so there, with the reason.
"""
from . import ops  # noqa: F401  (registers the op records)
from . import ops_math  # noqa: F401  (the maths and activation breadth)
from . import ops_shape2  # noqa: F401  (shape and maths ops, issue 17)
from . import layers  # noqa: F401
from . import schedules  # noqa: F401  (learning-rate schedules, issue 17)
from . import losses_more  # noqa: F401  (more losses, issue 17)
from . import normalization  # noqa: F401  (normalisation and regularisation, issue 17)
from . import layers_more  # noqa: F401  (convolutions, PReLU, Bilinear, GRU, issue 17)
from .core import REGISTRY, Absent, Api, Entry, entries, get, register

__all__ = ["REGISTRY", "Absent", "Api", "Entry", "entries", "get", "register"]
