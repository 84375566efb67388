"""Transitional: counterparts now live in each framework plugin's ``ops_module``."""
import importlib

from ..checks.source import source_of  # noqa: F401


def module(framework):
    from ..frameworks import get
    return importlib.import_module(get(framework).ops_module)


def lookup(framework, name):
    function = getattr(module(framework), name, None)
    return function if callable(function) else None
