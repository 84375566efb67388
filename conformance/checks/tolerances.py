"""Every tolerance the property harness uses, derived in one place from the dtype and the op.

A value ``actual`` agrees with an oracle's ``expected`` when, elementwise,

    |actual - expected| <= atol + rtol * |expected|          (numpy.allclose; NaN == NaN)

How the numbers were chosen:

* The oracle is evaluated in float64 on *the same inputs* the framework saw, already rounded
  to the cell's dtype. The only error left is the framework's own arithmetic in that dtype,
  so the tolerance is a small multiple of the dtype's machine epsilon (float16 ~9.8e-4,
  float32 ~1.2e-7, float64 ~2.2e-16) times the number of rounding steps an op takes.
* Inputs stay in [-5, 5] (``strategies.Domain``) and arrays hold at most 24 elements, so
  sums accumulate at most ~24 rounding errors and values stay O(10): ``atol`` covers
  results that cancel to ~0 (``a - b`` with ``a ~ b``) where ``rtol`` alone would demand
  exactness.
* Quantities: ``value`` (forward outputs), ``grad`` (first-order gradients: the backward
  pass adds a few roundings per op and multiplies by random output gradients in [-2, 2]),
  ``gradgrad`` (second-order gradients: one more pass again).
* Central differences (``CENTRAL_DIFFERENCE``): the step is 1e-6 on float64, so truncation
  error is O(1e-12 * f''') and rounding error O(1e-16 / 1e-6 = 1e-10); the published
  defaults of ``refimpl.gradient_check`` (Chainer's ``check_backward``) have ample margin.
  A framework's float32 gradient is held to the looser of this and its dtype's ``grad``
  tolerance.

An op may override a tolerance only with a written reason (``Override``); the registry
holds the overrides next to the op they apply to.
"""
import dataclasses

import numpy

QUANTITIES = ("value", "grad", "gradgrad")


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """``atol``/``rtol`` and where they came from (``reason``)."""

    rtol: float
    atol: float
    reason: str

    def allclose(self, actual, expected):
        """``numpy.allclose(actual, expected, rtol, atol, equal_nan=True)``. Where
        ``expected`` is finite, that is ``|actual - expected| <= atol + rtol |expected|``
        everywhere: tested first, in a third of numpy.allclose's time on these small arrays
        (it has no ``errstate``: where ``expected`` is finite, only a difference beyond the
        float range can warn, and it then disagrees, as it should). Infinities, NaNs and
        disagreements are left to numpy.allclose itself."""
        expected = numpy.asarray(expected)
        if numpy.isfinite(expected).all() and (numpy.abs(actual - expected) <= self.atol
                                               + self.rtol * numpy.abs(expected)).all():
            return True
        return bool(numpy.allclose(actual, expected, rtol=self.rtol, atol=self.atol, equal_nan=True))

    def loosest(self, other):
        """The elementwise-looser of two tolerances (both reasons kept)."""
        return Tolerance(max(self.rtol, other.rtol), max(self.atol, other.atol),
                         f"{self.reason}; {other.reason}")


# (dtype, quantity) -> (rtol, atol). See the module docstring for the reasoning.
BASE = {
    ("float64", "value"): (1e-7, 1e-10),
    ("float64", "grad"): (1e-7, 1e-9),
    ("float64", "gradgrad"): (1e-6, 1e-8),
    ("float32", "value"): (1e-5, 1e-6),
    ("float32", "grad"): (1e-4, 1e-5),
    ("float32", "gradgrad"): (1e-3, 1e-4),
    # float16: eps 9.8e-4; frameworks compute some float16 ops through float32 and some
    # (NumPy, so Chainer and refimpl) directly in float16.
    ("float16", "value"): (1e-2, 1e-3),
    ("float16", "grad"): (3e-2, 1e-2),
    ("float16", "gradgrad"): (1e-1, 5e-2),
}

CENTRAL_DIFFERENCE_EPS = 1e-6
CENTRAL_DIFFERENCE = Tolerance(
    1e-4, 1e-5, "central differences in float64 with step 1e-6 (the reference's gradient_check "
    "defaults)")

