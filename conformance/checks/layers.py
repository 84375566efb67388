"""The layer-level subjects on each framework, behind one set of calls.

A framework binds the layer-level subjects (``conformance.subjects.layers``) in its plugin's
``layers_module``, as tables:

- ``FUNCTIONS``: {subject: binding or ``Absent``}: a function with refimpl's signature and
  argument names (``pad``, ``dilation``, ``ksize``) taking and returning the framework's
  tensors; an argument its API does not take is absent from the signature, and the strategies
  never draw it (``conformance.subjects.layer_strategies``, by ``Plugin.features``). A module may
  define ``bind_function(adapter, binding)`` (the reference: its function under the
  adapter's policy) and ``function_repro(binding, policy)`` (a repro script's source for it).
- ``RUNS``: {subject: ``run(case) -> {name: NumPy array}`` or ``Absent``}: a stateful
  scenario. ``case`` holds NumPy arrays (float64, on a grid: exact in every dtype) and plain
  values, ``case['dtype']`` the dtype to compute in and ``case['backward']`` whether to
  differentiate; the reference's runs also take ``case['policy']``.
- ``OPTIMIZERS``: {optimizer subject: the framework's class name or ``Absent``}, and
  ``OPTIMIZER_RUN(case)`` (``case['optimizer']`` the class, ``case['hyper']`` its arguments,
  see ``layer_strategies.optimizer_cases``).
- ``SERIALIZATION``: {'module' | 'optimizer': (export, import)} with ``SERIALIZATION_FORMAT``
  (``container`` 'arrays' or 'npz', the refimpl serializers ``layout``, and the parameter
  naming: ``separator`` and ``names``); the reference's are its relays.
- ``conv_layer(adapter, in_channels, out_channels, ksize)``, ``REPRO_TENSOR``, and optionally
  ``subjects()``: records of subjects only this framework's API has and that bear its name.

Every binding is self-contained (it imports its framework inside and uses only NumPy and
its module's helpers), so a repro script pastes its source (``conformance.checks.repro``).
"""
import importlib
import math

from ..frameworks import NotSupported, discover
from ..subjects import core
from ..subjects.core import Absent

__all__ = ["Absent", "NotSupported", "binding", "conv_layer", "fan_in", "function",
           "functional_call", "layer_entries", "layer_entry", "linear_layer", "module_of",
           "optimizer_run", "owner_of_feature", "run_of", "serialization",
           "serialization_format"]


def module_of(plugin):
    """The plugin's layers module; ``NotSupported`` when it has none."""
    if plugin.layers_module is None:
        raise NotSupported(f"{plugin.name} binds no layer-level subject")
    return importlib.import_module(plugin.layers_module)


def binding(plugin, table, subject):
    """``plugin``'s binding of ``subject`` in ``table`` ('FUNCTIONS', 'RUNS', 'OPTIMIZERS'):
    the binding, or ``Absent`` with the reason where the framework lacks it."""
    try:
        module = module_of(plugin)
    except NotSupported as reason:
        return Absent(str(reason))
    found = getattr(module, table, {}).get(subject)
    if found is None:
        return Absent(f"{plugin.name} has no binding of {subject!r}")
    return found


def function(adapter, subject):
    """The adapter's function for ``subject`` (refimpl's signature, the adapter's tensors).
    Raises ``NotSupported`` with the reason where the framework lacks it."""
    found = binding(adapter.plugin, "FUNCTIONS", subject)
    if isinstance(found, Absent):
        raise NotSupported(found.reason)
    bind = getattr(module_of(adapter.plugin), "bind_function", None)
    return bind(adapter, found) if bind is not None else found


def functional_call(adapter, subject, *args, **kwargs):
    """``function(adapter, subject)(*args, **kwargs)``."""
    return function(adapter, subject)(*args, **kwargs)


def run_of(plugin, subject):
    """``plugin``'s run of the stateful ``subject`` (or ``Absent``)."""
    return binding(plugin, "RUNS", subject)


def optimizer_run(plugin, subject):
    """``plugin``'s ``OPTIMIZER_RUN`` where it has a class for the optimizer ``subject`` (the
    reference: always), else the ``Absent`` binding."""
    if not plugin.reference:
        found = binding(plugin, "OPTIMIZERS", subject)
        if isinstance(found, Absent):
            return found
    run = getattr(module_of(plugin), "OPTIMIZER_RUN", None)
    return run if run is not None else Absent(f"{plugin.name} has no optimizer run")


def serialization(plugin, scenario):
    """``plugin``'s ``SERIALIZATION[scenario]`` ('module' or 'optimizer': (export, import);
    the reference's: its relay), or ``Absent``."""
    try:
        found = getattr(module_of(plugin), "SERIALIZATION", {}).get(scenario)
    except NotSupported as reason:
        return Absent(str(reason))
    return found if found is not None else Absent(f"{plugin.name} cannot save and load a "
                                                  f"{scenario}")


def serialization_format(plugin):
    """``plugin``'s ``SERIALIZATION_FORMAT`` (a dict), or None."""
    try:
        return getattr(module_of(plugin), "SERIALIZATION_FORMAT", None)
    except NotSupported:
        return None


def linear_layer(adapter, in_size, out_size):
    """A fresh Linear layer with the framework's defaults: ``(apply, [weight, bias])``."""
    return adapter.linear(in_size, out_size)


def conv_layer(adapter, in_channels, out_channels, ksize):
    """A fresh 2-D convolution layer with the framework's defaults:
    ``(apply, [weight, bias])`` (the plugin's ``conv_layer``)."""
    make = getattr(module_of(adapter.plugin), "conv_layer", None)
    if make is None:
        raise NotSupported(f"{adapter.name} has no convolution layer")
    return make(adapter, in_channels, out_channels, ksize)


def fan_in(shape):
    """fan_in of a weight of shape (out, in, k...)."""
    return math.prod(shape[1:])


def owner_of_feature(feature):
    """The first registered non-reference plugin whose API has ``feature`` (by name), or
    None: the reference's cells of a one-API subject run under its policy."""
    plugins = discover()
    for name in sorted(plugins):
        plugin = plugins[name]
        if not plugin.reference and feature in plugin.features:
            return plugin
    return None


_PLUGIN_SUBJECTS = []


def _register_plugin_subjects():
    """Register the records the plugins declare (``subjects()`` of a layers module), once."""
    if _PLUGIN_SUBJECTS:
        return
    _PLUGIN_SUBJECTS.append(True)
    for plugin in discover().values():
        if plugin.layers_module is None:
            continue
        declare = getattr(importlib.import_module(plugin.layers_module), "subjects", None)
        for record in (declare() if declare is not None else ()):
            if record.subject not in core.REGISTRY:
                core.register(record)


def layer_entries(kind, family=None, prop=None):
    """The layer-level records of ``kind`` (and ``family``, and with property ``prop``),
    the plugins' own included, in registration order."""
    _register_plugin_subjects()
    return [entry for entry in core.entries(kind, family)
            if prop is None or prop in getattr(entry, "properties", (prop,))]


def layer_entry(subject):
    """The layer-level record of ``subject``."""
    _register_plugin_subjects()
    return core.get(subject)
