"""Op records of the shape and maths breadth (issue 17, second slice): diagonal,
select_item, scatter_add, average (weights), normalize (L2), pad (constant; reflect and
edge), depth2space/space2depth (pixel shuffle) and im2col (unfold); with the sample
strategies only they use.

Records are framework-neutral (``ops.OpEntry``); each framework binds the op in its plugin's
``ops_module`` or lists it in ``ops_absent`` with the reason. Where chainer and torch differ,
a refimpl policy field models it (``normalize_eps_rule``, ``normalize_eps``,
``depth2space_channel_order``, ``im2col_layout``); the bindings translate argument forms
(torch's pad widths from the last axis, 'replicate' for 'edge').
"""
import numpy
from hypothesis import strategies as st

import conformance.subjects.strategies as S

from .core import register
from .ops import OpEntry

Domain, Sample = S.Domain, S.Sample


def _fixed(strategy):
    return lambda api: strategy


@S.composite
def diagonal_samples(draw):
    """``diagonal(x, offset, axis1, axis2)`` of a 2- or 3-d x, offsets within the sides."""
    shape = draw(S.shapes(min_dims=2, max_dims=3), label="shape")
    ndim = len(shape)
    axis1, axis2 = draw(st.permutations(range(ndim)), label="axes")[:2]
    if draw(st.booleans(), label="negative axes"):
        axis1, axis2 = axis1 - ndim, axis2 - ndim
    offset = draw(st.integers(-(shape[axis1] - 1), shape[axis2] - 1), label="offset")
    return Sample({"x": draw(S.arrays(shape=shape), label="x")},
                  {"offset": offset, "axis1": axis1, "axis2": axis2})


@S.composite
def select_item_samples(draw):
    """``select_item(x, t)``: x (N, C), labels t (N,) in [0, C) (int32: chainer's type)."""
    n, c = draw(st.integers(1, 4), label="N"), draw(st.integers(1, 3), label="C")
    labels = draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n), label="t")
    return Sample({"x": draw(S.arrays(shape=(n, c)), label="x")},
                  {"t": numpy.asarray(labels, dtype=numpy.int32)})


@S.composite
def scatter_add_samples(draw):
    """``scatter_add(a, b, indices)``: rows of b added at a[indices] (repeats drawn)."""
    rows = draw(st.integers(1, 4), label="rows of a")
    tail = draw(S.shapes(max_dims=1), label="row shape")
    count = draw(st.integers(1, 4), label="len(indices)")
    indices = draw(st.lists(st.integers(0, rows - 1), min_size=count, max_size=count),
                   label="indices")
    return Sample({"a": draw(S.arrays(shape=(rows,) + tail), label="a"),
                   "b": draw(S.arrays(shape=(count,) + tail), label="b")},
                  {"indices": numpy.asarray(indices, dtype=numpy.int32)})


WEIGHTS = Domain(0.25, 2.0)  # positive: the sum of weights stays away from 0


@S.composite
def average_samples(draw):
    """``average(x, axis, weights, keepdims)``: weights of x's shape (axis None) or of the
    axis's length; keepdims drawn."""
    shape = draw(S.shapes(min_dims=1), label="shape")
    axis = draw(st.none() | st.integers(-len(shape), len(shape) - 1), label="axis")
    weight_shape = shape if axis is None else (shape[axis],)
    return Sample({"x": draw(S.arrays(shape=shape), label="x"),
                   "weights": draw(S.arrays(shape=weight_shape, domain=WEIGHTS),
                                   label="weights")},
                  {"axis": axis, "keepdims": draw(st.booleans(), label="keepdims")})


NORMALIZE = Domain(0.3, 3.0)  # magnitudes: no zero vector (the norm's gradient is infinite)


@S.composite
def normalize_samples(draw):
    """``normalize(x, eps, axis)`` of a 2- or 3-d x of nonzero elements; eps drawn or left to
    the default (policy normalize_eps), axis drawn or 1."""
    shape = draw(S.shapes(min_dims=2), label="shape")
    magnitude = draw(S.arrays(shape=shape, domain=NORMALIZE), label="|x|")
    signs = draw(st.lists(st.sampled_from((-1.0, 1.0)), min_size=magnitude.size,
                          max_size=magnitude.size), label="signs")
    kwargs = {}
    if draw(st.booleans(), label="pass eps"):
        kwargs["eps"] = draw(st.sampled_from([1e-6, 1e-3, 0.1]), label="eps")
    if draw(st.booleans(), label="pass axis"):
        kwargs["axis"] = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    return Sample({"x": magnitude * numpy.reshape(signs, shape)}, kwargs)


