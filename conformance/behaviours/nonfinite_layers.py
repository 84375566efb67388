"""Behaviour cases of non-finite output gradients (NaN, +-inf seeds) through bilinear, resize_images and grid_sample,
which ``scripts/probe_nonfinite_seeds.py`` found diverging from refimpl: each case records
what each framework gives, and refimpl models it."""
import numpy

from ..checks.layers import functional_call
from ..frameworks.base import NotSupported
from .core import behaviour, f32, record_grads


def _bilinear_either_layout(adapter, x1, x2, weight):
    """``bilinear(x1, x2, W)`` with ``weight`` (out, in1, in2) given as torch takes it, or,
    where that layout is refused (chainer), as (in1, in2, out). Returns (y, W)."""
    W = adapter.tensor(weight, requires_grad=True)
    try:
        return functional_call(adapter, "bilinear", x1, x2, W), W
    except NotSupported:
        raise
    except Exception:  # noqa: BLE001 - chainer's layout: InvalidType (refimpl: ValueError)
        W = adapter.tensor(numpy.ascontiguousarray(weight.transpose(1, 2, 0)),
                           requires_grad=True)
        return functional_call(adapter, "bilinear", x1, x2, W), W


@behaviour("bilinear_x2_gradient", ops=("bilinear",))
def bilinear_nonfinite_seed(adapter, record):
    """bilinear(x1 (2, 2), x2 (2, 3), W) from the output gradient [[inf, 1], [0.5, NaN]]:
    torch 2.13 (``_trilinear_backward``) forms the x2 gradient as ``sum_o gy[n, o] (x1
    W)[n, o, j]``, so row 0 is +-inf times the finite contraction ((x1 W)[0, 0] = [0.5, -1.5,
    0.75]: [inf, -inf, inf]); chainer 7.8.1 multiplies gy into each x1[n, i] W[i, j, o] before
    summing over i, so j = 0 (products 1 and -0.5) is inf - inf = NaN. The x1 and W
    gradients are alike."""
    weight = numpy.array([[[1.0, -1.0, 0.5], [1.0, 1.0, -0.5]],
                          [[0.5, 2.0, -1.0], [-0.25, 1.0, 1.5]]], dtype=numpy.float32)
    x1 = adapter.tensor(f32([[1.0, -0.5], [0.25, 2.0]]), requires_grad=True)
    x2 = adapter.tensor(f32([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), requires_grad=True)
    y, W = _bilinear_either_layout(adapter, x1, x2, weight)
    record("bilinear.y", y)
    adapter.seeded_backward(y, f32([[numpy.inf, 1.0], [0.5, numpy.nan]]))
    record_grads(adapter, record, "bilinear", x1=x1, x2=x2, W=W)


@behaviour(ops=("resize_images",))
def resize_images_nonfinite_seed(adapter, record):
    """Bilinear resize (torch ``F.interpolate(mode='bilinear')``) from infinite and NaN output
    gradients: torch 2.13's ``upsample_bilinear2d_backward`` adds ``weight * gy`` at each of
    the four taps of each output pixel, a zero weight included (0 * inf = NaN there, 0 at the
    pixels no tap reaches). 3x3 to 1x1 aligned: taps (0, 0) weight 1 and (0, 1), (1, 0), (1, 1)
    weight 0. 2x3 to 1x3: the width is copied, its second tap the same pixel with weight 0
    (NaN, not inf). 2x2 to 1x10 (rows weighted 1/2, 1/2): output column 2's source ``0.2 *
    2.5 - 0.5`` is one fused multiply-add, just above 0, so column 1 keeps a weight above 0
    (inf, not NaN)."""
    inf, nan = numpy.inf, numpy.nan
    calls = [("aligned_3x3_to_1x1", (3, 3), (1, 1), True, [[inf]]),
             ("copied_width_2x3_to_1x3", (2, 3), (1, 3), False, [[inf, 1.0, nan]]),
             ("fused_source_2x2_to_1x10", (2, 2), (1, 10), False,
              [[1.0, 0.5, inf, 1.0, 0.5, 1.0, 0.5, 1.0, 0.5, 1.0]])]
    for label, shape, output_shape, align_corners, seed in calls:
        values = numpy.arange(numpy.prod(shape), dtype=numpy.float32).reshape((1, 1) + shape)
        x = adapter.tensor(values / 4 - 1, requires_grad=True)
        y = adapter.call("resize_images", x, output_shape, align_corners)
        record(f"{label}.y", y)
        adapter.seeded_backward(y, f32([[seed]]))
        record_grads(adapter, record, label, x=x)


def _grid_sample_either_layout(adapter, image, points):
    """grid_sample of ``image`` at ``points`` (N, Ho, Wo, 2) given as torch takes them, or,
    where that layout is refused (chainer), as (N, 2, Ho, Wo). Returns (y, grid)."""
    grid = adapter.tensor(points, requires_grad=True)
    try:
        return adapter.call("grid_sample", image, grid), grid
    except NotSupported:
        raise
    except Exception:  # noqa: BLE001 - chainer's layout: InvalidType (refimpl: ValueError)
        grid = adapter.tensor(numpy.ascontiguousarray(points.transpose(0, 3, 1, 2)),
                              requires_grad=True)
        return adapter.call("grid_sample", image, grid), grid


@behaviour("grid_sample_gradient", ops=("grid_sample",))
def grid_sample_nonfinite_seed(adapter, record):
    """grid_sample of a 2-channel 2x3 image at a point far left of it, one inside and one
    across its right edge, from infinite output gradients. torch 2.13's kernel adds ``weight *
    gy`` at the taps inside the image only and gives the grid ``sum_c D_c gy_c`` times the
    scale (D_c the finite derivative in u or v; 0 * inf = NaN for the point outside, whose
    taps read 0). chainer 7.8.1 clips the point to the image padded by 1 and adds ``gy wu
    wv`` at all four taps, so the zero-weight tap on the left edge pixels gets NaN, and
    multiplies the grid gradient by the 0/1 mask of the unclipped coordinate (NaN outside).
    Neither sums gy over the taps before multiplying (which would give inf - inf)."""
    values = numpy.arange(12, dtype=numpy.float32).reshape(1, 2, 2, 3)
    image = adapter.tensor(values * numpy.float32(0.5) - 3, requires_grad=True)
    points = f32([[[[-3.0, 0.0], [0.125, -0.25], [1.25, 0.5]]]])
    y, grid = _grid_sample_either_layout(adapter, image, points)
    record("grid_sample.y", y)
    adapter.seeded_backward(y, f32([[[[numpy.inf, -numpy.inf, numpy.inf]],
                                     [[1.0, numpy.inf, 0.5]]]]))
    record_grads(adapter, record, "grid_sample", image=image, grid=grid)
