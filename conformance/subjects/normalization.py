"""The normalisation and regularisation subjects (issue 17), as records of the one registry
(see ``conformance.subjects.layers`` for the record kinds):

- functions (family 'normalization', properties ``norm.values``/``norm.grad``/
  ``norm.double_backward``): ``batch_normalization`` (training mode), ``fixed_batch_normalization``
  (evaluation mode with given statistics), ``layer_normalization``, ``group_normalization``,
  ``local_response_normalization``, ``embed_id``;
- ``dropout`` (family 'dropout', property ``dropout.statistics``: the mask tested
  statistically, ``properties/test_dropout.py``);
- ``rrelu_training`` (family 'rrelu', property ``rrelu.statistics``: the random slopes tested
  statistically, ``properties/test_rrelu.py``);
- layers (kind 'layer', property ``norm.layer``): ``BatchNormalization`` (training steps with
  running statistics, then evaluation), ``EmbedID``, ``LayerNormalization``,
  ``GroupNormalization``.

Strategies: ``conformance.subjects.norm_strategies``; bindings: each plugin's layers module.
"""
import dataclasses

# absolute imports: ``from . import ...`` would import the package back
import conformance.subjects.norm_strategies as N
from conformance.subjects.layers import Functional, Run

from .core import register


def _samples(strategy, **options):
    return lambda features: strategy(features=features, **options)


@dataclasses.dataclass(frozen=True)
class PolicyFunctional(Functional):
    """A ``Functional`` whose samples depend on the policy too (``samples(features,
    policy)``): what a framework version accepts (``group_norm_min_ndim``)."""

    def strategy(self, api):
        return self.samples(api.features, api.policy)


for _record in [
    Functional("batch_normalization", family="normalization",
               samples=_samples(N.batch_norm_samples),
               doc="training-mode batch normalisation (batch statistics)"),
    Functional("fixed_batch_normalization", family="normalization",
               samples=_samples(N.batch_norm_samples, fixed=True),
               doc="evaluation-mode batch normalisation with given mean and variance"),
    Functional("layer_normalization", family="normalization",
               samples=_samples(N.layer_norm_samples)),
    PolicyFunctional("group_normalization", family="normalization",
                     samples=lambda features, policy: N.group_norm_samples(features=features,
                                                                           policy=policy)),
    Functional("local_response_normalization", family="normalization",
               samples=_samples(N.lrn_samples),
               doc="the APIs' window size, alpha and k, mapped by the policy"),
    Functional("embed_id", family="normalization", samples=_samples(N.embed_samples),
               doc="embedding lookup with a padding index or an ignored label"),
    Functional("dropout", family="dropout", samples=_samples(N.dropout_samples),
               doc="inverted dropout, training on or off"),
    Functional("rrelu_training", family="rrelu", samples=_samples(N.rrelu_training_samples),
               doc="rrelu's random slopes in training (the registry's rrelu is evaluation "
                   "mode), training on or off"),
    Run("BatchNormalization", family="normalization", properties=("norm.layer",),
        cases=lambda features: N.batch_norm_layer_cases(),
        doc="BatchNorm1d/2d / L.BatchNormalization: training steps, running statistics, "
            "evaluation"),
    Run("EmbedID", family="normalization", properties=("norm.layer",),
        cases=lambda features: N.embed_layer_cases(features=features),
        doc="nn.Embedding(padding_idx) / L.EmbedID(ignore_label) from a given W: the "
            "special id's output and the gradient of its row"),
    Run("LayerNormalization", family="normalization", properties=("norm.layer",),
        cases=lambda features: N.layer_norm_layer_cases(),
        doc="nn.LayerNorm / L.LayerNormalization with the layer's default eps"),
    Run("GroupNormalization", family="normalization", properties=("norm.layer",),
        cases=lambda features: N.group_norm_layer_cases(),
        doc="nn.GroupNorm / L.GroupNormalization"),
]:
    register(_record)
del _record
