"""Hypothesis strategies of the normalisation and regularisation subjects (issue 17): batch,
layer, group and local response normalisation, embedding lookups, dropout, and the cases of
the normalisation layers.

Conventions as ``layer_strategies`` (keyword-only arguments, labelled draws, values on the
grid of 1/32 or distinct multiples of 1/8, exact in every dtype). API features read here
(``Plugin.features``):

- ``norm_optional_affine``: the normalisation functions take gamma/beta None (torch); else
  both are always given (chainer's functions need them).
- ``layer_norm_trailing_axes``: layer normalisation of any rank over its last
  ``normalized_ndim`` axes (torch ``normalized_shape``); else a 2-D input over its last axis
  (chainer ``F.layer_normalization``).
- ``embed_padding_idx`` / ``embed_ignore_label``: an embedding's special id is torch's
  ``padding_idx`` (a row index, negative counted from the end) or chainer's ``ignore_label``
  (any id, -1 the usual one).

Inputs that one framework refuses on purpose (one value per channel, ratio 1, negative ids)
are behaviour cases (``conformance.behaviours.normalization``), never drawn here.
"""
import math

import numpy
from hypothesis import assume
from hypothesis import strategies as st

from .layer_strategies import GRID, _generator, distinct_values, grid_values
from .strategies import Sample, composite

EPSILONS = st.sampled_from([None, None, 1e-3, 0.1])  # None: the framework's default


def _shape(draw, *, low_ndim, high_ndim, channels, label="x"):
    """(N, C, spatial...) with ``channels`` C."""
    ndim = draw(st.integers(low_ndim, high_ndim), label=f"{label}.ndim")
    batch = draw(st.integers(1, 3), label="batch")
    spatial = tuple(draw(st.integers(1, 3), label=f"spatial[{index}]")
                    for index in range(ndim - 2))
    return (batch, channels) + spatial


def _affine(draw, features, size, inputs):
    """gamma and beta of ``size`` into ``inputs``: both, or (where the API takes None) gamma
    alone or neither.

    Never beta without gamma: torch 2.13.0 fails there (``F.group_norm(x, 1, None, b)``'s
    backward raises RuntimeError 'tensor does not have a device'; the double backward of
    ``F.batch_norm(x, None, None, None, b, training=True)`` and ``F.layer_norm(x, (2,), None,
    b)`` raises 'Expected a proper Tensor but got None ... for argument #1 'other'', of
    ``F.group_norm(x, 1, None, b)`` "shape '[0]' is invalid for input of size 2"), while
    ``nn.BatchNorm``/``nn.GroupNorm(affine=False)`` and ``nn.LayerNorm(bias=False)`` never
    make that combination."""
    kinds = ("both", "gamma", "neither") if "norm_optional_affine" in features else ("both",)
    kind = draw(st.sampled_from(kinds[:1] * 2 + kinds[1:]), label="gamma and beta")
    if kind in ("both", "gamma"):
        inputs["gamma"] = draw(grid_values(shape=size, label="gamma"))
    if kind == "both":
        inputs["beta"] = draw(grid_values(shape=size, label="beta"))


def _eps(draw, kwargs):
    eps = draw(EPSILONS, label="eps")
    if eps is not None:
        kwargs["eps"] = eps


