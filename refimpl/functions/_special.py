"""Special functions on arrays, vectorised, with NumPy/CuPy only (no SciPy): erf, erfc,
erfinv, lgamma and the polygamma functions (digamma is order 0).

Each is computed in float64 whatever the input's dtype (the caller casts the result back),
to about 1e-13 relative error or better (``tests/refimpl/test_special.py`` compares them with
Python's ``math`` module and known values); the loops below run over series terms or
recurrence steps, never over elements.
"""
import math

from .. import _backend

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ERF_SERIES_TERMS = 160  # enough for |x| <= 6 (terms peak near n = x**2, then fall fast)
_ERFC_FRACTION_DEPTH = 300  # depth of the continued fraction of erfc for x >= 2
_STIRLING_START = 15.0  # below this, recurrences shift the argument up before the series


def _float64(x):
    xp = _backend.get_array_module(x)
    return xp, xp.asarray(x, dtype=xp.float64)


def erf(x):
    """erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1 3 5 ... (2n+1)) for |x| < 6 (all
    terms of one sign: no cancellation); +-1 beyond (erf(6) = 1 - 2e-17)."""
    xp, x = _float64(x)
    inside = xp.abs(x) < 6.0
    z = xp.where(inside, x, 0.0)
    term, total = z, z
    twice_square = 2.0 * z * z
    for n in range(1, _ERF_SERIES_TERMS):
        term = term * twice_square / (2 * n + 1)
        total = total + term
    series = _TWO_OVER_SQRT_PI * xp.exp(-z * z) * total
    return xp.where(inside, series, xp.sign(x))


def _erfc_fraction(x):
    """erfc(x) for x >= 2: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
    evaluated from a fixed depth upwards."""
    xp = _backend.get_array_module(x)
    tail = x
    for k in range(_ERFC_FRACTION_DEPTH, 0, -1):
        tail = x + (k / 2.0) / tail
    return xp.exp(-x * x) / math.sqrt(math.pi) / tail


def erfc(x):
    """erfc(x) = 1 - erf(x), without the cancellation: the continued fraction for |x| >= 2
    (2 - it for x <= -2), 1 - erf(x) inside (erfc(x) >= 0.0046 there)."""
    xp, x = _float64(x)
    far = xp.abs(x) >= 2.0
    a = xp.where(far, xp.abs(x), 2.0)
    tail = _erfc_fraction(a)
    tail = xp.where(x < 0, 2.0 - tail, tail)
    return xp.where(far, tail, 1.0 - erf(xp.where(far, 0.0, x)))


def erfinv(y):
    """The inverse of erf on (-1, 1) (+-inf at +-1, NaN outside): Giles' single-precision
    approximation refined by Halley steps on erf(x) - y."""
    xp, y = _float64(y)
    inside = xp.abs(y) < 1.0
    v = xp.where(inside, y, 0.0)
    w = -xp.log((1.0 - v) * (1.0 + v))
    central = w < 5.0
    wc = xp.where(central, w, 5.0) - 2.5
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
        p = c + p * wc
    wt = xp.sqrt(xp.where(central, 5.0, w)) - 3.0
    q = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        q = c + q * wt
    x = xp.where(central, p, q) * v
    for _ in range(3):
        residual = erf(x) - v
        slope = _TWO_OVER_SQRT_PI * xp.exp(-x * x)
        step = residual / slope
        x = x - step / (1.0 + x * step)
    result = xp.where(y == 1.0, xp.inf, xp.where(y == -1.0, -xp.inf, xp.nan))
    return xp.where(inside, x, result)


def _shift_count(x):
    """How many unit steps bring the smallest finite element of ``x`` to _STIRLING_START."""
    xp = _backend.get_array_module(x)
    finite = x[xp.isfinite(x)]
    if finite.size == 0:
        return 0
    return max(0, math.ceil(_STIRLING_START - float(finite.min())))


def lgamma(x):
    """log|Gamma(x)|: lgamma(x) = lgamma(x + k) - sum_j<k log|x + j|, shifting x up to
    x + k >= 15, then Stirling's series. +inf at the poles 0, -1, -2, ..."""
    xp, x = _float64(x)
    pole = (x <= 0) & (x == xp.floor(x))
    z = xp.where(pole, 1.0, x)
    shift = xp.zeros_like(z)
    for _ in range(_shift_count(z)):
        small = z < _STIRLING_START
        shift = shift + xp.where(small, xp.log(xp.abs(z)), 0.0)
        z = xp.where(small, z + 1.0, z)
    inverse = 1.0 / z
    inverse_square = inverse * inverse
    series = 0.0
    # 1/(12z) - 1/(360z^3) + 1/(1260z^5) - 1/(1680z^7) + 1/(1188z^9) - 691/(360360z^11)
    for coefficient in (1.0 / 156.0, -691.0 / 360360.0, 1.0 / 1188.0, -1.0 / 1680.0,
                        1.0 / 1260.0, -1.0 / 360.0, 1.0 / 12.0):
        series = series * inverse_square + coefficient
    stirling = (z - 0.5) * xp.log(z) - z + 0.5 * math.log(2.0 * math.pi) + series * inverse
    return xp.where(pole, xp.inf, stirling - shift)


_BERNOULLI = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0, -691.0 / 2730.0,
              7.0 / 6.0, -3617.0 / 510.0)  # B_2, B_4, ..., B_16


def polygamma(n, x):
    """The n-th derivative of digamma (n = 0: digamma). The recurrence psi^(n)(x) =
    psi^(n)(x + 1) - (-1)^n n! / x^(n+1) shifts x up to >= 15, then the asymptotic series
    psi^(n)(z) ~ (-1)^(n+1) [(n-1)!/z^n + n!/(2 z^(n+1)) + sum_k B_2k (2k+n-1)!/((2k)! z^(2k+n))]
    (digamma: log z - 1/(2z) - sum_k B_2k / (2k z^2k)). NaN at the poles 0, -1, -2, ...
    (torch's digamma gives -inf at 0 and NaN at the negative integers)."""
    xp, x = _float64(x)
    pole = (x <= 0) & (x == xp.floor(x))
    z = xp.where(pole, 1.0, x)
    sign = -1.0 if n % 2 else 1.0  # (-1)^n
    factorial = float(math.factorial(n))
    shift = xp.zeros_like(z)
    for _ in range(_shift_count(z)):
        small = z < _STIRLING_START
        shift = shift + xp.where(small, sign * factorial / z ** (n + 1), 0.0)
        z = xp.where(small, z + 1.0, z)
    inverse = 1.0 / z
    if n == 0:
        series = xp.log(z) - 0.5 * inverse
        for k, bernoulli in enumerate(_BERNOULLI, start=1):
            series = series - bernoulli / (2 * k) * inverse ** (2 * k)
    else:
        total = math.factorial(n - 1) * inverse ** n + factorial / 2.0 * inverse ** (n + 1)
        for k, bernoulli in enumerate(_BERNOULLI, start=1):
            total = total + (bernoulli * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
                             * inverse ** (2 * k + n))
        series = -sign * total  # (-1)^(n+1)
    return xp.where(pole, xp.nan, series - shift)
