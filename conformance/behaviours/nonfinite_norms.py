"""Behaviour cases of non-finite output gradients (NaN, +-inf seeds) through batch, layer and group normalisation,
which ``scripts/probe_nonfinite_seeds.py`` found diverging from refimpl: each case records
what each framework gives, and refimpl models it.

The frameworks' backward kernels sum the output gradient per channel, row or group once and
form each element's gradient from those sums, so an infinite output gradient gives inf of
either sign or NaN by the signs of the terms that meet, where a composite's gradient is NaN
throughout the channel. The inputs avoid a mean of exactly 0 and an element equal to its
mean: there torch's layer_norm and group_norm read rounding residues (their Welford mean, an
FMA-contracted ``rstd * x - rstd * mean``) that refimpl does not model."""
import numpy

from ..checks.layers import functional_call
from .core import behaviour, record_grads

_INF, _NAN = numpy.inf, numpy.nan


def _seeded(adapter, record, label, subject, x, gamma, beta, seeds, *args, **options):
    """``subject(x, *args, gamma, beta, **options)`` from fresh leaves, backpropagated from
    each seed of ``seeds`` (name: seed); records the output and the three gradients."""
    for name, seed in seeds.items():
        leaves = [adapter.tensor(numpy.array(v, dtype=numpy.float64), requires_grad=True)
                  for v in (x, gamma, beta)]
        y = functional_call(adapter, subject, leaves[0], *args, leaves[1], leaves[2], **options)
        record(f"{label}.{name}", y)
        adapter.seeded_backward(y, numpy.array(seed))
        record_grads(adapter, record, f"{label}.{name}", x=leaves[0], gamma=leaves[1],
                     beta=leaves[2])


@behaviour(ops=("batch_normalization",))
def batch_normalization_nonfinite_seed(adapter, record):
    """batch_normalization of x (3, 2, 2) from output gradients with +inf in channel 0, and
    with -inf in channel 0 and NaN in channel 1: torch's batch_norm_backward (``(gy - mean(gy)
    - (x - mean) k) invstd w``) and chainer's BatchNormalizationGrad (``gamma inv_std (gy -
    (x_hat ggamma + gbeta) / m)``) give -inf or NaN in channel 0 by the sign of (x - mean)
    (x_k - mean), gamma's gradient inf, beta's inf; the NaN makes its channel NaN."""
    x = [[[0.5, -1.0], [2.0, 0.25]], [[1.5, 3.0], [-0.5, 1.0]], [[-2.0, 0.75], [0.0, -1.5]]]
    seed = numpy.array([[[_INF, 1.0], [0.5, -1.0]], [[2.0, -0.5], [1.0, 0.25]],
                        [[-1.0, 1.5], [0.75, 2.0]]])
    mixed = seed.copy()
    mixed[0, 0, 0], mixed[1, 0, 1], mixed[2, 1, 0] = 1.0, -_INF, _NAN
    _seeded(adapter, record, "batch_normalization", "batch_normalization", x, [1.5, -0.5],
            [0.25, 0.0], {"inf": seed, "mixed": mixed}, eps=1e-3)


@behaviour("layer_norm_gradient", ops=("layer_normalization",))
def layer_normalization_nonfinite_seed(adapter, record):
    """layer_normalization of x (3, 4) over its rows from an output gradient with +inf in row
    0, -inf in row 1 and NaN in row 2. torch 2.13 (``dx = rstd gy gamma + b x + c`` from the
    uncentred sums of gy gamma x and gy gamma): b and c infinite, so -inf at row 0's other
    negative x (mean > 0), +inf at row 1's other positive x (mean < 0), NaN elsewhere. chainer
    7.8.1 (LayerNormalization's composite backward): NaN throughout. gamma's and beta's
    gradients: +-inf in the infinite columns, NaN in the NaN one (both)."""
    x = [[-1.0, -0.5, 3.5, 2.5], [-3.0, 1.0, 0.5, -0.25], [1.0, -2.0, 0.5, 3.0]]
    seed = [[_INF, 1.0, -0.5, 2.0], [0.5, 1.5, -_INF, 1.0], [-1.0, _NAN, 0.25, 0.5]]
    _seeded(adapter, record, "layer_normalization", "layer_normalization", x,
            [1.5, -0.5, 1.0, 2.0], [0.25, 0.0, -1.0, 0.5], {"mixed": seed}, eps=1e-3)


@behaviour("group_norm_gradient", ops=("group_normalization",))
def group_normalization_nonfinite_seed(adapter, record):
    """group_normalization of x (2, 4, 2) in 2 groups from an output gradient with +inf in
    sample 0's group 0 and -inf in sample 1's group 1. torch 2.13 (``dx = c1 gy + c2 x + c3``
    from the uncentred sums; ``dgamma = sum over N of (ds - db mean) rstd``): inf or NaN by
    the signs of x and the group's mean, and in gamma's gradient by those of the channel's
    sum of gy x and of db mean. chainer 7.8.1 (_XHatGrad: ``(g - mean(g) - x_hat mean(g
    x_hat)) inv_std``, ``dgamma = sum(gy x_hat)``): by the signs of x - mean."""
    x = [[[0.5, 1.5], [2.5, 3.25], [-1.0, 0.25], [-2.5, 1.0]],
         [[-0.75, 2.0], [1.25, 0.5], [-3.0, -1.5], [-0.5, -2.25]]]
    seed = [[[1.0, _INF], [0.5, -1.0], [2.0, -0.5], [1.0, 0.25]],
            [[-1.0, 1.5], [0.75, 2.0], [0.5, 1.0], [-_INF, -0.25]]]
    _seeded(adapter, record, "group_normalization", "group_normalization", x,
            [1.5, -0.5, 1.0, 2.0], [0.25, 0.0, -1.0, 0.5], {"inf": seed}, 2, eps=1e-3)
