"""How two arrays of a port check are compared, and the tolerance.

A port check runs both models in float64 by default: a convention difference (an epsilon of
2e-5 against 1e-5, a pooling window more or less) then stands out by orders of magnitude
from rounding, which float32 would blur. The tolerance is relative to the expected (source)
array's largest magnitude: ``max|a - b| <= atol + rtol * max|b|``.
"""
import numpy

#: dtype -> (atol, rtol). float64: 1e-7 relative leaves 8 orders of magnitude above float64
#: rounding through a ResNet-50 (measured below 1e-12 on the corrected ports) and sits below
#: the smallest convention difference the checks look for (a batch-norm eps of 2e-5 against
#: 1e-5 changes outputs by ~5e-6 relative at unit variance). float32: rounding of deep models
#: reaches ~1e-5 relative, so conventions of that size are not seen in float32.
TOLERANCES = {"float64": (1e-9, 1e-7), "float32": (1e-5, 1e-4)}


def tolerance(dtype):
    name = numpy.dtype(dtype).name
    if name not in TOLERANCES:
        raise ValueError(f"dtype must be one of {sorted(TOLERANCES)}, got dtype={name!r}")
    return TOLERANCES[name]


def difference(actual, expected, dtype, reshape=False):
    """{'max_abs_err', 'allowed', 'ok', 'shapes'} of ``actual`` against ``expected``; arrays of
    one size but two shapes are compared flat when ``reshape`` (a flatten placed elsewhere).
    Arrays that cannot be compared (shapes differ) have ``max_abs_err`` None (standard JSON
    has no infinity); so does a NaN difference."""
    atol, rtol = tolerance(dtype)
    if actual is None or expected is None:
        return {"max_abs_err": None, "allowed": None, "ok": actual is None and expected is None,
                "shapes": [_shape(actual), _shape(expected)]}
    actual, expected = numpy.asarray(actual), numpy.asarray(expected)
    shapes = [list(actual.shape), list(expected.shape)]
    if actual.shape != expected.shape:
        if not (reshape and actual.size == expected.size):
            return {"max_abs_err": None, "allowed": None, "ok": False, "shapes": shapes}
        actual = actual.reshape(expected.shape)
    if actual.size == 0:
        return {"max_abs_err": 0.0, "allowed": atol, "ok": True, "shapes": shapes}
    scale = float(numpy.max(numpy.abs(expected))) if numpy.isfinite(expected).all() else 0.0
    allowed = atol + rtol * scale
    error = numpy.abs(actual.astype(numpy.float64) - expected.astype(numpy.float64))
    same_nonfinite = ~numpy.isfinite(expected) & (actual == expected)
    error = numpy.where(same_nonfinite, 0.0, error)
    max_err = float(numpy.nanmax(error)) if not numpy.isnan(error).all() else None
    ok = bool(max_err is not None and numpy.isfinite(max_err) and max_err <= allowed
              and not numpy.isnan(error).any())
    if max_err is not None and not numpy.isfinite(max_err):
        max_err = None
    return {"max_abs_err": max_err, "allowed": allowed, "ok": ok, "shapes": shapes}


def _shape(value):
    return None if value is None else list(numpy.shape(value))
