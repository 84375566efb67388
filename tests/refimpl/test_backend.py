"""refimpl._backend's array helpers."""
import numpy
import pytest

from refimpl import _backend


def _bits(array):
    array = numpy.asarray(array)
    return array.view(f"u{array.dtype.itemsize}")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("mask_shape,values_shape", [
    ((1000,), (1000,)), ((4, 5), (4, 5)), ((4, 5), (5,)), ((5,), (4, 5)), ((3, 1), (1, 4)),
    ((), (3,)), ((2, 3), ())])
def test_select_is_where_bit_for_bit(dtype, mask_shape, values_shape):
    """NaN (with its payload), inf, -0 and subnormals selected as they are, +0 elsewhere,
    broadcasting as ``where``; the mask is as unpredictable as a relu gradient's."""
    rng = numpy.random.default_rng(0)
    specials = numpy.array([numpy.nan, -numpy.nan, numpy.inf, -numpy.inf, -0.0, 0.0,
                            numpy.finfo(dtype).tiny / 4, -1.5], dtype=dtype)
    values = rng.choice(numpy.concatenate([specials, rng.standard_normal(8).astype(dtype)]),
                        size=values_shape)
    mask = rng.random(mask_shape) < 0.5
    expected = numpy.where(mask, values, numpy.dtype(dtype).type(0))
    got = _backend.select(mask, values)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert numpy.array_equal(_bits(got), _bits(expected))


def test_select_reads_a_broadcast_view_without_writing_it():
    """The gradient of a sum reaches relu as a read-only broadcast view of one element."""
    seed = numpy.broadcast_to(numpy.float32(-0.0), (6,))
    mask = numpy.array([True, False] * 3)
    got = _backend.select(mask, seed)
    assert numpy.array_equal(_bits(got), _bits(numpy.where(mask, seed, numpy.float32(0))))
    assert _bits(seed)[0] == 0x80000000
