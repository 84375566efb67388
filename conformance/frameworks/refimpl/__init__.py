"""refimpl, the executable specification: the reference plugin (the oracle of every cell).

Its own cells run under ``default_policy``; as an oracle it runs under the policy of the
framework it judges. Where the frameworks' APIs differ, its calls take the API of the
framework its policy models (``conformance.frameworks.features_of_policy``).
"""
from ..base import Plugin


class RefimplPlugin(Plugin):
    name = "refimpl"
    display_name = "refimpl"
    distribution = None
    reference = True
    default_policy = "torch"
    policies = ()
    ops_module = "conformance.frameworks.refimpl.ops"
    layers_module = "conformance.frameworks.refimpl.layers"
    layer_repro_imports = "import refimpl\nimport refimpl.functions as F\n"

    def adapter(self, semantics=None):
        from .adapter import RefimplAdapter
        return RefimplAdapter(self, semantics or self.default_policy)

    def installed_version(self):
        try:
            import refimpl
        except Exception:  # noqa: BLE001 - not importable: not installed
            return None
        return refimpl.__version__

    def policy_for(self, version):
        return self.default_policy

    @property
    def capabilities(self):
        """Everything any registered framework can do: refimpl models each of them."""
        from .. import discover
        found = set()
        for plugin in discover().values():
            if plugin is not self:
                found |= plugin.capabilities
        return frozenset(found)


plugin = RefimplPlugin()
    def semantics_policies(self):
        import refimpl.policies
        return dict(refimpl.policies.POLICIES)

