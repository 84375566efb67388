"""refimpl, the executable specification: the reference plugin (the oracle of every cell).

Its own cells run under ``default_policy``; as an oracle it runs under the policy of the
framework it judges. Where the frameworks' APIs differ, its calls take the API of the
framework its policy models (``conformance.frameworks.features_of_policy``).
"""
from ..base import Plugin


#: API features: refimpl's own calls take NumPy's API (keepdims on every reduction, negative
#: slice steps); as an oracle, its adapter takes those of the framework its policy models.
OP_FEATURES = frozenset({"reduction_keepdims_everywhere", "negative_slice_steps"})

_REPRO_PRELUDE = '''import refimpl
import refimpl.functions as F

DEVICE = {device!r}
refimpl.set_semantics({policy!r})


def make(array, requires_grad=False):
    if DEVICE == "cuda":
        import cupy
        array = cupy.asarray(array)
    return refimpl.Variable(array, requires_grad=requires_grad)


def to_numpy(value):
    return refimpl._backend.to_numpy(value.data)


def is_float(value):
    return value.dtype.kind == "f"


def vjp(outputs, inputs, grad_outputs, create_graph=False):
    return refimpl.grad(outputs, inputs, grad_outputs, retain_graph=True,
                        create_graph=create_graph, allow_unused=True)


def op_sum(x):
    return F.sum(x)
'''


class RefimplPlugin(Plugin):
    name = "refimpl"
    display_name = "refimpl"
    distribution = None
    reference = True
    default_policy = "torch"
    policies = ()
    ops_module = "conformance.frameworks.refimpl.ops"
    features = OP_FEATURES
    repro_prelude = _REPRO_PRELUDE
    repro_imports = "import refimpl\nimport refimpl.functions as F"
    repro_adapter = "{adapter_class}(semantics={policy!r})"
    repro_functions = "F"
    layers_module = "conformance.frameworks.refimpl.layers"
    port_module = "conformance.frameworks.refimpl.port"  # issue 18: the port checker
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

    def semantics_policies(self):
        import refimpl.policies
        return dict(refimpl.policies.POLICIES)

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
