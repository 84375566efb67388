"""PyTorch: the plugin (data only; ``torch`` itself is imported by ``adapter``/``ops``)."""
import os

from ..base import Plugin

#: API features (what a call can express), by area: the strategies draw only these.
OP_FEATURES = frozenset({"reduction_keepdims_everywhere"})
LAYER_FEATURES = frozenset({"conv_string_padding", "conv_transpose_output_padding",
                            "unbatched_input", "pooling_ceil_mode", "linear_last_axis",
                            "optimizer_over_params", "mse_loss",
                            "binary_cross_entropy_with_logits", "cross_entropy"})
#: What the engine can do (properties skip, with the reason, what a framework cannot).
ENGINE_CAPABILITIES = frozenset({"double_backprop", "functional_grad"})


class TorchPlugin(Plugin):
    name = "torch"
    display_name = "PyTorch"
    distribution = "torch"
    policies = ("torch",)
    porting_role = "target"
    features = OP_FEATURES | LAYER_FEATURES
    capabilities = ENGINE_CAPABILITIES
    ops_module = "conformance.frameworks.torch.ops"
    layers_module = "conformance.frameworks.torch.layers"
    layer_repro_imports = "import torch\n"
    known_issues_file = os.path.join(os.path.dirname(__file__), "known_issues.toml")

    def adapter(self, semantics=None):
        from .adapter import TorchAdapter
        return TorchAdapter(self)


plugin = TorchPlugin()
