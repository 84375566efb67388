"""The sample strategies are built once per distinct argument (issue 19: building and
validating them per example was a third of the harness's time); a reused strategy must draw
exactly what a freshly built one draws, or the speed-up would change the examples."""
import numpy
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from conformance.subjects import strategies
from conformance.subjects.strategies import DENOMINATOR, NONZERO, REALS, Domain


def drawn(strategy, examples=30):
    """The values ``strategy`` gives in a derandomized run (the same function each time, so
    the same seed: equal strategies give equal values)."""
    values = []

    @settings(max_examples=examples, database=None, derandomize=True, phases=[Phase.generate],
              deadline=None)
    @given(st.data())
    def collect(data):
        values.append(data.draw(strategy))

    collect()
    return values


def same_values(a, b):
    return len(a) == len(b) and all(
        numpy.array_equal(x, y) if isinstance(x, numpy.ndarray) else
        all(numpy.array_equal(p, q) for p, q in zip(x, y, strict=True)) if isinstance(x, tuple)
        else x == y for x, y in zip(a, b))


def test_equal_arguments_give_the_same_strategy_object():
    assert strategies.arrays(shape=(2, 3), domain=NONZERO) is strategies.arrays(
        shape=(2, 3), domain=Domain(-3.0, 3.0, kinks=(0.0,)))
    assert strategies.shapes(min_dims=1) is strategies.shapes(min_dims=1)
    assert REALS.elements() is Domain(-3.0, 3.0).elements()
    assert strategies.grad_outputs(shapes_of_outputs=[(2,), ()]) is strategies.grad_outputs(
        shapes_of_outputs=((2,), ()))
    assert strategies.arrays(shape=(2,), domain=REALS) is not strategies.arrays(
        shape=(3,), domain=REALS)


def test_a_reused_strategy_draws_what_a_fresh_one_draws():
    for shape, domain in (((2, 3), NONZERO), ((4,), DENOMINATOR), ((), REALS)):
        reused = strategies.arrays(shape=shape, domain=domain)
        strategies.arrays(shape=shape, domain=domain)  # drawn from before: no state kept
        drawn(reused, examples=5)
        fresh = strategies._seeded_arrays.__wrapped__(shape=shape, domain=domain)
        assert same_values(drawn(reused), drawn(fresh)), (shape, domain)
    shapes = strategies.shapes(min_dims=1)
    fresh_shapes = strategies.shapes.__wrapped__(min_dims=1)
    assert shapes is not fresh_shapes
    assert drawn(shapes) == drawn(fresh_shapes)


def test_unhashable_arguments_are_built_afresh():
    strategy = strategies.arrays(shape=[2, 2], domain=REALS)  # a list shape: not cached
    assert all(value.shape == (2, 2) for value in drawn(strategy, examples=5))


def test_composite_samplers_are_built_once_and_draw_what_a_fresh_one_draws():
    assert strategies.unary_samples(domain=NONZERO) is strategies.unary_samples(domain=NONZERO)
    assert strategies.unary_samples(domain=NONZERO) is not strategies.unary_samples(domain=REALS)
    assert strategies.reduction_samples(axes="int") is strategies.reduction_samples(axes="int")
    assert strategies.axis_strategy(kind="any", ndim=2) is strategies.axis_strategy(kind="any", ndim=2)
    for reused, fresh in (
            (strategies.unary_samples(domain=NONZERO), strategies.unary_samples.__wrapped__(domain=NONZERO)),
            (strategies.reduction_samples(axes="any"), strategies.reduction_samples.__wrapped__(axes="any")),
            (strategies.matmul_samples(), strategies.matmul_samples.__wrapped__())):
        drawn(reused, examples=5)  # drawn from before: no state kept
        a, b = drawn(reused), drawn(fresh)
        assert len(a) == len(b) and all(
            x.kwargs == y.kwargs and same_values(x.leaves(), y.leaves()) for x, y in zip(a, b))


def test_composite_with_an_unhashable_argument_is_built_afresh():
    strategy = strategies.distinct_arrays(shape=[2, 2])  # a list: not cached
    assert strategy is not strategies.distinct_arrays(shape=[2, 2])
    assert all(value.shape == (2, 2) for value in drawn(strategy, examples=5))