@composite
def batch_norm_samples(draw, *, features, fixed=False):
    """Training-mode batch normalisation (``fixed``: evaluation mode with given mean and
    variance) of x (N, C, ...) with at least two values per channel."""
    channels = draw(st.integers(1, 3), label="channels")
    shape = _shape(draw, low_ndim=2, high_ndim=4, channels=channels)
    assume(math.prod(shape) // channels >= 2)  # one value per channel: a behaviour case
    inputs = {"x": draw(distinct_values(shape=shape, label="x"))}
    kwargs = {}
    if fixed:  # chainer's fixed_batch_normalization needs gamma and beta
        inputs["gamma"] = draw(grid_values(shape=(channels,), label="gamma"))
        inputs["beta"] = draw(grid_values(shape=(channels,), label="beta"))
        kwargs["mean"] = draw(grid_values(shape=(channels,), label="mean", low=-1, high=1))
        kwargs["var"] = draw(grid_values(shape=(channels,), label="var", low=1 / GRID, high=2))
    else:
        _affine(draw, features, (channels,), inputs)
    _eps(draw, kwargs)
    return Sample(inputs, kwargs)


@composite
def layer_norm_samples(draw, *, features):
    """Layer normalisation over the last axes: any rank in torch's API, (N, D) in chainer's."""
    if "layer_norm_trailing_axes" in features:
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3), label="shape"))
        normalized_ndim = draw(st.integers(1, len(shape)), label="normalized_ndim")
        kwargs = {"normalized_ndim": normalized_ndim}
    else:
        shape = (draw(st.integers(1, 3), label="batch"), draw(st.integers(2, 5), label="size"))
        normalized_ndim, kwargs = 1, {}
    features_shape = shape[len(shape) - normalized_ndim:]
    assume(math.prod(features_shape) >= 2)
    inputs = {"x": draw(distinct_values(shape=shape, label="x"))}
    _affine(draw, features, features_shape, inputs)
    _eps(draw, kwargs)
    return Sample(inputs, kwargs)


@composite
def group_norm_samples(draw, *, features, policy):
    """Group normalisation of (N, C, ...) with C = groups * channels per group, at least two
    values per group, of at least the policy's ``group_norm_min_ndim`` axes."""
    groups = draw(st.integers(1, 3), label="groups")
    per_group = draw(st.integers(1, 2), label="channels per group")
    shape = _shape(draw, low_ndim=policy.group_norm_min_ndim, high_ndim=4,
                   channels=groups * per_group)
    assume(per_group * math.prod(shape[2:]) >= 2)
    inputs = {"x": draw(distinct_values(shape=shape, label="x"))}
    _affine(draw, features, (groups * per_group,), inputs)
    kwargs = {"groups": groups}
    _eps(draw, kwargs)
    return Sample(inputs, kwargs)


@composite
def lrn_samples(draw, *, features):
    """Local response normalisation of (N, C, H[, W]) with window sizes even and odd (the
    even ones tell the window rules apart), alpha large enough to matter, k default or
    given."""
    channels = draw(st.integers(1, 6), label="channels")
    shape = _shape(draw, low_ndim=3, high_ndim=4, channels=channels)
    assume(math.prod(shape) <= 160)
    kwargs = {"n": draw(st.integers(1, 6), label="n"),
              "alpha": draw(st.sampled_from([1e-4, 0.1, 0.5, 1.0]), label="alpha"),
              "beta": draw(st.sampled_from([0.5, 0.75, 1.0]), label="beta")}
    k = draw(st.sampled_from([None, None, 0.5, 2.0]), label="k")
    if k is not None:
        kwargs["k"] = k
    return Sample({"x": draw(grid_values(shape=shape, label="x"))}, kwargs)


def _embed_table(draw, features):
    """(W, integer ids, the special id or None) of an embedding lookup."""
    rows = draw(st.integers(2, 5), label="rows")
    width = draw(st.integers(1, 3), label="d")
    ids_shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2), label="ids shape"))
    generator = _generator(draw, "ids")
    ids = generator.integers(0, rows, size=ids_shape)
    label = None
    if "embed_padding_idx" in features and draw(st.booleans(), label="padding_idx given"):
        label = draw(st.integers(-rows, rows - 1), label="padding_idx")
    elif "embed_ignore_label" in features and draw(st.booleans(), label="ignore_label given"):
        label = draw(st.sampled_from([-1, "row"]), label="ignore_label")
        if label == "row":
            label = draw(st.integers(0, rows - 1), label="ignored row")
        else:
            ids = numpy.where(generator.random(ids_shape) < 0.3, -1, ids)
    return draw(grid_values(shape=(rows, width), label="W")), ids.astype(numpy.int32), label


