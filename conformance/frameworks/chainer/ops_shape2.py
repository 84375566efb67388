"""Chainer's bindings of the shape and maths ops of ``conformance/subjects/ops_shape2.py``
(issue 17), with refimpl's signature; re-exported by ``ops``."""
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pkg_resources / numpy.distutils noise at import
    import chainer.functions as F


def diagonal(x, offset=0, axis1=0, axis2=1):
    return F.diagonal(x, offset, axis1, axis2)


def select_item(x, t):
    return F.select_item(x, t)


def scatter_add(a, b, indices):
    return F.scatter_add(a, indices, b)


def average(x, weights, axis=None, keepdims=False):
    return F.average(x, axis=axis, weights=weights, keepdims=keepdims)


def normalize(x, eps=None, axis=1):
    options = {} if eps is None else {"eps": eps}
    return F.normalize(x, axis=axis, **options)


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode == "constant":
        return F.pad(x, pad_width, mode, constant_values=constant_values)
    return F.pad(x, pad_width, mode)


def depth2space(x, r):
    return F.depth2space(x, r)


def space2depth(x, r):
    return F.space2depth(x, r)


def im2col(x, ksize, stride=1, pad=0, dilate=1):
    return F.im2col(x, ksize, stride, pad, dilate=dilate)


def resize_images(x, output_shape, align_corners):
    return F.resize_images(x, output_shape, align_corners=align_corners)


def affine_grid(theta, output_shape):
    return F.spatial_transformer_grid(theta, tuple(output_shape))


def grid_sample(x, grid):
    return F.spatial_transformer_sampler(x, grid)


__all__ = ["affine_grid", "grid_sample", "average", "depth2space", "diagonal", "im2col", "normalize", "pad", "resize_images",
           "scatter_add", "select_item", "space2depth"]
