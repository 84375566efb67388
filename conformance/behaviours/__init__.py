"""Behaviour cases: where the frameworks differ (one or more ``refimpl.Policy`` fields per
case) and the worked examples of the seed notes (``/work/shared/seeds``).

``core`` says what a case is (``Case``, ``behaviour()``, the capabilities and ops it needs)
and holds the registry ``CASES``; ``engine``, ``ops`` and ``layers`` hold the cases written
once for every framework. A case about one framework's own API (its name says so, e.g. an
option only that framework's ``grad`` takes) lives in that framework's plugin, in the module
its ``behaviours_module`` names; it registers like the others and applies to every
framework with the capabilities it declares. Importing this package registers them all.
"""
import importlib

from .. import frameworks
from . import engine, layers, ops  # noqa: F401  (register the cases)
from . import ops_math  # noqa: F401  (the maths and activation breadth)
from . import losses_shape2  # noqa: F401  (losses and shape/maths ops, issue 17)
from . import normalization  # noqa: F401  (normalisation and regularisation, issue 17)
from . import engine_more  # noqa: F401  (engine semantics of issue 17)
from . import layers_more  # noqa: F401  (convolutions, PReLU, Bilinear, GRU, issue 17)
from . import edges  # noqa: F401  (edge inputs, issue 15)
from . import port  # noqa: F401  (differences found by the port checker, issue 18)
from . import nonfinite_norms, nonfinite_products  # noqa: F401  (non-finite output gradients)
from . import nonfinite_losses, nonfinite_layers  # noqa: F401  (non-finite output gradients)
from .core import CASES, Case, applicable, behaviour, by_name, f32


def _register_plugin_cases():
    """Import each plugin's ``behaviours_module`` (its cases register on import)."""
    for plugin in frameworks.discover().values():
        if plugin.behaviours_module:
            importlib.import_module(plugin.behaviours_module)


_register_plugin_cases()

__all__ = ["CASES", "Case", "applicable", "behaviour", "by_name", "f32"]