@S.composite
def pad_samples(draw, *, modes):
    """``pad(x, pad_width, mode)`` in NumPy's form. 'constant': any axes (a value drawn or
    0); 'reflect'/'edge': only the last one or two axes of a (N, C, W) or (N, C, H, W) input
    (torch pads those only), pads smaller than the side (torch's reflect)."""
    mode = draw(st.sampled_from(modes), label="mode")
    if mode == "constant":
        shape = draw(S.shapes(min_dims=1), label="shape")
        padded_axes = range(len(shape))
    else:
        shape = draw(st.sampled_from([(1, 2, 3), (2, 1, 4), (1, 1, 2, 3), (1, 2, 3, 2)]),
                     label="shape")
        padded_axes = range(2, len(shape))
    pairs = [(0, 0)] * len(shape)
    for axis in padded_axes:
        limit = 2 if mode == "constant" else shape[axis] - 1
        pairs[axis] = (draw(st.integers(0, limit), label=f"before {axis}"),
                       draw(st.integers(0, limit), label=f"after {axis}"))
    kwargs = {"pad_width": tuple(pairs), "mode": mode}
    if mode == "constant" and draw(st.booleans(), label="pass constant_values"):
        kwargs["constant_values"] = draw(st.sampled_from([-1.5, 0.5, 2.0]), label="value")
    return Sample({"x": draw(S.arrays(shape=shape), label="x")}, kwargs)


@S.composite
def depth2space_samples(draw, *, inverse):
    """``depth2space(x, r)`` of (N, C r^2, H, W) or ``space2depth`` of (N, C, H r, W r)."""
    r = draw(st.integers(1, 2), label="r")
    n, c = draw(st.integers(1, 2), label="N"), draw(st.integers(1, 2), label="C")
    h, w = draw(st.integers(1, 2), label="H"), draw(st.integers(1, 2), label="W")
    shape = (n, c, h * r, w * r) if inverse else (n, c * r * r, h, w)
    return Sample({"x": draw(S.arrays(shape=shape), label="x")}, {"r": r})


@S.composite
def im2col_samples(draw):
    """``im2col(x, ksize, stride, pad, dilate)`` of a small (N, C, H, W) input (no
    cover_all): sizes drawn so that the kernel fits."""
    n, c = draw(st.integers(1, 2), label="N"), draw(st.integers(1, 2), label="C")
    h, w = draw(st.integers(1, 4), label="H"), draw(st.integers(1, 4), label="W")
    ksize = (draw(st.integers(1, 2), label="kh"), draw(st.integers(1, 2), label="kw"))
    stride = draw(st.sampled_from([1, 2, (1, 2)]), label="stride")
    pad = draw(st.sampled_from([0, 1, (0, 1)]), label="pad")
    dilate = draw(st.sampled_from([1, 1, 2]), label="dilate")
    padded = (h + 2 * (pad if isinstance(pad, int) else pad[0]),
              w + 2 * (pad if isinstance(pad, int) else pad[1]))
    extent = (dilate * (ksize[0] - 1) + 1, dilate * (ksize[1] - 1) + 1)
    if padded[0] < extent[0] or padded[1] < extent[1]:
        ksize, dilate = (1, 1), 1
    return Sample({"x": draw(S.arrays(shape=(n, c, h, w)), label="x")},
                  {"ksize": ksize, "stride": stride, "pad": pad, "dilate": dilate})


@S.composite
def resize_samples(draw):
    """``resize_images(x, output_shape, align_corners)`` of a small (N, C, H, W) input, up or
    down; ``align_corners`` always passed (the defaults differ: see the record)."""
    n, c = draw(st.integers(1, 2), label="N"), draw(st.integers(1, 2), label="C")
    shape = (n, c, draw(st.integers(1, 3), label="H"), draw(st.integers(1, 3), label="W"))
    output_shape = (draw(st.integers(1, 4), label="out_h"), draw(st.integers(1, 4),
                                                                  label="out_w"))
    return Sample({"x": draw(S.arrays(shape=shape), label="x")},
                  {"output_shape": output_shape,
                   "align_corners": draw(st.booleans(), label="align_corners")})


@S.composite
def affine_grid_samples(draw):
    """``affine_grid(theta, output_shape)``: theta (N, 2, 3), an output of 1-3 x 1-3 pixels."""
    n = draw(st.integers(1, 2), label="N")
    return Sample({"theta": draw(S.arrays(shape=(n, 2, 3)), label="theta")},
                  {"output_shape": (draw(st.integers(1, 3), label="H"),
                                    draw(st.integers(1, 3), label="W"))})