# Exact quantities: integer outputs (indices) and engine facts (raises or not, None or not).
EXACT = Tolerance(0.0, 0.0, "integer/index outputs must be equal")


@dataclasses.dataclass(frozen=True)
class Override:
    """A tolerance override for one op: applies to ``dtypes`` and ``quantities`` ('*' = all)."""

    rtol: float
    atol: float
    reason: str
    dtypes: tuple = ("*",)
    quantities: tuple = ("*",)

    def __post_init__(self):
        if not self.reason or not self.reason.strip():
            raise ValueError("a tolerance override needs a written reason, got reason="
                             f"{self.reason!r}")
        for quantity in self.quantities:
            if quantity != "*" and quantity not in QUANTITIES:
                raise ValueError(f"unknown quantity={quantity!r}; known: {QUANTITIES}")

    def applies(self, dtype, quantity):
        return ("*" in self.dtypes or dtype in self.dtypes) and (
            "*" in self.quantities or quantity in self.quantities)


def tolerance(dtype, quantity, overrides=()):
    """The tolerance for ``quantity`` ('value', 'grad', 'gradgrad') of an op in ``dtype``.

    ``overrides`` are the op's ``Override`` entries from the registry; the first that applies
    replaces the base tolerance.

    >>> tolerance("float32", "grad")
    Tolerance(rtol=0.0001, atol=1e-05, reason='float32 grad: base')
    """
    dtype = str(numpy.dtype(dtype))
    if (dtype, quantity) not in BASE:
        raise ValueError(f"no tolerance for dtype={dtype!r}, quantity={quantity!r}; known: "
                         f"{sorted(BASE)}")
    for override in overrides:
        if override.applies(dtype, quantity):
            return Tolerance(override.rtol, override.atol,
                             f"{dtype} {quantity}: override: {override.reason}")
    rtol, atol = BASE[(dtype, quantity)]
    return Tolerance(rtol, atol, f"{dtype} {quantity}: base")


def errors(actual, expected):
    """(max abs error, max relative error) between two float arrays (NaN-aware: NaN against
    NaN, and an infinity against the same infinity, is no error; relative error is measured
    where ``expected`` is not 0)."""
    actual = numpy.asarray(actual, dtype=numpy.float64)
    expected = numpy.asarray(expected, dtype=numpy.float64)
    if actual.size == 0:
        return 0.0, 0.0
    alike = (numpy.isnan(actual) & numpy.isnan(expected)) | (actual == expected)  # equal infs too
    with numpy.errstate(invalid="ignore"):  # inf - inf where they are alike
        difference = numpy.where(alike, 0.0, numpy.abs(actual - expected))
    difference = numpy.where(numpy.isnan(difference), numpy.inf, difference)
    scale = numpy.abs(expected)
    finite = (scale > 0) & numpy.isfinite(scale)  # an infinity: its difference, inf or 0
    relative = numpy.where(scale > 0, difference / numpy.where(finite, scale, 1.0), 0.0)
    return float(numpy.max(difference)), float(numpy.max(relative))


# --- conditioning: a per-sample allowance (issue 15) ----------------------------------------
#
# A fixed (rtol, atol) is blind to how ill-conditioned a point is: the float16 gradient of
# a / b with respect to a broadcast divisor b is a sum of terms g_i a_i / b**2 that can cancel
# to a small result, and every correct float16 implementation is then off by far more than
# rtol * |result| (measured: torch 2.13.0 and chainer 7.8.1 both 0.1-0.3 off a result of 0.5
# at |b| ~ 0.1, while their terms are ~100). So when an array disagrees under the base
# tolerance, the harness bounds the error a correct implementation in the cell's dtype may
# make at that very sample, and adds it to atol element by element:
#
#   allowance = CONDITIONING_ROUNDINGS * u * S,   S = sum_i |dq/dx_i| |x_i|
#
# u is the dtype's unit roundoff and S the componentwise condition of the quantity q (an
# output, a gradient, a second-order gradient) at the sample, over every operand x_i of it
# (inputs, output gradients, grad_grad_inputs), computed by the reference in float64
# (``numeric.sensitivity``). Why this bounds a correct implementation: the ops here are
# computed backward-stably, i.e. the result in the dtype is the exact result at operands each
# perturbed by a few units of roundoff, and such a perturbation moves q by at most
# (number of roundings) * u * S to first order. CONDITIONING_ROUNDINGS = 8 counts the
# roundings of a forward op and two backward passes (one or two per element each) plus the
# growth of a sum of up to MAX_SIZE = 12 terms (pairwise or float32 accumulation: <= 4). A
# wrong formula is still caught where the result does not cancel (S ~ |q|): a 1.5x wrong
# gradient is off by 0.5 |q|, the allowance is ~8 u |q| (0.4% in float16).
#
# A framework cell also settles against float64 with refimpl in the cell's dtype ("blame only
# the side farther from float64"): where refimpl in that dtype is itself at least as far from
# float64 as the framework, the framework is not blamed (the allowance is raised to that
# distance). refimpl's own cells get only the conditioning bound.
CONDITIONING_ROUNDINGS = 8

