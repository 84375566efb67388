"""PyTorch: the plugin (data only; ``torch`` itself is imported by ``adapter``/``ops``)."""
import os

from ..base import Plugin

#: API features (what a call can express), by area: the strategies draw only these.
OP_FEATURES = frozenset({"reduction_keepdims_everywhere", "softplus_threshold"})
LAYER_FEATURES = frozenset({"conv_string_padding", "conv_transpose_output_padding",
                            "unbatched_input", "pooling_ceil_mode", "linear_last_axis",
                            "optimizer_over_params", "mse_loss",
                            "binary_cross_entropy_with_logits", "cross_entropy"})
#: normalisation and regularisation (issue 17): see conformance.subjects.norm_strategies
LAYER_FEATURES |= frozenset({"norm_optional_affine", "layer_norm_trailing_axes",
                             "embed_padding_idx"})
#: What the engine can do (properties skip, with the reason, what a framework cannot).
ENGINE_CAPABILITIES = frozenset({
    "double_backprop",         # gradients with a graph can be differentiated again
    "functional_grad",         # torch.autograd.grad(outputs, inputs, grad_outputs)
    "retain_graph",            # backward frees the graph unless retain_graph=True keeps it
    "per_tensor_retain_grad",  # v.retain_grad() keeps a non-leaf's grad, accumulating
    "detach",                  # x.detach(): a new tensor with x's data and no graph
    # options of torch.autograd.grad (grad_options cells: one per option)
    "grad.retain_graph", "grad.create_graph", "grad.allow_unused", "grad.materialize_grads",
})
#: Why the engine lacks a capability (skip reasons); others get a generic reason.
ENGINE_ABSENT = {}


_REPRO_PRELUDE = '''import torch

DEVICE = {device!r}


def make(array, requires_grad=False):
    return torch.tensor(array, requires_grad=requires_grad, device=DEVICE)


def to_numpy(value):
    return value.detach().cpu().numpy(force=True)


def is_float(value):
    return value.dtype.is_floating_point


def vjp(outputs, inputs, grad_outputs, create_graph=False):
    return torch.autograd.grad(outputs, inputs, grad_outputs, retain_graph=True,
                               create_graph=create_graph, allow_unused=True)


def op_sum(x):
    return torch.sum(x)
'''


class TorchPlugin(Plugin):
    name = "torch"
    display_name = "PyTorch"
    distribution = "torch"
    policies = ("torch", "torch215", "torch214", "torch29")
    porting_role = "target"
    features = OP_FEATURES | LAYER_FEATURES
    capabilities = ENGINE_CAPABILITIES
    capabilities_absent = ENGINE_ABSENT
    grad_function = "torch.autograd.grad"
    behaviours_module = "conformance.frameworks.torch.behaviours"
    ops_module = "conformance.frameworks.torch.ops"
    layers_module = "conformance.frameworks.torch.layers"
    port_module = "conformance.frameworks.torch.port"  # issue 18: the port checker
    layer_repro_imports = "import torch\n"
    device_side_asserts = {
        # seen on torch 2.11.0+cu130 on an H200 (reports/gpu/): x[torch.tensor([0, 3])] of a
        # 3-element CUDA tensor returns, then every later CUDA call of the process raises
        # 'CUDA error: device-side assert triggered' (cudaErrorAssert): one such input would
        # turn every later cell of its worker into an error.
        "cuda": "torch checks index arrays inside its CUDA kernels: an out-of-range index is "
                "a device-side assert (asynchronous, no IndexError), after which every CUDA "
                "call of the process fails with cudaErrorAssert",
    }
    dtypes_absent = {  # shape and maths ops (issue 17)
        "affine_grid": {"float16": "torch 2.13.0's F.affine_grid has no float16 CPU kernel "
                                   "(NotImplementedError: \"tensor_cpu\" not implemented for "
                                   "'Half')"},
        # rrelu in training (issue 17)
        "rrelu_training": {"float16": "torch 2.13.0's F.rrelu(training=True) has no float16 "
                                      "CPU kernel (NotImplementedError: "
                                      "\"rrelu_with_noise_out_cpu\" not implemented for "
                                      "'Half')"},
    }
    ops_absent = {
        "crelu": "torch 2.13.0 has no crelu (torch.cat([F.relu(x), F.relu(-x)], dim) composes "
                 "it; chainer's F.crelu is the subject)",
    }
    gradgrad_absent = {
        "multi_margin_loss": "torch 2.13.0 has no double backward through "
                             "F.multi_margin_loss (RuntimeError: derivative for "
                             "aten::multi_margin_loss_backward is not implemented)",
        "hard_sigmoid": "torch 2.13.0 has no double backward through F.hardsigmoid "
                        "(RuntimeError: derivative for aten::hardsigmoid_backward is not "
                        "implemented)",
    }
    known_issues_file = os.path.join(os.path.dirname(__file__), "known_issues.toml")
    repro_prelude = _REPRO_PRELUDE
    repro_imports = "import torch\nimport torch.nn.functional"

    def adapter(self, semantics=None):
        from .adapter import TorchAdapter
        return TorchAdapter(self)

    def policy_for(self, version):
        """torch 2.15 and later -> 'torch215' (verified on 2.15.0); 2.14 -> 'torch214'
        (verified on 2.14.1); 2.13 -> 'torch' (verified on 2.13.0); older -> 'torch29'
        (verified on 2.9.1, and on CUDA on 2.11.0; 2.10 and 2.12 were not run)."""
        major, minor = _minor_version(version)
        if (major, minor) >= (2, 15):
            return "torch215"
        if (major, minor) == (2, 14):
            return "torch214"
        return "torch" if (major, minor) >= (2, 13) else "torch29"


    def absent_gradgrad(self, subject, version=None):
        """``gradgrad_absent``, or, for torch ``version`` (default: the installed one), a
        double backward torch added later (``GRADGRAD_SINCE``)."""
        reason = super().absent_gradgrad(subject)
        version = self.installed_version() if version is None else version
        if reason is None and version is not None and subject in GRADGRAD_SINCE:
            since, what = GRADGRAD_SINCE[subject]
            if _minor_version(version) < since:
                return (f"torch {version} has no double backward through {what} (added by "
                        f"torch {since[0]}.{since[1]}; checked: absent in 2.9.1, present in "
                        f"2.13.0, 2.14.1 and 2.15.0; 2.10 to 2.12 were not run)")
        return reason


#: {subject: ((major, minor) of the first torch seen with its double backward, the call)}.
#: grid_sample: torch 2.9.1 raises RuntimeError "derivative for aten::grid_sampler_2d_backward
#: is not implemented" (pytorch#34704); 2.13.0 differentiates it (matrix run, issue 16).
GRADGRAD_SINCE = {"grid_sample": ((2, 13), "F.grid_sample")}


def _minor_version(version):
    try:
        major, minor = (int(part) for part in str(version).split(".")[:2])
    except ValueError:
        raise ValueError(f"cannot parse torch version={version!r}") from None
    return major, minor


plugin = TorchPlugin()
