"""Chainer: the plugin (data only; ``chainer`` itself is imported by ``adapter``/``ops``)."""
import os

from ..base import Plugin
from .ops_math_absent import ABSENT as _OPS_MATH_ABSENT
from .ops_shape2_absent import ABSENT as _OPS_SHAPE2_ABSENT

#: API features (what a call can express), by area: the strategies draw only these.
OP_FEATURES = frozenset({"negative_slice_steps", "numpy_operands"})
LAYER_FEATURES = frozenset({"conv_transpose_outsize", "conv_empty_kernel", "cover_all",
                            "optimizer_over_link", "mean_squared_error",
                            "sigmoid_cross_entropy", "softmax_cross_entropy"})
#: normalisation and regularisation (issue 17): see conformance.subjects.norm_strategies
LAYER_FEATURES |= frozenset({"embed_ignore_label"})
#: layers (issue 17): see conformance.subjects.layer_strategies_more
LAYER_FEATURES |= frozenset({"depthwise_weight_multiplier_first", "prelu_slope_leading_axes",
                             "bilinear_weight_in1_in2_out", "bilinear_linear_terms"})
#: What the engine can do (properties skip, with the reason, what a framework cannot).
ENGINE_CAPABILITIES = frozenset({
    "double_backprop",         # gradients with a graph can be differentiated again
    "functional_grad",         # chainer.grad(outputs, inputs, grad_outputs)
    "per_call_retain_grad",    # backward(retain_grad=True) keeps every intermediate grad
    "unchain",                 # y.unchain() cuts y's graph in place
    # options of chainer.grad (grad_options cells: one per option)
    "grad.grad_inputs", "grad.set_grad", "grad.retain_grad", "grad.enable_double_backprop",
    "grad.loss_scale",
})
#: Why the engine lacks a capability (skip reasons); others get a generic reason.
ENGINE_ABSENT = {
    "retain_graph": "chainer's backward has no retain_graph: the graph is always kept (see "
                    "retain_graph.second_backward)",
    "detach": "chainer.Variable has no detach (unchain cuts the graph in place; "
              "no_backprop_mode makes new outputs without a graph)",
}

#: Optimizer classes chainer gained after 6.x: {optimizer subject: (``chainer.optimizers``
#: class, the first major version known to have it)}. Checked with ``hasattr(chainer.optimizers,
#: name)``: absent in 5.4.0 and 6.7.0, present in 7.8.1 (chainer 5/6 only have the options
#: ``Adam(weight_decay_rate=..., amsgrad=...)``, which these subjects do not bind).
OPTIMIZERS_SINCE = {
    "adamw": ("AdamW", 7),
    "amsgrad": ("AMSGrad", 7),
    "adabound": ("AdaBound", 7),
    "amsbound": ("AMSBound", 7),
}

#: Ops chainer gained after 5.x: {op subject: (``chainer.functions`` name, first major version
#: known to have it)}; checked with ``hasattr(chainer.functions, name)`` on 5.4.0, 6.7.0, 7.8.1.
OPS_SINCE = {"arctanh": ("arctanh", 7), "relu6": ("relu6", 6)}

_WHERE_SCALAR = ("chainer F.where needs x and y to be arrays of one type: a Python scalar y "
                 "raises TypeError('incompatible array types are mixed in the forward input "
                 "(Where)')")


_REPRO_PRELUDE = '''import chainer

DEVICE = {device!r}


def make(array, requires_grad=False):
    if DEVICE == "cuda":
        array = chainer.backends.cuda.to_gpu(array)
    return chainer.Variable(array, requires_grad=requires_grad)


def to_numpy(value):
    return numpy.asarray(chainer.backends.cuda.to_cpu(value.array))


def is_float(value):
    return value.dtype.kind == "f"


def vjp(outputs, inputs, grad_outputs, create_graph=False):
    return chainer.grad(outputs, inputs, grad_outputs, enable_double_backprop=create_graph)


def op_sum(x):
    return chainer.functions.sum(x)
'''


