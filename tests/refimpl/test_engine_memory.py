"""What the graph keeps (issue 19): ops that state what their backward reads
(``Function.retained_outputs``) hold other intermediates weakly, so their arrays are freed
during the forward and, under a freeing backward, as the backward goes; gradients, hooks,
``unchain``, double backward and the freed-graph error are those of a graph that holds all."""
import gc
import weakref

import numpy as np
import pytest

import refimpl
import refimpl.functions as F


def chain(x, keep):
    """The benchmark's chain; ``keep`` receives every intermediate when it is a list."""
    y = x
    for step in (lambda v: v * 1.5, lambda v: v + 0.5, F.tanh, lambda v: v * v,
                 lambda v: v - 0.25, F.sigmoid, F.sin, F.exp, F.cos, F.relu):
        y = step(y)
        if keep is not None:
            keep.append(y)
    return F.sum(y * x)


def data(seed=0, shape=(64, 160)):  # 80 KiB of float64: held weakly (RELEASE_MIN_BYTES)
    return np.random.default_rng(seed).uniform(-2, 2, size=shape)


@pytest.mark.parametrize("policy", ["torch", "chainer"])
def test_gradients_do_not_depend_on_whether_intermediates_are_held(policy):
    with refimpl.semantics(policy):
        grads = []
        for keep in (None, []):
            x = refimpl.Variable(data(), requires_grad=True)
            chain(x, keep).backward()
            grads.append(x.grad)
            x = refimpl.Variable(data(), requires_grad=True)
            (g,) = refimpl.grad([chain(x, keep)], [x], create_graph=True)
            F.sum(g * g).backward()
            grads.append(x.grad)
        np.testing.assert_array_equal(grads[0], grads[2])
        np.testing.assert_array_equal(grads[1], grads[3])


def test_an_intermediate_no_backward_reads_is_freed_during_the_forward():
    x = refimpl.Variable(data(), requires_grad=True)
    y = x * 1.5
    scaled = weakref.ref(y.data)
    y = y + 0.5  # add reads no input: x * 1.5 is held weakly, and freed once dropped
    gc.collect()
    assert scaled() is None
    assert y.creator.inputs[0].shape == (64, 160)  # what stands in for it keeps its shape
    t = F.tanh(y)
    kept = weakref.ref(t.data)
    u = t * 2.0  # mul by a constant reads no input, but tanh's backward reads its output
    del t
    gc.collect()
    assert kept() is not None
    F.sum(u).backward()
    np.testing.assert_allclose(x.grad, 2 * 1.5 * (1 - np.tanh(1.5 * data() + 0.5) ** 2))


def test_a_freeing_backward_drops_saved_arrays_and_a_second_one_raises():
    with refimpl.semantics("torch"):
        x = refimpl.Variable(data(), requires_grad=True)
        y = F.exp(x * 2.0)
        saved = weakref.ref(y.data)
        loss = F.sum(F.sin(y) + 1.0)
        del y
        loss.backward()
        gc.collect()
        assert saved() is None
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            loss.backward()
        x2 = refimpl.Variable(data(), requires_grad=True)
        y2 = F.exp(x2 * 2.0)
        loss2 = F.sum(F.sin(y2) + 1.0)
        del y2
        loss2.backward(retain_graph=True)
        loss2.backward()  # retained: the same gradient again
        np.testing.assert_array_equal(x2.grad, 2 * x.grad)


def test_small_intermediates_are_held():
    x = refimpl.Variable(data(shape=(3, 4)), requires_grad=True)
    y = x * 1.5
    small = weakref.ref(y.data)
    y = y + 0.5
    gc.collect()
    assert small() is not None and y.creator.inputs[0].data is small()


def test_hooks_of_a_dropped_intermediate_still_run():
    x = refimpl.Variable(data(), requires_grad=True)
    y = F.tanh(x * 2.0)
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()) or g * 3)
    loss = F.sum(y + 1.0)
    del y
    gc.collect()
    loss.backward()
    assert len(seen) == 1
    np.testing.assert_allclose(x.grad, 3 * 2 * (1 - np.tanh(2 * data()) ** 2))


def test_unchain_of_a_dropped_intermediate_still_cuts_the_graph():
    x = refimpl.Variable(data(), requires_grad=True)
    y = F.tanh(x * 2.0)
    z = F.exp(y) + 1.0  # add holds exp(y) weakly; exp holds y weakly
    y.unchain()
    del y
    gc.collect()
    F.sum(z * x).backward()
    np.testing.assert_array_equal(x.grad, (F.exp(F.tanh(x * 2.0)) + 1.0).data)
