"""Behaviour cases of non-finite output gradients (NaN, +-inf seeds) through prod and cumprod,
which ``scripts/probe_nonfinite_seeds.py`` found diverging from refimpl: each case records
what each framework gives, and refimpl models it."""
import numpy

from .core import behaviour, record_grads


# Inputs with zeros, and output gradients with NaN and inf where a zero makes the term of the
# gradient 0: prod over everything (two zeros, one zero), prod along an axis, cumprod along
# each axis (a zero first, in the middle, none: the last column).
_PRODUCT_CASES = (
    ("prod.two_zeros", "prod", [[0.0, 2.0, 0.5], [0.0, -1.5, 3.0]], {}, numpy.nan),
    ("prod.one_zero", "prod", [[0.0, 2.0, 0.5], [1.0, -1.5, 3.0]], {}, numpy.inf),
    ("prod.axis1", "prod", [[0.0, 2.0, 0.0], [1.0, -1.5, 3.0]], {"axis": 1},
     [numpy.nan, -numpy.inf]),
    ("cumprod.axis1", "cumprod", [[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 0.5, 0.0, 1.5, 2.0]],
     {"axis": 1}, [[1.0, 2.0, numpy.nan, 1.0, numpy.inf], [numpy.inf, 1.0, 2.0, numpy.nan, 1.0]]),
    ("cumprod.axis0", "cumprod", [[2.0, 0.0, 1.5], [0.0, 3.0, -2.0], [0.5, 0.0, 0.25]],
     {"axis": 0}, [[1.0, numpy.nan, 2.0], [numpy.inf, 1.0, numpy.nan], [2.0, -numpy.inf, 1.0]]),
)


def _product_seed(y, seed):
    return numpy.broadcast_to(numpy.array(seed, dtype=numpy.float32), tuple(y.shape)).copy()


@behaviour("product_zero_gradient", ops=("prod", "cumprod"))
def product_zeros_nonfinite_seed(adapter, record):
    """prod and cumprod of inputs with zeros, backward (not recorded) from NaN/inf output
    gradients: torch 2.13's prod_backward gives zeros_like(input) for prod over everything
    with two or more zeros, and its cumprod_backward's O(n) masked path leaves out the terms a
    zero makes 0 (0 after the first zero, output gradients past the first (second) zero
    unused); prod with one zero or along an axis multiplies, as chainer 7.8.1 does
    everywhere (0 * NaN = NaN)."""
    for label, op, values, kwargs, seed in _PRODUCT_CASES:
        x = adapter.tensor(numpy.array(values, dtype=numpy.float32), requires_grad=True)
        y = adapter.call(op, x, **kwargs)
        record(label, y)
        adapter.seeded_backward(y, _product_seed(y, seed))
        record_grads(adapter, record, label, x=x)


@behaviour("product_zero_gradient", requires=("functional_grad", "double_backprop"),
           ops=("prod", "cumprod"))
def product_zeros_nonfinite_seed_create_graph(adapter, record):
    """The cases of ``product_zeros_nonfinite_seed`` through grad with double backprop
    (torch create_graph=True): torch's backward, recorded, multiplies every term
    (prod_safe_zeros_backward; cumprod's O(n^2) omitted products), NaN where a zero meets a NaN
    or infinite output gradient, as chainer."""
    for label, op, values, kwargs, seed in _PRODUCT_CASES:
        x = adapter.tensor(numpy.array(values, dtype=numpy.float32), requires_grad=True)
        y = adapter.call(op, x, **kwargs)
        (gx,) = adapter.grad([y], [x], [_product_seed(y, seed)],
                             **adapter.create_graph_options())
        record(f"{label}.x.grad", gx)