UNIT_ROUNDOFF = {"float16": 2.0 ** -11, "float32": 2.0 ** -24, "float64": 2.0 ** -53}

CONDITIONING_REASON = (f"conditioned: {CONDITIONING_ROUNDINGS} u sum_i |dq/dx_i| |x_i| at the "
                       f"sample (the reference in float64), or the reference in the cell's "
                       f"dtype's own distance from float64 if larger")


def unit_roundoff(dtype):
    """The unit roundoff u (half the machine epsilon) of a float ``dtype``."""
    dtype = str(numpy.dtype(dtype))
    if dtype not in UNIT_ROUNDOFF:
        raise ValueError(f"no unit roundoff for dtype={dtype!r}; known: {sorted(UNIT_ROUNDOFF)}")
    return UNIT_ROUNDOFF[dtype]


def conditioned_allowance(dtype, sensitivities, in_dtype=None, expected=None):
    """Per-element allowances (one float64 array per quantity array) to add to atol:
    ``CONDITIONING_ROUNDINGS * u * S`` from ``sensitivities`` (``numeric.sensitivity``), raised
    where ``in_dtype`` (the reference computed in ``dtype``) is farther from ``expected`` (the
    reference in float64). NaN distances count as none (NaN must match NaN)."""
    unit = unit_roundoff(dtype)
    allowances = [CONDITIONING_ROUNDINGS * unit * numpy.asarray(s, dtype=numpy.float64)
                  for s in sensitivities]
    if in_dtype is None:
        return allowances
    raised = []
    for allowance, ours, truth in zip(allowances, in_dtype, expected):
        ours = numpy.asarray(ours, dtype=numpy.float64)
        truth = numpy.asarray(truth, dtype=numpy.float64)
        if ours.shape != truth.shape or allowance.shape != truth.shape:
            raised.append(allowance)
            continue
        with numpy.errstate(invalid="ignore"):
            distance = numpy.abs(ours - truth)
        raised.append(numpy.maximum(allowance, numpy.where(numpy.isnan(distance), 0.0, distance)))
    return raised


def within(actual, expected, tolerance, allowance=None):
    """Elementwise ``|actual - expected| <= atol + allowance + rtol |expected|`` (NaN == NaN;
    a NaN on one side only never agrees, whatever the allowance)."""
    actual = numpy.asarray(actual, dtype=numpy.float64)
    expected = numpy.asarray(expected, dtype=numpy.float64)
    atol = tolerance.atol if allowance is None else tolerance.atol + allowance
    atol = numpy.broadcast_to(atol, expected.shape)  # isclose masks a non-finite element
    with numpy.errstate(invalid="ignore"):            # but not an array atol (NumPy 1.26)
        finite = numpy.isfinite(actual) & numpy.isfinite(expected)
        close = ((finite & (numpy.abs(actual - expected)
                            <= atol + tolerance.rtol * numpy.abs(expected)))
                 | (actual == expected) | (numpy.isnan(actual) & numpy.isnan(expected)))
    one_nan = numpy.isnan(actual) != numpy.isnan(expected)
    return bool(numpy.all(close & ~one_nan))
