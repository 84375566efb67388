"""The layer-level subjects as data: functions, stateful layers, optimizers, serializers.

One record per subject, framework-neutral (how each framework calls it is its plugin's
binding: ``Plugin.layers_module``, read through ``conformance.checks.layers``):

- ``Functional`` (kind 'function'): a layer-level function with refimpl's signature (conv2d,
  pooling, linear, the losses), evaluated as registry ops are (values, vector-Jacobian
  products, second order).
- ``Run`` (kind 'layer'): a stateful scenario (a Linear layer built from given weights, a
  recurrent layer over a sequence) ``run(case) -> {name: array}``.
- ``Optimizer`` (kind 'optimizer'): an optimizer family over a few steps.
- ``Serializer`` (kind 'serializer'): a save/load round trip of a small network.

A subject that is one API's own (torch's ``mse_loss``, chainer's ``mean_squared_error``)
names the API ``feature`` it needs (``Plugin.features``), never a framework: a framework
without the feature has no cell of it, and the reference's cells run under the policy of a
framework that has it. A subject whose very name is one framework's (``chainer_lstm``) is
declared by that framework's plugin (its layers module's ``subjects()``) and registered on
first use (``conformance.checks.layers.layer_entries``).

Tolerances: functional subjects use the dtype's base tolerance for the quantity
(``conformance.checks.tolerances``), with ``atol`` raised to the dot-product error bound for the
``bilinear`` ones (their sums have up to a few hundred terms; see
``conformance.properties.layers``); a run uses its ``quantity``'s tolerance; an optimizer
step the 'value' tolerance times the number of steps (``properties/test_optim.py``).
"""
import dataclasses
from typing import Callable

# an absolute import: ``from . import layer_strategies`` would import the package back
import conformance.subjects.layer_strategies as L

from .core import Entry, register

FUNCTIONAL_FAMILIES = ("conv", "pooling", "linear", "loss")


@dataclasses.dataclass(frozen=True)
class Functional(Entry):
    """A layer-level function.

    - ``family``: its property module ('conv', 'pooling', 'linear', 'loss').
    - ``samples``: ``features -> strategy`` of ``strategies.Sample`` for an API of
      ``features`` (``Adapter.features``).
    - ``feature``: the API feature it needs (None: every framework has it).
    - ``bilinear``: its sums have many terms (conv, linear): atol is raised to the
      dot-product error bound ``n u max|S|`` (reason: the base tolerances assume few terms).
    """

    family: str = ""
    samples: Callable = None
    feature: str = None
    bilinear: bool = False
    doc: str = ""
    kind: str = dataclasses.field(default="function", init=False)

    def strategy(self, api):
        """The samples drawn for a call through an API of ``api.features`` (as
        ``OpEntry.strategy``)."""
        return self.samples(api.features)


@dataclasses.dataclass(frozen=True)
class Run(Entry):
    """A stateful layer scenario; ``cases``: ``features -> strategy`` of case dicts;
    ``properties``: the properties it has cells in."""

    family: str = ""
    properties: tuple = ()
    cases: Callable = None
    doc: str = ""
    kind: str = dataclasses.field(default="layer", init=False)


@dataclasses.dataclass(frozen=True)
class Optimizer(Entry):
    """An optimizer family (each framework's class: its ``OPTIMIZERS`` binding);
    ``properties``: the properties it has cells in ('serialization.optimizer' too where its
    state is saved and loaded)."""

    family: str = "optim"
    properties: tuple = ("optim.step", "optim.trajectory")
    doc: str = ""
    kind: str = dataclasses.field(default="optimizer", init=False)


@dataclasses.dataclass(frozen=True)
class Serializer(Entry):
    """A save/load scenario of the small network; ``porting``: the exporter is another
    framework (with another layout) than the importer."""

    family: str = "module"
    properties: tuple = ("serialization.module",)
    porting: bool = False
    doc: str = ""
    kind: str = dataclasses.field(default="serializer", init=False)


def _conv(transposed):
    return lambda features: L.conv_samples(features=features, transposed=transposed)


def _pooling(kind):
    return lambda features: L.pooling_samples(features=features, kind=kind)


def _loss(subject):
    return lambda features: L.loss_samples(subject=subject)


for _record in [
    Functional("conv2d", family="conv", samples=_conv(False), bilinear=True),
    Functional("conv_transpose2d", family="conv", samples=_conv(True), bilinear=True),
    Functional("max_pooling_2d", family="pooling", samples=_pooling("max")),
    Functional("average_pooling_2d", family="pooling", samples=_pooling("average")),
    Functional("linear", family="linear",
               samples=lambda features: L.linear_samples(features=features), bilinear=True),
    Functional("mse_loss", family="loss", samples=_loss("mse_loss"), feature="mse_loss"),
    Functional("binary_cross_entropy_with_logits", family="loss",
               samples=_loss("binary_cross_entropy_with_logits"),
               feature="binary_cross_entropy_with_logits"),
    Functional("cross_entropy", family="loss", samples=_loss("cross_entropy"),
               feature="cross_entropy"),
    Functional("mean_squared_error", family="loss", samples=_loss("mean_squared_error"),
               feature="mean_squared_error"),
    Functional("sigmoid_cross_entropy", family="loss", samples=_loss("sigmoid_cross_entropy"),
               feature="sigmoid_cross_entropy"),
    Functional("softmax_cross_entropy", family="loss", samples=_loss("softmax_cross_entropy"),
               feature="softmax_cross_entropy"),
    Run("Linear", family="linear", properties=("linear.layer",),
        cases=lambda features: L.linear_layer_cases(features=features),
        doc="a Linear layer built from given W (and b): output and gradients"),
    *[Run(name, family="rnn", properties=("rnn.values", "rnn.grad"),
          cases=(lambda subject: lambda features: L.rnn_cases(subject=subject))(name),
          doc="nn.RNN/nn.LSTM-style layer with given weights")
      for name in ("rnn_tanh", "rnn_relu", "lstm")],
    Optimizer("sgd"), Optimizer("momentum_sgd", properties=(
        "optim.step", "optim.trajectory", "serialization.optimizer")),
    Optimizer("nesterov"),
    Optimizer("adam", properties=("optim.step", "optim.trajectory", "serialization.optimizer")),
    Optimizer("adamw"), Optimizer("amsgrad"), Optimizer("adabound"), Optimizer("amsbound"),
    Optimizer("rmsprop"), Optimizer("rmsprop_graves"), Optimizer("adagrad"),
    Optimizer("weight_decay", doc="weight decay as an argument or as a hook"),
    Optimizer("gradient_clipping", doc="gradient norm clipping before the step, or as a hook"),
    # issue 17 (optimizers): AdaDelta, SMORMS3 and the corrected momentum form
    Optimizer("adadelta"), Optimizer("smorms3"),
    Optimizer("corrected_momentum_sgd", doc="momentum with lr outside the velocity: p += lr v, "
                                            "v = mu v - g"),
    Serializer("round_trip",
               doc="the framework exports, the reference relays, the framework loads"),
    Serializer("ported", porting=True,
               doc="another framework exports, the reference relays in this one's layout, "
                   "it loads"),
]:
    register(_record)
del _record
