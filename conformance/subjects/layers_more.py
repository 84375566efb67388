"""The issue-17 layer subjects, as records of the one registry (record kinds:
``conformance.subjects.layers``):

- functions, family 'conv_nd' (properties ``conv_nd.values``/``.grad``/``.double_backward``):
  ``conv1d``, ``conv3d`` (torch ``F.conv1d``/``F.conv3d``, chainer ``F.convolution_1d``/
  ``F.convolution_3d``) and ``depthwise_conv2d`` (torch ``F.conv2d(groups=C)``, chainer
  ``F.depthwise_convolution_2d``: the weight layout is the policy field
  ``depthwise_weight_layout``);
- functions, family 'layer_function' (``layer_function.values``/``.grad``/
  ``.double_backward``): ``prelu`` (slope shapes and the gradient at 0 are policy fields),
  ``maxout`` (chainer only), ``bilinear`` (the weight layout and chainer's linear terms);
- runs, family 'layer' (property ``layer.run``: outputs and gradients of a layer built from
  given weights): ``conv2d_layer`` (grouped, depthwise, strided, dilated ``nn.Conv2d`` /
  ``L.Convolution2D``), ``conv1d_layer``/``conv3d_layer`` (``nn.Conv1d``/``nn.Conv3d`` /
  ``L.Convolution1D``/``L.Convolution3D``), ``dilated_conv2d_layer`` (``L.DilatedConvolution2D``),
  ``depthwise_conv2d_layer`` (``L.DepthwiseConvolution2D``), ``deconv2d_layer``
  (``nn.ConvTranspose2d`` / ``L.Deconvolution2D``, with an explicit output size: the field
  ``conv_transpose_output_size``), ``bilinear_layer`` (``nn.Bilinear`` / ``L.Bilinear``, one
  set of weights mapped to each layout), ``highway`` (chainer only);
- runs, family 'rnn' (``rnn.values``/``rnn.grad``, ``properties/test_rnn.py``):
  ``gru_cell`` (``nn.GRUCell`` / ``L.StatelessGRU``: the fields ``gru_cell_reset_gate`` and
  ``gru_cell_update_gate``), ``gru`` (``nn.GRU`` / ``L.NStepGRU``, weights mapped).

Strategies: ``conformance.subjects.layer_strategies_more``; bindings: each plugin's
``layers_more`` module.
"""
# absolute imports: ``from . import ...`` would import the package back
import conformance.subjects.layer_strategies_more as S
from conformance.subjects.layers import Functional, Run

from .core import register


def _samples(strategy, **options):
    return lambda features: strategy(features=features, **options)


def _cases(strategy, features_too=True):
    return (lambda features: strategy(features=features)) if features_too else \
        (lambda features: strategy())


for _record in [
    Functional("conv1d", family="conv_nd", samples=_samples(S.conv_nd_samples, spatial=1),
               bilinear=True, doc="1-D convolution: groups, stride, pad, dilation, cover_all"),
    Functional("conv3d", family="conv_nd", samples=_samples(S.conv_nd_samples, spatial=3),
               bilinear=True, doc="3-D convolution: groups, stride, pad, dilation, cover_all"),
    Functional("depthwise_conv2d", family="conv_nd", samples=_samples(S.depthwise_samples),
               bilinear=True, doc="depthwise convolution, W in the API's layout"),
    Functional("prelu", family="layer_function", samples=_samples(S.prelu_samples),
               doc="parametric ReLU, slopes in a shape the API takes (x off the kink at 0)"),
    Functional("maxout", family="layer_function", samples=_samples(S.maxout_samples),
               doc="maxout over runs of pool_size entries (distinct values: no ties)"),
    Functional("bilinear", family="layer_function", samples=_samples(S.bilinear_samples),
               bilinear=True, doc="the bilinear form, W in the API's layout"),
    Run("conv2d_layer", family="layer", properties=("layer.run",),
        cases=_cases(S.conv_layer_cases),
        doc="nn.Conv2d / L.Convolution2D from given W and b: groups (incl. depthwise), stride, "
            "pad, dilation"),
    *[Run(f"conv{n}d_layer", family="layer", properties=("layer.run",),
          cases=(lambda n: lambda features: S.conv_nd_layer_cases(features=features,
                                                                    spatial=n))(n),
          doc=f"nn.Conv{n}d / L.Convolution{n}D from given W and b: groups, stride, pad, "
              f"dilation") for n in (1, 3)],
    Run("dilated_conv2d_layer", family="layer", properties=("layer.run",),
        cases=_cases(S.dilated_conv_layer_cases),
        doc="nn.Conv2d(dilation=d) / L.DilatedConvolution2D(dilate=d) from given W and b"),
    Run("depthwise_conv2d_layer", family="layer", properties=("layer.run",),
        cases=_cases(S.depthwise_layer_cases),
        doc="nn.Conv2d(C, C m, k, groups=C) / L.DepthwiseConvolution2D(C, m, k), W in the API's "
            "layout"),
    Run("deconv2d_layer", family="layer", properties=("layer.run",),
        cases=_cases(S.deconv_layer_cases),
        doc="nn.ConvTranspose2d (output_size at call) / L.Deconvolution2D (outsize) from given "
            "W and b"),
    Run("bilinear_layer", family="layer", properties=("layer.run",),
        cases=_cases(S.bilinear_layer_cases),
        doc="nn.Bilinear / L.Bilinear from one set of weights mapped to each layout (V1 = V2 "
            "= 0 where the layer has linear terms)"),
    Run("highway", family="layer", properties=("layer.run",),
        cases=_cases(S.highway_cases, features_too=False),
        doc="L.Highway from given plain/transform weights"),
    Run("gru_cell", family="rnn", properties=("rnn.values", "rnn.grad"),
        cases=_cases(S.gru_cell_cases),
        doc="nn.GRUCell / L.StatelessGRU, nn.GRUCell's row blocks (r, z, n) mapped onto the "
            "links"),
    Run("gru", family="rnn", properties=("rnn.values", "rnn.grad"),
        cases=_cases(S.gru_cases, features_too=False),
        doc="nn.GRU / L.NStepGRU (L.NStepBiGRU) with the same weight blocks"),
]:
    register(_record)
del _record
