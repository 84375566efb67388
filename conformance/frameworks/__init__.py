"""Framework plugins: everything the harness knows of a framework lives in its plugin.

A plugin is a ``Plugin`` instance (``conformance.frameworks.base``) registered under the
entry-point group ``conformance.frameworks``, so a framework can be an installed
distribution outside this repository (the one under ``plugins/`` is an example). The built-in
plugins (``refimpl``, ``torch``, ``chainer``: the packages beside this module) register the
same way, in ``pyproject.toml``. When this repository runs from a checkout that was not
installed, the entry points it declares are read from its ``pyproject.toml``.

>>> sorted(discover())[:1]
['chainer']
>>> get("refimpl").reference
True
"""
import functools
import importlib
import importlib.metadata
import os
import tomllib

from .base import Adapter, AdapterUnavailable, NotSupported, Plugin

GROUP = "conformance.frameworks"
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class PluginError(ValueError):
    """A plugin is unknown, or its entry point does not give a ``Plugin``."""


def _declared_in_checkout():
    """{name: 'module:attribute'} of this checkout's ``pyproject.toml`` entry points."""
    path = os.path.join(_ROOT, "pyproject.toml")
    try:
        with open(path, "rb") as handle:
            project = tomllib.load(handle).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return dict(project.get("entry-points", {}).get(GROUP, {}))


def _load_target(target):
    module_name, _, attribute = target.partition(":")
    value = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        value = getattr(value, part)
    return value


@functools.lru_cache(maxsize=None)
def discover():
    """{name: Plugin} of every registered plugin whose module imports (a plugin module must
    not import its framework: that happens in ``Plugin.adapter``)."""
    targets = dict(_declared_in_checkout())
    for entry in importlib.metadata.entry_points(group=GROUP):
        targets[entry.name] = entry.value
    plugins = {}
    for name, target in sorted(targets.items()):
        try:
            plugin = _load_target(target)
        except Exception as error:  # noqa: BLE001 - a broken plugin must not stop the others
            _BROKEN[name] = f"plugin {name!r} ({target}) cannot be loaded: " \
                            f"{type(error).__name__}: {error}"
            continue
        if not isinstance(plugin, Plugin) or plugin.name != name:
            _BROKEN[name] = (f"entry point {name!r} = {target!r} gives {plugin!r}, not a Plugin "
                             f"named {name!r}")
            continue
        try:
            _register_policies(plugin)
        except Exception as error:  # noqa: BLE001 - its policy is broken, not the others
            _BROKEN[name] = (f"plugin {name!r} cannot register its semantics policies: "
                             f"{type(error).__name__}: {error}")
            continue
        plugins[name] = plugin
    return plugins


_BROKEN = {}


def _register_policies(plugin):
    """Register the refimpl policies a plugin brings (once)."""
    new = plugin.new_policies()
    if not new:
        return
    import refimpl.policies
    for policy in new:
        if policy.name not in refimpl.policies.POLICIES:
            refimpl.policies.register(policy)


def names():
    """The registered frameworks' names, the reference first."""
    plugins = discover()
    return sorted(plugins, key=lambda name: (not plugins[name].reference, name))


def get(name):
    """The plugin called ``name``; ``PluginError`` naming the argument when there is none."""
    plugins = discover()
    if name in plugins:
        return plugins[name]
    if name in _BROKEN:
        raise PluginError(_BROKEN[name])
    raise PluginError(f"unknown framework {name!r}; registered: {', '.join(names()) or 'none'}")


def reference():
    """The reference plugin (the executable specification, the oracle of every cell)."""
    found = [plugin for plugin in discover().values() if plugin.reference]
    if len(found) != 1:
        raise PluginError(f"expected exactly one reference plugin, found "
                          f"{[plugin.name for plugin in found]}")
    return found[0]


def owner_of_policy(policy_name):
    """The non-reference plugin whose API a refimpl policy models (for the reference's cells:
    which API its calls take), or None."""
    for plugin in discover().values():
        if not plugin.reference and policy_name in plugin.policies:
            return plugin
    return None


def features_of_policy(policy_name):
    """The API features of the framework a policy models (empty when none is registered)."""
    owner = owner_of_policy(policy_name)
    return owner.features if owner is not None else frozenset()


def usable():
    """The registered frameworks whose plugin loads and whose framework is installed (the
    default of ``--frameworks``)."""
    return [name for name in names()
            if discover()[name].reference or discover()[name].installed_version() is not None]


__all__ = ["Adapter", "AdapterUnavailable", "GROUP", "NotSupported", "Plugin", "PluginError",
           "discover", "features_of_policy", "get", "names", "owner_of_policy", "reference",
           "usable"]