@composite
def embed_samples(draw, *, features):
    """An embedding lookup: W (rows, d), integer ids of 1 or 2 axes, and the API's special
    id: torch's ``padding_idx`` (a row, maybe negative) or chainer's ``ignore_label`` (-1,
    placed among the ids, or a row).

    torch's padding row is left out of the ids here: its forward uses W[padding_idx] while its
    gradient is 0 by design, so central differences (this property's second oracle) would
    disagree; the ``EmbedID`` layer run (refimpl the only oracle) looks it up."""
    W, ids, label = _embed_table(draw, features)
    if label is not None and "embed_padding_idx" in features:
        row = label % W.shape[0]
        ids = numpy.where(ids == row, (row + 1) % W.shape[0], ids).astype(numpy.int32)
    kwargs = {"x": ids}
    if label is not None:
        kwargs["ignore_label"] = label
    return Sample({"W": W}, kwargs)


@composite
def embed_layer_cases(draw, *, features):
    """An embedding layer (torch ``nn.Embedding(rows, d, padding_idx)``, chainer
    ``L.EmbedID(rows, d, ignore_label)``) built from a given W: the special id is among the
    ids (its row looked up by torch, zeros in chainer; no gradient in either)."""
    W, ids, label = _embed_table(draw, features)
    if label is not None and "embed_padding_idx" in features:
        ids.flat[0] = label % W.shape[0]
    gy = draw(grid_values(shape=ids.shape + (W.shape[1],), label="gy"))
    return {"W": W, "ids": ids, "ignore_label": label, "gy": gy}


#: Elements of a dropout example: enough for the binomial bound to have power (a keep ratio
#: off by 0.1 is caught with probability > 0.99 at every drawn ratio).
DROPOUT_ELEMENTS = 2000


@composite
def dropout_samples(draw, *, features):
    """Dropout of x with elements of magnitude in [0.5, 2] (never 0: a kept element is told
    from a dropped one by its value), ratio in [0, 0.9], training on or off."""
    rows = draw(st.sampled_from([40, 50, 80]), label="rows")
    shape = (rows, DROPOUT_ELEMENTS // rows)
    generator = _generator(draw, "x")
    magnitude = generator.integers(GRID // 2, 2 * GRID + 1, size=shape) / GRID
    x = magnitude * generator.choice([-1.0, 1.0], size=shape)
    ratio = draw(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9]), label="ratio")
    train = draw(st.integers(0, 4), label="train") > 0
    return Sample({"x": x}, {"ratio": ratio, "train": train})


#: Elements of an rrelu-in-training example: about half are negative, enough for the
#: Hoeffding bounds on the slopes' mean and variance to have power
#: (``conformance/properties/test_rrelu.py``).
RRELU_ELEMENTS = 2000


