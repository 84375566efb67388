"""MyGrad as a framework of the conformance harness: the plugin (data only).

Installed as its own distribution (``plugins/conformance-mygrad``); the harness finds it
through the entry point ``mygrad = "conformance_mygrad:plugin"`` of the group
``conformance.frameworks``. ``mygrad`` itself is imported by ``adapter``/``ops`` only, so
the harness can list this plugin where MyGrad is not installed.
"""
import os

from conformance.frameworks.base import Plugin

#: API features (what a call can express): NumPy-style basic indexing takes negative slice
#: steps (``x[::-1]`` is differentiable in MyGrad); tensors take NumPy arrays and scalars as
#: operands (``x + numpy.float64(2.0)``). Not ``reduction_keepdims_everywhere``:
#: ``mygrad.argmax``/``argmin`` take no ``keepdims`` and there is no public logsumexp.
OP_FEATURES = frozenset({"negative_slice_steps", "numpy_operands"})
LAYER_FEATURES = frozenset()
#: What the engine can do. None of the optional ones: MyGrad 2.5.0 has no double backprop
#: (a gradient is a NumPy array, never a Tensor with a graph), no functional ``grad()``
#: (only ``Tensor.backward``), no per-tensor ``retain_grad`` (every non-constant tensor of
#: the graph gets ``.grad`` on each backward) and no ``retain_graph`` (backward always
#: clears the graph).
ENGINE_CAPABILITIES = frozenset()
#: Why the engine lacks a capability (skip reasons); others get a generic reason.
ENGINE_ABSENT = {
    "double_backprop": "mygrad 2.5.0 has no double backprop: Tensor.grad is a NumPy array "
                       "without a graph",
    "functional_grad": "mygrad 2.5.0 has no functional grad(outputs, inputs): only "
                       "Tensor.backward",
    "retain_graph": "mygrad 2.5.0 backward always clears the graph it went through (no "
                    "retain_graph option): see retain_graph.second_backward",
    "per_tensor_retain_grad": "mygrad 2.5.0 has no Tensor.retain_grad: every non-constant "
                              "intermediate gets .grad on every backward",
    "per_call_retain_grad": "mygrad 2.5.0 backward takes no retain_grad option: every "
                            "non-constant intermediate gets .grad on every backward",
    "detach": "mygrad 2.5.0 Tensor has no detach (mygrad.tensor(x, constant=True) copies)",
    "unchain": "mygrad 2.5.0 Tensor has no unchain (Tensor.clear_graph clears the whole graph)",
}

_NO_SPLIT = ("mygrad 2.5.0 has no split (no mygrad.split/array_split; slicing with "
             "getitem stands in)")

# Ops whose name appears in refimpl (and in the subjects) but not in MyGrad's public API.
OPS_ABSENT = {
    "topk": "mygrad 2.5.0 has no topk (mygrad.max/argmax select one element)",
    "sum_to": "mygrad 2.5.0 has no sum_to (reductions take axis/keepdims only)",
    "logsumexp": "mygrad 2.5.0 has no public logsumexp (mygrad.math._special.logsumexp is "
                 "private, used by nnet.logsoftmax)",
    "split": _NO_SPLIT,
}


#: The head of a standalone repro script (``str.format`` with ``device`` and ``policy``):
#: MyGrad and NumPy only. MyGrad has no ``grad()``: ``vjp`` runs one backward of
#: ``sum(y * g)`` (which clears the graph, as every MyGrad backward does).
REPRO_PRELUDE = '''import mygrad
import mygrad.nnet

DEVICE = {device!r}


def make(array, requires_grad=False):
    return mygrad.tensor(array, constant=not requires_grad)


def to_numpy(value):
    return numpy.array(value.data if isinstance(value, mygrad.Tensor) else value)


def is_float(value):
    return numpy.dtype(value.dtype).kind == "f"


def vjp(outputs, inputs, grad_outputs, create_graph=False):
    if create_graph:
        raise NotImplementedError("mygrad has no double backprop")
    total = None
    for y, g in zip(outputs, grad_outputs):
        term = mygrad.sum(y * g)
        total = term if total is None else total + term
    total.backward()
    return [None if x.grad is None else mygrad.tensor(x.grad) for x in inputs]


def op_sum(x):
    return mygrad.sum(x)
'''


class MyGradPlugin(Plugin):
    name = "mygrad"
    display_name = "MyGrad"
    distribution = "mygrad"
    policies = ("mygrad",)
    features = OP_FEATURES | LAYER_FEATURES
    capabilities = ENGINE_CAPABILITIES
    capabilities_absent = ENGINE_ABSENT
    grad_function = None
    ops_module = "conformance_mygrad.ops"
    ops_absent = OPS_ABSENT
    known_issues_file = os.path.join(os.path.dirname(__file__), "known_issues.toml")
    repro_prelude = REPRO_PRELUDE
    repro_imports = "import mygrad\nimport mygrad.nnet"

    def adapter(self, semantics=None):
        from .adapter import MyGradAdapter
        return MyGradAdapter(self)

    def policy_for(self, version):
        """Every MyGrad 2.x -> 'mygrad' (verified on 2.5.0)."""
        return "mygrad"

    def new_policies(self):
        """The refimpl policy 'mygrad' (``conformance_mygrad.policy.MYGRAD``)."""
        from .policy import MYGRAD
        return (MYGRAD,)


plugin = MyGradPlugin()
