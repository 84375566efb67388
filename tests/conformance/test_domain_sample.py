"""``Domain.sample``: the arrays of the op subjects, drawn from one seed (issue 19). They must
stay inside the domain (off every kink by KINK_MARGIN, at least min_magnitude), cover it, and
keep what hypothesis' arrays of floats gave: special values (0, 1, tiny numbers, the bounds)
and ties."""
import random

import numpy
import pytest

from conformance.subjects import strategies
from conformance.subjects.strategies import (DENOMINATOR, KINK_MARGIN, NONZERO, POSITIVE, REALS,
                                             Domain)

DOMAINS = [REALS, NONZERO, DENOMINATOR, POSITIVE, Domain(-1.0, 2.0, kinks=(-0.5, 0.5, 1.0)),
           Domain(-3.0, 3.0, kinks=(0.0,), min_magnitude=0.5), Domain(0.0, 1.0, kinks=(0.0, 1.0))]


@pytest.mark.parametrize("domain", DOMAINS, ids=repr)
def test_every_element_lies_in_the_domain(domain):
    values = numpy.array(domain.sample(random.Random(0), 20000))
    assert values.shape == (20000,)
    assert values.min() >= domain.low and values.max() <= domain.high
    assert numpy.all(numpy.abs(values) >= domain.min_magnitude)
    for kink in domain.kinks:
        assert numpy.all(numpy.abs(values - kink) >= KINK_MARGIN), kink
    assert all(domain.allows(float(v)) for v in values[:2000])


@pytest.mark.parametrize("domain", DOMAINS, ids=repr)
def test_the_whole_domain_is_reached(domain):
    values = numpy.array(domain.sample(random.Random(1), 20000))
    for start, width in domain._pieces:  # each allowed interval, near both of its ends
        end = start + width
        inside = values[(values >= start) & (values <= end)]
        assert inside.size and inside.min() < start + 0.1 * (end - start)
        assert inside.max() > end - 0.1 * (end - start)
    assert numpy.unique(values).size > 5000  # not only the special values


def test_special_values_and_ties_are_drawn():
    values = numpy.concatenate([REALS.array(seed, (12,)) for seed in range(1, 401)])
    for special in (0.0, 1.0, -1.0, 3.0, -3.0, 1e-6, 2.0 ** -126):
        assert numpy.any(values == special), special
    rows = [REALS.array(seed, (6,)) for seed in range(1000, 1400)]
    tied = sum(numpy.unique(row).size < row.size for row in rows)
    assert 100 < tied < 350, tied  # about TIE_RATE of the arrays


def test_specials_respect_the_domain():
    assert 0.0 not in NONZERO._specials[0] and 1e-6 not in DENOMINATOR._specials[0]
    values, _ = POSITIVE._specials
    assert set(values) >= {0.2, 3.0, 0.5, 1.0} and min(values) == 0.2
    drawn = numpy.concatenate([REALS.array(seed, (12,)) for seed in range(1, 2001)])
    assert numpy.sum(drawn == 0.0) > 3 * numpy.sum(drawn == 0.5)  # 0 weighs most


@pytest.mark.parametrize("shape", [(), (1,), (3, 4), (2, 1, 3)])
def test_shapes_and_a_seeded_strategy(shape):
    values = REALS.array(3, shape)
    assert values.shape == shape and values.dtype == numpy.float64
    again = REALS.array(3, shape)
    assert numpy.array_equal(values, again)  # the seed decides everything


def test_shapes_draw_the_number_of_dimensions_first():
    """As hypothesis' array_shapes: each ndim about equally often (so 0-d arrays stay common),
    every shape within max_size."""
    from hypothesis import Phase, given, settings
    from hypothesis import strategies as st
    seen = []

    @settings(max_examples=300, database=None, phases=[Phase.generate], deadline=None)
    @given(st.data())
    def collect(data):
        seen.append(data.draw(strategies.shapes(max_size=6)))
        data.draw(strategies.SEEDS)  # a large space: hypothesis does not run out of examples

    collect()
    assert all(numpy.prod(shape) <= 6 and len(shape) <= 3 for shape in seen)
    counts = [sum(len(shape) == ndim for shape in seen) for ndim in range(4)]
    assert min(counts) > len(seen) / 8, counts
    assert () in seen and {(2, 3), (3, 2), (1, 2, 3)} & set(seen)


def test_seed_zero_is_the_simplest_array():
    """hypothesis' first example and shrink target: 0 where the domain allows it."""
    assert numpy.array_equal(REALS.array(0, (2, 3)), numpy.zeros((2, 3)))
    assert NONZERO.simplest == 1.0 and POSITIVE.simplest == 1.0
    assert Domain(1.5, 3.0).simplest == 2.0 and Domain(2.5, 3.0).simplest == 2.5
    assert numpy.array_equal(NONZERO.array(7, (4,)), NONZERO.sample(random.Random(7), 4))


def test_distinct_arrays_are_distinct_tenths():
    from hypothesis import Phase, given, settings
    from hypothesis import strategies as st
    seen = []

    @settings(max_examples=50, database=None, phases=[Phase.generate], deadline=None)
    @given(st.data())
    def collect(data):
        seen.append(data.draw(strategies.distinct_arrays(shape=(3, 4))))

    collect()
    for values in seen:
        assert values.shape == (3, 4) and numpy.unique(values).size == 12
        assert numpy.allclose(values * 10, numpy.round(values * 10)) and numpy.abs(values).max() <= 3
    assert numpy.array_equal(seen[0].ravel()[:5], [0.0, -0.1, 0.1, -0.2, 0.2])  # seed 0 first