@composite
def rrelu_training_samples(draw, *, features):
    """rrelu of x with elements of magnitude in [0.5, 2] and random sign (never 0: the slope
    of an element is y / x; 0 is a behaviour case, ``rrelu_zero_input``), lower < upper < 1
    (chainer's bounds; the defaults 1/8 and 1/3 among them), training on or off."""
    rows = draw(st.sampled_from([40, 50, 80]), label="rows")
    shape = (rows, RRELU_ELEMENTS // rows)
    generator = _generator(draw, "x")
    magnitude = generator.integers(GRID // 2, 2 * GRID + 1, size=shape) / GRID
    x = magnitude * generator.choice([-1.0, 1.0], size=shape)
    lower = draw(st.sampled_from([0.05, 0.125, 0.2]), label="lower")
    upper = draw(st.sampled_from([0.25, 1.0 / 3.0, 0.5, 0.75]), label="upper")
    train = draw(st.integers(0, 4), label="train") > 0
    return Sample({"x": x}, {"lower": lower, "upper": upper, "train": train})


# =============================================================================================
# Runs: cases of the normalisation layers
# =============================================================================================

def spread(x, groups_first):
    """``x`` with the first two members of every normalisation group set to -1 and +1, so
    that no group's standard deviation is small next to its values (max|x| / std <= 2
    sqrt(members)): a layer run is compared with the fixed tolerance of its quantity, while
    badly conditioned groups are the function cells' (conditioning-aware tolerances).
    ``groups_first(x)`` views ``x`` as (groups..., members)."""
    view = groups_first(x)
    view[..., 0], view[..., 1] = -1.0, 1.0
    return x


def spread_channels(x):
    """``spread`` over batch normalisation's groups (each channel across N and space)."""
    moved = numpy.ascontiguousarray(numpy.moveaxis(x, 1, 0))
    spread(moved, lambda a: a.reshape(a.shape[0], -1))
    return numpy.moveaxis(moved, 0, 1).copy()


@composite
def batch_norm_layer_cases(draw):
    """A BatchNormalization layer (given gamma/beta or none) over 1 to 3 training steps, then
    an evaluation step: eps and the running-average argument given or left to the default,
    or the cumulative average (torch ``momentum=None``, chainer ``finetune=True``)."""
    channels = draw(st.integers(1, 3), label="channels")
    shape = _shape(draw, low_ndim=2, high_ndim=4, channels=channels)
    assume(math.prod(shape) // channels >= 2)
    steps = draw(st.integers(1, 3), label="steps")
    options = {"eps": draw(EPSILONS, label="eps"),
               "average": draw(st.sampled_from([None, None, 0.3, 0.8]), label="average"),
               "affine": draw(st.booleans(), label="affine"),
               "cumulative": draw(st.integers(0, 3), label="cumulative") == 0}
    case = {"size": channels, "options": options,
            "xs": [spread_channels(draw(grid_values(shape=shape, label=f"x{step}")))
                   for step in range(steps)],
            "gys": [draw(grid_values(shape=shape, label=f"gy{step}")) for step in range(steps)],
            "eval_x": draw(grid_values(shape=shape, label="eval_x"))}
    if options["affine"]:
        case["gamma"] = draw(grid_values(shape=(channels,), label="gamma"))
        case["beta"] = draw(grid_values(shape=(channels,), label="beta"))
    return case


@composite
def layer_norm_layer_cases(draw):
    """A LayerNormalization layer over (N, size) with given gamma and beta; eps given or the
    layer's default."""
    size = draw(st.integers(2, 5), label="size")
    shape = (draw(st.integers(1, 3), label="batch"), size)
    x = spread(draw(grid_values(shape=shape, label="x")), lambda a: a)
    return {"size": size, "eps": draw(EPSILONS, label="eps"), "x": x,
            "gy": draw(grid_values(shape=shape, label="gy")),
            "gamma": draw(grid_values(shape=(size,), label="gamma")),
            "beta": draw(grid_values(shape=(size,), label="beta"))}


@composite
def group_norm_layer_cases(draw):
    """A GroupNormalization layer over (N, C, ...) with given gamma and beta (3 or 4 axes:
    chainer 5.4.0 takes no fewer; (N, C) is drawn for the function)."""
    groups = draw(st.integers(1, 3), label="groups")
    channels = groups * draw(st.integers(1, 2), label="channels per group")
    shape = _shape(draw, low_ndim=3, high_ndim=4, channels=channels)
    assume(channels // groups * math.prod(shape[2:]) >= 2)
    eps = draw(st.sampled_from([None, 1e-3]), label="eps")
    x = spread(draw(grid_values(shape=shape, label="x")),
               lambda a: a.reshape(shape[0], groups, -1))
    return {"groups": groups, "size": channels, "eps": eps, "x": x,
            "gy": draw(grid_values(shape=shape, label="gy")),
            "gamma": draw(grid_values(shape=(channels,), label="gamma")),
            "beta": draw(grid_values(shape=(channels,), label="beta"))}
