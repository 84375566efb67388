"""Gradcheck cases (``test_ops_gradcheck.py``) of the shape and maths ops of issue 17
(``conformance/subjects/ops_shape2.py``): each op against a NumPy reference written here with
index arithmetic (independently of refimpl's reshapes), on the registry's own samples."""
import numpy as np

import refimpl.functions as F


def _average(x, weights, **kwargs):
    """refimpl's average with the differentiated weights second (the registry's order)."""
    return F.average(x, weights=weights, **kwargs)


def _scatter_add(a, b, indices):
    result = a.copy()
    np.add.at(result, indices, b)
    return result


def _normalize(eps_default, rule):
    def reference(x, eps=None, axis=1):
        eps = eps_default if eps is None else eps
        norm = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
        return x / (np.maximum(norm, eps) if rule == "clamp" else norm + eps)
    return reference


def _pad(x, pad_width, mode="constant", constant_values=0):
    extra = {"constant_values": constant_values} if mode == "constant" else {}
    return np.pad(x, pad_width, mode=mode, **extra)


def _depth2space(block_major):
    def reference(x, r):
        n, depth, h, w = x.shape
        c = depth // (r * r)
        N, C, Y, X = np.indices((n, c, h * r, w * r))
        i, j = Y % r, X % r
        channel = (i * r + j) * c + C if block_major else C * r * r + i * r + j
        return x[N, channel, Y // r, X // r]
    return reference


def _space2depth(block_major):
    def reference(x, r):
        n, c, hr, wr = x.shape
        N, K, Y, X = np.indices((n, c * r * r, hr // r, wr // r))
        if block_major:
            C, block = K % c, K // c
        else:
            C, block = K // (r * r), K % (r * r)
        return x[N, C, Y * r + block // r, X * r + block % r]
    return reference


def _im2col(grid):
    def reference(x, ksize, stride=1, pad=0, dilate=1):
        pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
        (kh, kw), (sy, sx), (ph, pw), (dy, dx) = map(pair, (ksize, stride, pad, dilate))
        padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        n, c = x.shape[:2]
        oh = (padded.shape[2] - dy * (kh - 1) - 1) // sy + 1
        ow = (padded.shape[3] - dx * (kw - 1) - 1) // sx + 1
        N, K, Y, X = np.indices((n, c * kh * kw, oh, ow))
        C, ki, kj = K // (kh * kw), (K % (kh * kw)) // kw, K % kw
        out = padded[N, C, Y * sy + ki * dy, X * sx + kj * dx]
        return out if grid else out.reshape(n, c * kh * kw, oh * ow)
    return reference


def _resize(x, output_shape, align_corners):
    """Bilinear interpolation pixel by pixel of the output (torch's formulas)."""
    n, c, h, w = x.shape
    out_h, out_w = output_shape

    def source(size_in, size_out):
        i = np.arange(size_out, dtype=float)
        if align_corners:
            return i * ((size_in - 1) / (size_out - 1) if size_out > 1 else 0.0)
        return np.maximum((i + 0.5) * size_in / size_out - 0.5, 0.0)
    sy, sx = source(h, out_h)[:, None], source(w, out_w)[None, :]
    y0, x0 = np.floor(sy).astype(int), np.floor(sx).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = sy - y0, sx - x0
    return ((1 - fy) * (1 - fx) * x[..., y0, x0] + (1 - fy) * fx * x[..., y0, x1]
            + fy * (1 - fx) * x[..., y1, x0] + fy * fx * x[..., y1, x1])


def _affine_grid(aligned, channels_first):
    def reference(theta, output_shape):
        height, width = output_shape
        def centres(size):
            return np.linspace(-1, 1, size) if aligned else (2 * np.arange(size) + 1) / size - 1
        ys, xs = np.meshgrid(centres(height), centres(width), indexing="ij")
        points = np.stack([xs, ys, np.ones_like(xs)], axis=-1)  # (H, W, 3)
        grid = np.einsum("hwk,njk->nhwj", points, theta)
        return grid.transpose(0, 3, 1, 2) if channels_first else grid
    return reference


def _grid_sample(aligned, channels_first):
    def reference(x, grid):
        if channels_first:
            grid = grid.transpose(0, 2, 3, 1)
        n, c, height, width = x.shape
        gx, gy = grid[..., 0], grid[..., 1]
        u = (gx + 1) * (width - 1) / 2 if aligned else ((gx + 1) * width - 1) / 2
        v = (gy + 1) * (height - 1) / 2 if aligned else ((gy + 1) * height - 1) / 2
        out = np.zeros((n, c) + grid.shape[1:3])
        for b in range(n):  # a plain loop: the reference is written for clarity
            for i in range(grid.shape[1]):
                for j in range(grid.shape[2]):
                    for row in (np.floor(v[b, i, j]), np.floor(v[b, i, j]) + 1):
                        for col in (np.floor(u[b, i, j]), np.floor(u[b, i, j]) + 1):
                            weight = (1 - abs(v[b, i, j] - row)) * (1 - abs(u[b, i, j] - col))
                            if 0 <= row < height and 0 <= col < width:
                                out[b, :, i, j] += weight * x[b, :, int(row), int(col)]
        return out
    return reference


REFERENCES = {
    "diagonal": [("diagonal", F.diagonal, lambda x, **k: np.diagonal(
        x, k.get("offset", 0), k.get("axis1", 0), k.get("axis2", 1)))],
    "select_item": [("select_item", F.select_item, lambda x, t: x[np.arange(len(t)), t])],
    "scatter_add": [("scatter_add", F.scatter_add, _scatter_add)],
    "average": [("average", _average, lambda x, w, axis=None, keepdims=False: np.average(
        x, axis=axis, weights=w, keepdims=keepdims))],
    "normalize": [("normalize", F.normalize, _normalize(1e-12, "clamp"), "torch"),
                  ("normalize", F.normalize, _normalize(1e-5, "add"), "chainer")],
    "pad": [("pad", F.pad, _pad)],
    "pad-reflect": [("pad-reflect", F.pad, _pad)],
    "depth2space": [("depth2space", F.depth2space, _depth2space(False), "torch"),
                    ("depth2space", F.depth2space, _depth2space(True), "chainer")],
    "space2depth": [("space2depth", F.space2depth, _space2depth(False), "torch"),
                    ("space2depth", F.space2depth, _space2depth(True), "chainer")],
    "resize_images": [("resize_images", F.resize_images, _resize)],
    "affine_grid": [("affine_grid", F.affine_grid, _affine_grid(False, False), "torch"),
                    ("affine_grid", F.affine_grid, _affine_grid(True, True), "chainer")],
    "grid_sample": [("grid_sample", F.grid_sample, _grid_sample(False, False), "torch"),
                    ("grid_sample", F.grid_sample, _grid_sample(True, True), "chainer")],
    "im2col": [("im2col", F.im2col, _im2col(False), "torch"),
               ("im2col", F.im2col, _im2col(True), "chainer")],
}


def cases(op_case, sample):
    """{subject: [OpCase]} on the registry's samples (as ``ops_math_cases.cases``)."""
    from tests.refimpl.ops_math_cases import REFERENCES as _unused  # noqa: F401 (same helper)
    from tests.refimpl import ops_math_cases
    saved = ops_math_cases.REFERENCES
    try:
        ops_math_cases.REFERENCES = REFERENCES
        return ops_math_cases.cases(op_case, sample)
    finally:
        ops_math_cases.REFERENCES = saved