class ChainerPlugin(Plugin):
    name = "chainer"
    display_name = "Chainer"
    distribution = "chainer"
    policies = ("chainer", "chainer6", "chainer5")
    porting_role = "source"
    features = OP_FEATURES | LAYER_FEATURES
    capabilities = ENGINE_CAPABILITIES
    capabilities_absent = ENGINE_ABSENT
    grad_function = "chainer.grad"
    behaviours_module = "conformance.frameworks.chainer.behaviours"
    ops_module = "conformance.frameworks.chainer.ops"
    layers_module = "conformance.frameworks.chainer.layers"
    port_module = "conformance.frameworks.chainer.port"  # issue 18: the port checker
    layer_repro_imports = "import chainer\nimport chainer.functions\nimport chainer.links\n"
    ops_absent = {
        "topk": "chainer 7.8.1 has no topk (no chainer.functions.topk; F.max/argmax select one "
                "element)",
        "where-scalar": _WHERE_SCALAR,
        **_OPS_MATH_ABSENT,
        **_OPS_SHAPE2_ABSENT,  # shape and maths ops (issue 17)
    }
    gradgrad_absent = {  # normalisation (issue 17)
        "local_response_normalization": "chainer's F.local_response_normalization has no "
                                        "double backward (LocalResponseNormalizationGrad."
                                        "backward raises NotImplementedError; checked on "
                                        "5.4.0, 6.7.0 and 7.8.1)",
        # losses (issue 17): old-style chainer.Function, no double backward
        "hinge": "chainer 7.8.1's F.hinge is an old-style Function: differentiating its "
                 "gradient raises RuntimeError('cannot twice-differentiate an old style "
                 "Function \"Hinge\"')",
        "decov": "chainer 7.8.1's F.decov is an old-style Function: differentiating its "
                 "gradient raises RuntimeError('cannot twice-differentiate an old style "
                 "Function \"DeCov\"')",
        "grid_sample": "chainer 7.8.1's F.spatial_transformer_sampler is an old-style "
                       "Function: differentiating its gradient raises RuntimeError('cannot "
                       "twice-differentiate an old style Function "
                       "\"SpatialTransformerSampler\"')",
        "affine_grid": "chainer 7.8.1's F.spatial_transformer_grid is an old-style Function: "
                       "differentiating its gradient raises RuntimeError('cannot "
                       "twice-differentiate an old style Function \"SpatialTransformerGrid\"')",
    }
    dtypes_absent = {  # layer functions (issue 17)
        "bilinear": {"float64": "chainer 7.8.1's F.bilinear type-checks float32 only "
                                "(InvalidType 'in_types[0].dtype == <class numpy.float32>')"},
        "bilinear_layer": {"float64": "chainer 7.8.1's L.Bilinear calls F.bilinear, which "
                                      "type-checks float32 only"},
    }
    known_issues_file = os.path.join(os.path.dirname(__file__), "known_issues.toml")
    repro_prelude = _REPRO_PRELUDE
    repro_imports = "import chainer\nimport chainer.functions as F"

    def adapter(self, semantics=None):
        from .adapter import ChainerAdapter
        return ChainerAdapter(self)

    def policy_for(self, version):
        """chainer 7.x -> 'chainer' (verified on 7.8.1); 6.x -> 'chainer6' (verified on 6.7.0);
        5.x and older -> 'chainer5' (verified on 5.4.0)."""
        major = _major(version)
        return "chainer5" if major <= 5 else "chainer6" if major == 6 else "chainer"

    def absent_op(self, subject):
        """The reason chainer lacks op ``subject``: ``ops_absent``, or, for the installed
        version, an op chainer added later (``OPS_SINCE``)."""
        return super().absent_op(subject) or _added_later(
            self.installed_version(), OPS_SINCE, subject, "functions",
            "checked on 5.4.0, 6.7.0 and 7.8.1")

    def absent_optimizer(self, subject, version=None):
        """Why chainer at ``version`` (default: the installed one) has no class for the
        optimizer ``subject`` (``OPTIMIZERS_SINCE``), or None (it has one, or chainer is not
        installed: the adapter then says so)."""
        return _added_later(self.installed_version() if version is None else version,
                            OPTIMIZERS_SINCE, subject, "optimizers",
                            "absent in 5.4.0 and 6.7.0, present in 7.8.1")


def _added_later(version, table, subject, module, checked):
    """Why chainer ``version`` lacks ``subject``, which ``table`` ({subject: (name, major
    version that added it)}) says came in a later chainer.``module``; None if it has it, or
    if chainer is not installed (``version`` None)."""
    if version is None or subject not in table:
        return None
    name, since = table[subject]
    if _major(version) >= since:
        return None
    return (f"chainer {version} has no chainer.{module}.{name} (added in chainer {since}; "
            f"{checked})")


def _major(version):
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        raise ValueError(f"cannot parse chainer version={version!r}") from None


plugin = ChainerPlugin()
