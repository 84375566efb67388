"""The two frameworks of a port check and the reference that explains a divergence, found
through the plugins (``Plugin.port_module``): this package never names a framework."""
import importlib

from .. import frameworks


class PortError(ValueError):
    """A port check cannot run as asked (bad argument, model pair, spec field); the message
    names the argument and its value."""


class Side:
    """One framework of a port check: its plugin and its port module."""

    def __init__(self, plugin):
        if not getattr(plugin, "port_module", None):
            raise PortError(f"framework {plugin.name!r} has no port module (Plugin.port_module)")
        self.plugin = plugin
        self.name = plugin.name
        try:
            self.module = importlib.import_module(plugin.port_module)
        except ImportError as error:
            raise PortError(f"framework {plugin.name!r} cannot be used here: {error}") from None

    @property
    def version(self):
        return self.module.version()

    @property
    def policy(self):
        return self.plugin.policy_for(self.version)

    def __repr__(self):
        return f"<port side {self.name}>"


def _with_role(role):
    found = [plugin for plugin in frameworks.discover().values()
             if plugin.porting_role == role and getattr(plugin, "port_module", None)]
    if not found:
        raise PortError(f"no framework plugin with porting_role={role!r} and a port module")
    return found[0]


def resolve(source=None, target=None):
    """(source Side, target Side, reference port module): the plugins named, or by default the
    porting source and target of the plugins (the framework ported from, and to)."""
    try:
        source_plugin = frameworks.get(source) if source else _with_role("source")
        target_plugin = frameworks.get(target) if target else _with_role("target")
        reference = frameworks.reference()
    except frameworks.PluginError as error:
        raise PortError(str(error)) from None
    return Side(source_plugin), Side(target_plugin), Side(reference).module


def owner(model, candidates):
    """The side among ``candidates`` whose framework ``model`` belongs to, or None."""
    for side in candidates:
        if side.module.owns(model):
            return side
    return None
