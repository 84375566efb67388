"""PyTorch's bindings of the shape and maths ops of ``conformance/subjects/ops_shape2.py``
(issue 17), with refimpl's signature; re-exported by ``ops``. Argument forms are translated
here: NumPy's pad widths (one pair per axis from the first) become torch's flat list from the
last axis, 'edge' is torch's 'replicate'; torch has no weighted average, so ``average`` is its
port ``(x * w).sum(axis) / w.sum()``.
"""
import torch
import torch.nn.functional


def diagonal(x, offset=0, axis1=0, axis2=1):
    return torch.diagonal(x, offset, axis1, axis2)


def select_item(x, t):
    """chainer's select_item: ``x.gather(1, t[:, None])[:, 0]`` (gather takes int64)."""
    index = torch.as_tensor(t, device=x.device).long()
    return x.gather(1, index[:, None])[:, 0]


def scatter_add(a, b, indices):
    """chainer's scatter_add along axis 0: ``a.index_add(0, indices, b)``."""
    return a.index_add(0, torch.as_tensor(indices, device=a.device).long(), b)


def average(x, weights, axis=None, keepdims=False):
    """torch has no weighted mean (``torch.mean`` takes no weights): the port of chainer's
    ``F.average(x, axis, weights, keepdims)``."""
    if axis is None:
        return (x * weights).sum(dim=tuple(range(x.dim())), keepdim=keepdims) / weights.sum()
    shape = [1] * x.dim()
    shape[axis] = x.shape[axis]
    return (x * weights.reshape(shape)).sum(dim=axis, keepdim=keepdims) / weights.sum()


def normalize(x, eps=None, axis=1):
    options = {} if eps is None else {"eps": eps}
    return torch.nn.functional.normalize(x, p=2, dim=axis, **options)


def pad(x, pad_width, mode="constant", constant_values=0):
    """NumPy's pad_width -> torch's pad list (last axis first); 'edge' is 'replicate'; the
    non-constant modes pad only the axes after (N, C)."""
    first = 0 if mode == "constant" else 2
    widths = [int(w) for pair in reversed(pad_width[first:]) for w in pair]
    if mode == "constant":
        return torch.nn.functional.pad(x, widths, mode="constant", value=constant_values)
    return torch.nn.functional.pad(x, widths, mode={"edge": "replicate"}.get(mode, mode))


def depth2space(x, r):
    return torch.nn.functional.pixel_shuffle(x, r)


def space2depth(x, r):
    return torch.nn.functional.pixel_unshuffle(x, r)


def im2col(x, ksize, stride=1, pad=0, dilate=1):
    return torch.nn.functional.unfold(x, kernel_size=ksize, dilation=dilate, padding=pad,
                                      stride=stride)


def resize_images(x, output_shape, align_corners):
    return torch.nn.functional.interpolate(x, size=tuple(output_shape), mode="bilinear",
                                           align_corners=align_corners)


def affine_grid(theta, output_shape):
    """torch takes the output size as (N, C, H, W): C is not used."""
    return torch.nn.functional.affine_grid(theta, (theta.shape[0], 1) + tuple(output_shape))


def grid_sample(x, grid):
    return torch.nn.functional.grid_sample(x, grid)


__all__ = ["affine_grid", "grid_sample", "average", "depth2space", "diagonal", "im2col", "normalize", "pad", "resize_images",
           "scatter_add", "select_item", "space2depth"]