@S.composite
def grid_sample_samples(draw, *, policy):
    """``grid_sample(x, grid)``: points drawn as pixel coordinates u = k + f (k from -1 to
    W - 1, f in [0.1, 0.9]: never on a pixel row or column, where bilinear sampling has a
    kink; partly outside the image, where it reads zeros), converted to the normalised
    coordinates of ``policy`` (``spatial_align_corners``) in its grid layout
    (``spatial_grid_layout``)."""
    n, c = draw(st.integers(1, 2), label="N"), draw(st.integers(1, 2), label="C")
    height, width = draw(st.integers(2, 3), label="H"), draw(st.integers(2, 3), label="W")
    points = (n, draw(st.integers(1, 3), label="Ho"), draw(st.integers(1, 3), label="Wo"))
    generator = numpy.random.default_rng(draw(S.SEEDS, label="points"))
    coordinates = []
    for size in (width, height):  # x (columns) first, then y
        pixel = generator.integers(-1, size, size=points) + generator.uniform(0.1, 0.9, points)
        coordinates.append(2 * pixel / (size - 1) - 1 if policy.spatial_align_corners
                           else (2 * pixel + 1) / size - 1)
    grid = numpy.stack(coordinates, axis=-1 if policy.spatial_grid_layout == "channels_last"
                       else 1)
    return Sample({"x": draw(S.arrays(shape=(n, c, height, width)), label="x"), "grid": grid})


# --- the records ----------------------------------------------------------------------------

register(OpEntry("diagonal", op="diagonal", family="shape", saves_tensors=False,
                 samples=_fixed(diagonal_samples()),
                 doc="the diagonal of two axes, offset drawn (a view where views exist)"))
register(OpEntry("select_item", op="select_item", family="indexing",
                 samples=_fixed(select_item_samples()),
                 doc="x[n, t[n]] (gather along axis 1)"))
register(OpEntry("scatter_add", op="scatter_add", family="indexing", arity=2,
                 samples=_fixed(scatter_add_samples()),
                 doc="a + b's rows at a[indices], repeats adding up (index_add)"))
register(OpEntry("average", op="average", family="reduction", arity=2,
                 samples=_fixed(average_samples()),
                 doc="weighted mean, weights differentiated ((x * w).sum(axis) / w.sum())"))
register(OpEntry("normalize", op="normalize", family="elementwise",
                 samples=_fixed(normalize_samples()),
                 doc="L2 normalisation; eps rule and default: policy normalize_eps_rule, "
                     "normalize_eps"))
register(OpEntry("pad", op="pad", family="shape", saves_tensors=False,
                 samples=_fixed(pad_samples(modes=("constant",))),
                 doc="mode 'constant', NumPy's pad_width form"))
register(OpEntry("pad-reflect", op="pad", family="shape",
                 samples=_fixed(pad_samples(modes=("reflect", "edge"))),
                 doc="modes 'reflect' and 'edge' ('replicate') of the last 1-2 axes: "
                     "gradients add the copies"))
register(OpEntry("depth2space", op="depth2space", family="shape", saves_tensors=False,
                 samples=_fixed(depth2space_samples(inverse=False)),
                 doc="pixel shuffle; channel order: policy depth2space_channel_order"))
register(OpEntry("space2depth", op="space2depth", family="shape", saves_tensors=False,
                 samples=_fixed(depth2space_samples(inverse=True)),
                 doc="pixel unshuffle; channel order: policy depth2space_channel_order"))
register(OpEntry("im2col", op="im2col", family="shape", saves_tensors=False,
                 samples=_fixed(im2col_samples()),
                 doc="patches (c, ki, kj) per position; layout: policy im2col_layout"))
# defaults: align_corners True (chainer's resize_images) vs False (torch's interpolate); chainer
# 7.8.1's fails on NumPy >= 1.24, so no behaviour case observes its default here
register(OpEntry("resize_images", op="resize_images", family="shape", saves_tensors=False,
                 samples=_fixed(resize_samples()),
                 doc="bilinear resize, align_corners passed explicitly"))
register(OpEntry("affine_grid", op="affine_grid", family="shape", saves_tensors=False,
                 samples=_fixed(affine_grid_samples()),
                 doc="sampling grid of affine maps; layout and pixel-centre convention: "
                     "policy spatial_grid_layout, spatial_align_corners"))
register(OpEntry("grid_sample", op="grid_sample", family="indexing", arity=2,
                 samples=lambda api: grid_sample_samples(policy=api.policy),
                 kinks=("a point on a pixel row or column",),
                 doc="bilinear sampling, zeros outside; points drawn in the policy's layout "
                     "and convention"))
