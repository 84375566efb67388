"""Recurrent cells, sequences and layers (``refimpl.functions.rnn``, ``refimpl.nn.rnn``).

Sections: values against direct NumPy formulas; first- and second-order gradients against
central differences (float64, tiny sizes); shapes; argument errors; the torch <-> chainer
LSTM layout mapping; the layer classes; and, marked ``frameworks``, refimpl against
torch 2.x ``nn.RNN``/``nn.LSTM`` and chainer ``F.lstm``/``L.LSTM`` (skipped with the
reason when a framework cannot be imported).
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refimpl
from refimpl.errors import InvalidType
from refimpl.functions import rnn as R
from refimpl.gradient_check import check_backward, check_double_backward

SEQ, BATCH, INPUT, HIDDEN = 3, 2, 3, 2


def normal(rng, *shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def variable(array):
    return refimpl.Variable(np.array(array), requires_grad=True)


def numpy_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def layer_params(rng, gates, input_size, hidden, bias=True):
    """One layer's (W_ih, W_hh, b_ih, b_hh) as float64 arrays (biases None without bias)."""
    W_ih = normal(rng, gates * hidden, input_size, scale=0.6)
    W_hh = normal(rng, gates * hidden, hidden, scale=0.6)
    if not bias:
        return W_ih, W_hh, None, None
    return W_ih, W_hh, normal(rng, gates * hidden, scale=0.3), normal(rng, gates * hidden, scale=0.3)


# --------------------------------------------------------------------------------------
# NumPy references, written independently of refimpl (explicit per-gate row blocks)
# --------------------------------------------------------------------------------------

def reference_rnn_cell(x, h, W_ih, W_hh, b_ih, b_hh, act=np.tanh):
    return act(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def reference_lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[-1]
    pre = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = (pre[..., k * H:(k + 1) * H] for k in range(4))
    c_next = numpy_sigmoid(f) * c + numpy_sigmoid(i) * np.tanh(g)
    return numpy_sigmoid(o) * np.tanh(c_next), c_next


def reference_chainer_lstm(c_prev, x):
    """Chainer's documented F.lstm with gate k of unit u at column 4u + k (a, i, f, o)."""
    batch = x.shape[0]
    a, i, f, o = (x[:, k::4] for k in range(4))
    c = c_prev.copy()
    c[:batch] = np.tanh(a) * numpy_sigmoid(i) + numpy_sigmoid(f) * c_prev[:batch]
    return c, numpy_sigmoid(o) * np.tanh(c[:batch])


def reference_direction(xs, params, state, cell, reverse):
    """One direction of one layer over (T, B, in): outputs in time order, final state."""
    outputs = {}
    for t in (reversed(range(len(xs))) if reverse else range(len(xs))):
        state = cell(xs[t], *state, *params)
        state = state if isinstance(state, tuple) else (state,)
        outputs[t] = state[0]
    return np.stack([outputs[t] for t in range(len(xs))]), state


def reference_sequence(xs, layers, states, cell, directions=1):
    """(T, B, in) through layers; ``layers`` and ``states`` (tuples) per layer and direction."""
    finals = []
    for first in range(0, len(layers), directions):
        outputs = []
        for direction in range(directions):
            output, state = reference_direction(xs, layers[first + direction],
                                                states[first + direction], cell, direction == 1)
            outputs.append(output)
            finals.append(state)
        xs = np.concatenate(outputs, axis=-1)
    return xs, [np.stack(kind) for kind in zip(*finals)]


# --------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------

def test_rnn_tanh_cell_matches_formula():
    rng = np.random.default_rng(0)
    x, h = normal(rng, BATCH, INPUT), normal(rng, BATCH, HIDDEN)
    params = layer_params(rng, 1, INPUT, HIDDEN)
    actual = R.rnn_tanh_cell(x, h, *params).data
    np.testing.assert_allclose(actual, reference_rnn_cell(x, h, *params), rtol=1e-13, atol=1e-15)


def test_rnn_relu_cell_matches_formula():
    rng = np.random.default_rng(1)
    x, h = normal(rng, 6, INPUT), normal(rng, 6, HIDDEN)
    params = layer_params(rng, 1, INPUT, HIDDEN)
    expected = reference_rnn_cell(x, h, *params, act=lambda v: np.maximum(v, 0))
    assert (expected == 0).any() and (expected > 0).any()  # both branches are exercised
    np.testing.assert_allclose(R.rnn_relu_cell(x, h, *params).data, expected, rtol=1e-13, atol=1e-15)


def test_cell_without_bias_and_without_state():
    rng = np.random.default_rng(2)
    x = normal(rng, BATCH, INPUT)
    W_ih, W_hh, _, _ = layer_params(rng, 1, INPUT, HIDDEN)
    np.testing.assert_allclose(R.rnn_tanh_cell(x, None, W_ih, W_hh).data, np.tanh(x @ W_ih.T),
                               rtol=1e-13)


def test_lstm_cell_matches_formula_in_gate_order_i_f_g_o():
    rng = np.random.default_rng(3)
    x, h, c = normal(rng, BATCH, INPUT), normal(rng, BATCH, HIDDEN), normal(rng, BATCH, HIDDEN)
    params = layer_params(rng, 4, INPUT, HIDDEN)
    h_next, c_next = R.lstm_cell(x, (h, c), *params)
    h_expected, c_expected = reference_lstm_cell(x, h, c, *params)
    np.testing.assert_allclose(h_next.data, h_expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(c_next.data, c_expected, rtol=1e-13, atol=1e-15)


def test_lstm_cell_gate_order_by_construction():
    """Only the forget-gate block (rows H:2H) has a large bias: c' = sigmoid(big) c ~ c."""
    H = HIDDEN
    bias = np.zeros(4 * H)
    bias[H:2 * H] = 30.0   # f open
    bias[0:H] = -30.0      # i closed
    c = np.array([[0.25, -0.5]])
    _, c_next = R.lstm_cell(np.zeros((1, 1)), (np.zeros((1, H)), c), np.zeros((4 * H, 1)),
                            np.zeros((4 * H, H)), bias, None)
    np.testing.assert_allclose(c_next.data, c, rtol=1e-12)


def test_unbatched_cells():
    rng = np.random.default_rng(4)
    x, h, c = normal(rng, INPUT), normal(rng, HIDDEN), normal(rng, HIDDEN)
    rnn_params, lstm_params = layer_params(rng, 1, INPUT, HIDDEN), layer_params(rng, 4, INPUT, HIDDEN)
    assert R.rnn_tanh_cell(x, h, *rnn_params).shape == (HIDDEN,)
    np.testing.assert_allclose(R.rnn_tanh_cell(x, h, *rnn_params).data,
                               reference_rnn_cell(x, h, *rnn_params), rtol=1e-13)
    h_next, c_next = R.lstm_cell(x, (h, c), *lstm_params)
    assert (h_next.shape, c_next.shape) == ((HIDDEN,), (HIDDEN,))
    np.testing.assert_allclose(h_next.data, reference_lstm_cell(x, h, c, *lstm_params)[0], rtol=1e-13)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
def test_rnn_sequence_matches_loop_of_cells(num_layers, batch_first):
    rng = np.random.default_rng(10 + num_layers)
    xs = normal(rng, SEQ, BATCH, INPUT)
    layers = [layer_params(rng, 1, INPUT if l == 0 else HIDDEN, HIDDEN) for l in range(num_layers)]
    h_0 = normal(rng, num_layers, BATCH, HIDDEN)
    given_input = xs.transpose(1, 0, 2) if batch_first else xs
    output, h_n = R.rnn(given_input, layers, h_0, batch_first=batch_first)
    expected, (h_expected,) = reference_sequence(xs, layers, [(h,) for h in h_0], reference_rnn_cell)
    expected = expected.transpose(1, 0, 2) if batch_first else expected
    np.testing.assert_allclose(output.data, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.data, h_expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm_sequence_matches_loop_of_cells(num_layers, batch_first):
    rng = np.random.default_rng(20 + num_layers)
    xs = normal(rng, SEQ, BATCH, INPUT)
    layers = [layer_params(rng, 4, INPUT if l == 0 else HIDDEN, HIDDEN) for l in range(num_layers)]
    h_0, c_0 = normal(rng, num_layers, BATCH, HIDDEN), normal(rng, num_layers, BATCH, HIDDEN)
    given_input = xs.transpose(1, 0, 2) if batch_first else xs
    output, (h_n, c_n) = R.lstm(given_input, layers, (h_0, c_0), batch_first=batch_first)
    expected, (h_expected, c_expected) = reference_sequence(
        xs, layers, list(zip(h_0, c_0)), reference_lstm_cell)
    expected = expected.transpose(1, 0, 2) if batch_first else expected
    np.testing.assert_allclose(output.data, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.data, h_expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_n.data, c_expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_bidirectional_sequences_match_loops_of_cells(num_layers):
    rng = np.random.default_rng(25 + num_layers)
    xs = normal(rng, SEQ, BATCH, INPUT)
    for gates, function, cell in ((1, R.rnn, reference_rnn_cell), (4, R.lstm, reference_lstm_cell)):
        layers = [layer_params(rng, gates, INPUT if index < 2 else 2 * HIDDEN, HIDDEN)
                  for index in range(2 * num_layers)]
        initial = [normal(rng, 2 * num_layers, BATCH, HIDDEN) for _ in range(1 if gates == 1 else 2)]
        output, states = function(xs, layers, initial[0] if gates == 1 else tuple(initial),
                                  bidirectional=True)
        states = states if isinstance(states, tuple) else (states,)
        expected, expected_states = reference_sequence(xs, layers, list(zip(*initial)), cell, 2)
        assert output.shape == (SEQ, BATCH, 2 * HIDDEN)
        np.testing.assert_allclose(output.data, expected, rtol=1e-12, atol=1e-14)
        for actual, wanted in zip(states, expected_states):
            np.testing.assert_allclose(actual.data, wanted, rtol=1e-12, atol=1e-14)


def test_sequence_default_states_are_zeros():
    rng = np.random.default_rng(5)
    xs = normal(rng, SEQ, BATCH, INPUT)
    layers = [layer_params(rng, 4, INPUT, HIDDEN)]
    zeros = np.zeros((1, BATCH, HIDDEN))
    default_output, (default_h, default_c) = R.lstm(xs, layers)
    output, (h_n, c_n) = R.lstm(xs, layers, (zeros, zeros))
    for a, b in ((default_output, output), (default_h, h_n), (default_c, c_n)):
        np.testing.assert_array_equal(a.data, b.data)


def test_rnn_without_bias_and_relu():
    rng = np.random.default_rng(6)
    xs = normal(rng, SEQ, BATCH, INPUT)
    W_ih, W_hh, _, _ = layer_params(rng, 1, INPUT, HIDDEN)
    output, _ = R.rnn(xs, [(W_ih, W_hh)], nonlinearity="relu")
    relu_cell = lambda x, h, W_ih, W_hh: np.maximum(x @ W_ih.T + h @ W_hh.T, 0)
    expected, _ = reference_sequence(xs, [(W_ih, W_hh)], [(np.zeros((BATCH, HIDDEN)),)], relu_cell)
    np.testing.assert_allclose(output.data, expected, rtol=1e-12, atol=1e-14)


def test_chainer_lstm_interleaved_gates():
    rng = np.random.default_rng(7)
    c_prev, x = normal(rng, BATCH, HIDDEN), normal(rng, BATCH, 4 * HIDDEN)
    c, h = R.chainer_lstm(c_prev, x)
    c_expected, h_expected = reference_chainer_lstm(c_prev, x)
    np.testing.assert_allclose(c.data, c_expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h.data, h_expected, rtol=1e-13, atol=1e-15)


def test_chainer_lstm_column_zero_is_cell_input_of_unit_zero():
    x = np.zeros((1, 4 * HIDDEN))
    x[0, 0] = 5.0
    c, _ = R.chainer_lstm(np.zeros((1, HIDDEN)), x)
    np.testing.assert_allclose(c.data, [[np.tanh(5.0) * 0.5, 0.0]], rtol=1e-14)


def test_chainer_lstm_smaller_batch_keeps_remaining_rows():
    rng = np.random.default_rng(8)
    c_prev, x = normal(rng, 3, HIDDEN), normal(rng, 2, 4 * HIDDEN)
    c, h = R.chainer_lstm(c_prev, x)
    assert (c.shape, h.shape) == ((3, HIDDEN), (2, HIDDEN))
    np.testing.assert_array_equal(c.data[2:], c_prev[2:])
    c_expected, h_expected = reference_chainer_lstm(c_prev, x)
    np.testing.assert_allclose(c.data, c_expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h.data, h_expected, rtol=1e-13, atol=1e-15)


def test_chainer_lstm_trailing_axes():
    rng = np.random.default_rng(9)
    c_prev, x = normal(rng, 2, HIDDEN, 3), normal(rng, 2, 4 * HIDDEN, 3)
    c, h = R.chainer_lstm(c_prev, x)
    for position in range(3):  # each trailing position is an independent 2-D lstm
        c_expected, h_expected = reference_chainer_lstm(c_prev[..., position], x[..., position])
        np.testing.assert_allclose(c.data[..., position], c_expected, rtol=1e-13)
        np.testing.assert_allclose(h.data[..., position], h_expected, rtol=1e-13)


# --------------------------------------------------------------------------------------
# Gradients: first and second order against central differences
# --------------------------------------------------------------------------------------

def _check_both_orders(f, inputs, rng, double=True):
    outputs = f(*[refimpl.Variable(a) for a in inputs])
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    grad_outputs = [normal(rng, *y.shape) for y in outputs]
    check_backward(f, inputs, grad_outputs)
    if double:
        check_double_backward(f, inputs, grad_outputs, [normal(rng, *x.shape) for x in inputs])


def test_rnn_tanh_cell_gradients():
    rng = np.random.default_rng(30)
    inputs = [normal(rng, BATCH, INPUT), normal(rng, BATCH, HIDDEN), *layer_params(rng, 1, INPUT, HIDDEN)]
    _check_both_orders(R.rnn_tanh_cell, inputs, rng)


def test_rnn_relu_cell_gradients_away_from_the_kink():
    rng = np.random.default_rng(31)
    inputs = [normal(rng, BATCH, INPUT), normal(rng, BATCH, HIDDEN), *layer_params(rng, 1, INPUT, HIDDEN)]
    x, h, W_ih, W_hh, b_ih, b_hh = inputs
    pre_activation = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    assert np.abs(pre_activation).min() > 0.05  # central differences stay on one side of 0
    _check_both_orders(R.rnn_relu_cell, inputs, rng)


def test_lstm_cell_gradients():
    rng = np.random.default_rng(32)
    inputs = [normal(rng, BATCH, INPUT), normal(rng, BATCH, HIDDEN), normal(rng, BATCH, HIDDEN),
              *layer_params(rng, 4, INPUT, HIDDEN)]
    _check_both_orders(lambda x, h, c, *params: R.lstm_cell(x, (h, c), *params), inputs, rng)


def test_chainer_lstm_gradients_with_smaller_batch():
    rng = np.random.default_rng(33)
    _check_both_orders(R.chainer_lstm, [normal(rng, 3, HIDDEN), normal(rng, 2, 4 * HIDDEN)], rng)


def _flat_sequence(function, num_layers, gates, batch_first, states, directions=1):
    """``f(x, *states, *params)`` for the gradient checks (params flattened per layer)."""
    options = dict(batch_first=batch_first, bidirectional=directions == 2)

    def f(x, *rest):
        initial, params = rest[:states], rest[states:]
        layers = [tuple(params[4 * l:4 * l + 4]) for l in range(num_layers * directions)]
        if gates == 4:
            output, (h_n, c_n) = function(x, layers, tuple(initial), **options)
            return output, h_n, c_n
        output, h_n = function(x, layers, initial[0], **options)
        return output, h_n
    return f


def _sequence_inputs(rng, gates, num_layers, batch_first, states, directions=1):
    x = normal(rng, *((BATCH, SEQ, INPUT) if batch_first else (SEQ, BATCH, INPUT)))
    initial = [normal(rng, directions * num_layers, BATCH, HIDDEN) for _ in range(states)]
    params = [p for index in range(num_layers * directions)
              for p in layer_params(rng, gates, INPUT if index < directions else directions * HIDDEN,
                                    HIDDEN)]
    return [x, *initial, *params]


@pytest.mark.parametrize("batch_first", [False, True])
def test_rnn_sequence_first_order_gradients(batch_first):
    rng = np.random.default_rng(40)
    f = _flat_sequence(R.rnn, 2, 1, batch_first, 1)
    _check_both_orders(f, _sequence_inputs(rng, 1, 2, batch_first, 1), rng, double=False)


@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm_sequence_first_order_gradients(batch_first):
    rng = np.random.default_rng(41)
    f = _flat_sequence(R.lstm, 2, 4, batch_first, 2)
    _check_both_orders(f, _sequence_inputs(rng, 4, 2, batch_first, 2), rng, double=False)


def test_rnn_sequence_second_order_gradients():
    rng = np.random.default_rng(42)
    f = _flat_sequence(R.rnn, 2, 1, False, 1)
    _check_both_orders(f, _sequence_inputs(rng, 1, 2, False, 1), rng)


def test_bidirectional_gradients():
    rng = np.random.default_rng(44)
    f = _flat_sequence(R.rnn, 2, 1, True, 1, directions=2)
    _check_both_orders(f, _sequence_inputs(rng, 1, 2, True, 1, directions=2), rng, double=False)
    f = _flat_sequence(R.rnn, 1, 1, False, 1, directions=2)
    _check_both_orders(f, _sequence_inputs(rng, 1, 1, False, 1, directions=2), rng)
    f = _flat_sequence(R.lstm, 1, 4, False, 2, directions=2)
    _check_both_orders(f, _sequence_inputs(rng, 4, 1, False, 2, directions=2), rng, double=False)


def test_lstm_sequence_second_order_gradients():
    # One layer: the layer stacking is shared with rnn, whose second order is checked on two
    # layers above; two LSTM layers double this test's time (~3 s) for no new code path.
    rng = np.random.default_rng(43)
    f = _flat_sequence(R.lstm, 1, 4, True, 2)
    _check_both_orders(f, _sequence_inputs(rng, 4, 1, True, 2), rng)


# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------

@given(seq=st.integers(1, 3), batch=st.integers(0, 3), num_layers=st.integers(1, 3),
       batch_first=st.booleans(), batched=st.booleans(), directions=st.sampled_from([1, 2]))
def test_output_shapes_follow_torch(seq, batch, num_layers, batch_first, batched, directions):
    rng = np.random.default_rng(0)
    D, features = directions, directions * HIDDEN
    def weights(gates):
        return [layer_params(rng, gates, INPUT if index < D else features, HIDDEN)[:2]
                for index in range(D * num_layers)]
    if batched:
        x = normal(rng, *((batch, seq, INPUT) if batch_first else (seq, batch, INPUT)))
        out_shape = (batch, seq, features) if batch_first else (seq, batch, features)
        state_shape = (D * num_layers, batch, HIDDEN)
    else:  # unbatched input is always (seq, feature); batch_first does not apply (torch)
        x, out_shape, state_shape = normal(rng, seq, INPUT), (seq, features), (D * num_layers, HIDDEN)
    h_0 = np.zeros(state_shape)
    options = dict(batch_first=batch_first, bidirectional=D == 2)
    output, (h_n, c_n) = R.lstm(x, weights(4), (h_0, h_0), **options)
    assert (output.shape, h_n.shape, c_n.shape) == (out_shape, state_shape, state_shape)
    output, h_n = R.rnn(x, weights(1), h_0, **options)
    assert (output.shape, h_n.shape) == (out_shape, state_shape)


def test_unbatched_sequence_equals_batch_of_one():
    rng = np.random.default_rng(11)
    xs = normal(rng, SEQ, INPUT)
    layers = [layer_params(rng, 4, INPUT, HIDDEN), layer_params(rng, 4, HIDDEN, HIDDEN)]
    h_0, c_0 = normal(rng, 2, HIDDEN), normal(rng, 2, HIDDEN)
    output, (h_n, c_n) = R.lstm(xs, layers, (h_0, c_0))
    output1, (h1, c1) = R.lstm(xs[:, None], layers, (h_0[:, None], c_0[:, None]))
    np.testing.assert_array_equal(output.data, output1.data[:, 0])
    np.testing.assert_array_equal(h_n.data, h1.data[:, 0])
    np.testing.assert_array_equal(c_n.data, c1.data[:, 0])


# --------------------------------------------------------------------------------------
# Argument errors
# --------------------------------------------------------------------------------------

def _one_lstm_layer():
    return [layer_params(np.random.default_rng(12), 4, INPUT, HIDDEN)]


def _one_rnn_layer():
    return [layer_params(np.random.default_rng(13), 1, INPUT, HIDDEN)]


def test_wrong_input_feature_size_is_named():
    with pytest.raises(RuntimeError, match=r"input_size\. Expected 3 .* got 4 \(input\.shape=\(3, 2, 4\)\)"):
        R.lstm(np.zeros((SEQ, BATCH, 4)), _one_lstm_layer())
    with pytest.raises(RuntimeError, match=r"got x\.shape\[-1\]=4, expected W_ih\.shape\[1\]=3"):
        R.lstm_cell(np.zeros((BATCH, 4)), None, *_one_lstm_layer()[0])


def test_wrong_initial_state_shape_is_named():
    x = np.zeros((SEQ, BATCH, INPUT))
    with pytest.raises(RuntimeError, match=r"Expected h_0 size \(1, 2, 2\), got \[1, 3, 2\]"):
        R.lstm(x, _one_lstm_layer(), (np.zeros((1, 3, HIDDEN)), np.zeros((1, BATCH, HIDDEN))))
    with pytest.raises(RuntimeError, match=r"Expected c_0 size \(1, 2, 2\), got \[2, 2, 2\]"):
        R.lstm(x, _one_lstm_layer(), (np.zeros((1, BATCH, HIDDEN)), np.zeros((2, BATCH, HIDDEN))))
    with pytest.raises(RuntimeError, match=r"batched 3-D input, h_0 should also be 3-D but got 2-D"):
        R.rnn(x, _one_rnn_layer(), np.zeros((1, HIDDEN)))
    with pytest.raises(RuntimeError, match=r"unbatched 2-D input, h_0 should also be 2-D but got 3-D"):
        R.lstm(x[:, 0], _one_lstm_layer(), (np.zeros((1, 1, HIDDEN)),) * 2)
    with pytest.raises(RuntimeError, match=r"h must have shape \(2, 2\) .* got h\.shape=\(3, 2\)"):
        R.lstm_cell(np.zeros((BATCH, INPUT)), (np.zeros((3, HIDDEN)), None), *_one_lstm_layer()[0])
    with pytest.raises(TypeError, match=r"hc_0 must be a pair"):
        R.lstm(x, _one_lstm_layer(), np.zeros((1, BATCH, HIDDEN)))


def test_num_layers_below_one():
    with pytest.raises(ValueError, match=r"num_layers must be greater than zero, got len\(weights\)=0"):
        R.rnn(np.zeros((SEQ, BATCH, INPUT)), [])


def test_other_argument_errors():
    x = np.zeros((SEQ, BATCH, INPUT))
    with pytest.raises(ValueError, match=r"Expected input to be 2D or 3D, got 4D"):
        R.lstm(x[None], _one_lstm_layer())
    with pytest.raises(RuntimeError, match=r"sequence length to be larger than 0"):
        R.lstm(x[:0], _one_lstm_layer())
    with pytest.raises(ValueError, match=r"Unknown nonlinearity 'sigmoid'"):
        R.rnn(x, _one_rnn_layer(), nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"W_hh must have shape \(4\*H, H\), got W_hh.shape=\(8, 3\)"):
        R.lstm(x, [(np.zeros((8, INPUT)), np.zeros((8, 3)))])
    with pytest.raises(ValueError, match=r"weights\[1\]: hidden size 3 differs"):
        R.rnn(x, [(np.zeros((2, INPUT)), np.zeros((2, 2))), (np.zeros((3, 2)), np.zeros((3, 3)))])
    with pytest.raises(ValueError, match=r"input dtype \(float32\) does not match weight dtype"):
        R.lstm(x.astype(np.float32), _one_lstm_layer())
    with pytest.raises(TypeError, match=r"input must have a floating-point dtype"):
        R.lstm(x.astype(np.int64), _one_lstm_layer())


def test_chainer_lstm_errors_follow_chainer_type_checks():
    c = np.zeros((2, HIDDEN))
    with pytest.raises(InvalidType, match=r"x.shape\[1\] == 4 \* c.shape\[1\]\nActual: 7 != 8"):
        R.chainer_lstm(c, np.zeros((2, 7)))
    with pytest.raises(InvalidType, match=r"x.shape\[0\] <= c.shape\[0\]\nActual: 3 > 2"):
        R.chainer_lstm(c, np.zeros((3, 8)))
    with pytest.raises(InvalidType, match=r"x.dtype == c.dtype\nActual: float32 != float64"):
        R.chainer_lstm(c, np.zeros((2, 8), np.float32))
    with pytest.raises(InvalidType, match=r"c.ndim >= 2"):  # chainer 7.8.1 crashes (IndexError)
        R.chainer_lstm(c[0], np.zeros(8))


# --------------------------------------------------------------------------------------
# torch <-> chainer LSTM layout
# --------------------------------------------------------------------------------------

def test_gate_row_permutation_moves_each_row_where_documented():
    H = 3
    rows = np.arange(4 * H)                # torch row b*H + u
    chainer_rows = R.torch_gate_rows_to_chainer(rows)
    chainer_gate_of_torch_block = {0: 1, 1: 2, 2: 0, 3: 3}   # i->i, f->f, g->a, o->o
    for block in range(4):
        for unit in range(H):
            assert chainer_rows[4 * unit + chainer_gate_of_torch_block[block]] == block * H + unit
    np.testing.assert_array_equal(R.chainer_gate_rows_to_torch(chainer_rows), rows)


def test_mapping_round_trip_and_bias_sum():
    rng = np.random.default_rng(50)
    W_ih, W_hh, b_ih, b_hh = layer_params(rng, 4, INPUT, HIDDEN)
    chainer = R.torch_lstm_to_chainer(W_ih, W_hh, b_ih, b_hh)
    back = R.chainer_lstm_to_torch(**chainer)
    np.testing.assert_array_equal(back["weight_ih"], W_ih)
    np.testing.assert_array_equal(back["weight_hh"], W_hh)
    np.testing.assert_allclose(back["bias_ih"] + back["bias_hh"], b_ih + b_hh, rtol=1e-15)
    np.testing.assert_array_equal(back["bias_hh"], 0)


def test_mapped_parameters_give_the_same_step():
    """lstm_cell with torch's parameters == chainer_lstm on x W^T + b + h V^T with mapped ones."""
    rng = np.random.default_rng(51)
    x, h, c = normal(rng, BATCH, INPUT), normal(rng, BATCH, HIDDEN), normal(rng, BATCH, HIDDEN)
    params = layer_params(rng, 4, INPUT, HIDDEN)
    chainer = R.torch_lstm_to_chainer(*params)
    pre_activation = x @ chainer["upward_W"].T + chainer["upward_b"] + h @ chainer["lateral_W"].T
    c_chainer, h_chainer = R.chainer_lstm(c, pre_activation)
    h_torch, c_torch = R.lstm_cell(x, (h, c), *params)
    np.testing.assert_allclose(h_chainer.data, h_torch.data, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(c_chainer.data, c_torch.data, rtol=1e-12, atol=1e-15)


def test_mapping_errors():
    with pytest.raises(ValueError, match=r"4H rows, got array.shape=\(6,\)"):
        R.torch_gate_rows_to_chainer(np.zeros(6))
    with pytest.raises(ValueError, match=r"weight_hh must have shape \(8, 2\)"):
        R.torch_lstm_to_chainer(np.zeros((8, 3)), np.zeros((8, 3)))


# --------------------------------------------------------------------------------------
# Layer classes
# --------------------------------------------------------------------------------------

from refimpl.nn.rnn import LSTM, RNN, ChainerLSTM  # noqa: E402  (sections read top-down)


def test_torch_parameter_names_shapes_and_order():
    layer = LSTM(INPUT, HIDDEN, num_layers=2, rng=0)
    expected = [("weight_ih_l0", (8, 3)), ("weight_hh_l0", (8, 2)), ("bias_ih_l0", (8,)),
                ("bias_hh_l0", (8,)), ("weight_ih_l1", (8, 2)), ("weight_hh_l1", (8, 2)),
                ("bias_ih_l1", (8,)), ("bias_hh_l1", (8,))]
    assert [(name, p.shape) for name, p in layer.named_parameters()] == expected
    assert all(p.dtype == np.float32 and p.requires_grad for p in layer.parameters())
    no_bias = RNN(INPUT, HIDDEN, num_layers=2, bias=False, rng=0)
    assert [name for name, _ in no_bias.named_parameters()] == [
        "weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"]


def test_default_init_is_uniform_in_one_over_sqrt_hidden_and_seedable():
    hidden = 25
    values = np.concatenate([p.data.ravel() for p in LSTM(40, hidden, rng=1).parameters()])
    bound = 1 / np.sqrt(hidden)
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound            # the whole interval is used
    assert abs(values.std() - bound / np.sqrt(3)) < 0.01   # std of U(-b, b)
    first, second = LSTM(3, 2, rng=7), LSTM(3, 2, rng=7)
    for a, b in zip(first.parameters(), second.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_layers_call_the_functions_with_their_parameters():
    rng = np.random.default_rng(60)
    x = normal(rng, BATCH, SEQ, INPUT)
    layer = LSTM(INPUT, HIDDEN, num_layers=2, batch_first=True, dtype=np.float64, rng=0)
    output, (h_n, c_n) = layer(x)
    expected, (h_expected, c_expected) = R.lstm(x, [tuple(p.data for p in w) for w in
                                                    layer.layer_weights()], batch_first=True)
    np.testing.assert_array_equal(output.data, expected.data)
    np.testing.assert_array_equal(c_n.data, c_expected.data)
    output.sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in layer.parameters())
    relu = RNN(INPUT, HIDDEN, nonlinearity="relu", dtype=np.float64, rng=0)
    output, _ = relu(x[0])
    assert (output.data >= 0).all()


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="num_layers must be greater than zero, got num_layers=0"):
        RNN(3, 2, num_layers=0)
    with pytest.raises(TypeError, match=r"num_layers must be an int, got num_layers=1.5"):
        LSTM(3, 2, num_layers=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        LSTM(3, 0)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        RNN(3, 2, nonlinearity="sigmoid")
    with pytest.raises(NotImplementedError, match="dropout between layers is not modelled"):
        LSTM(3, 2, num_layers=2, dropout=0.5)
    with pytest.raises(RuntimeError, match=r"input_size\. Expected 3"):
        LSTM(3, 2)(np.zeros((SEQ, BATCH, 4), np.float32))


def test_chainer_lstm_link_parameters_and_init():
    link = ChainerLSTM(INPUT, HIDDEN, rng=0)
    assert [(path, p.shape) for path, p in link.namedparams()] == [
        ("/lateral/W", (8, 2)), ("/upward/W", (8, 3)), ("/upward/b", (8,))]
    np.testing.assert_array_equal(link.upward.b.data, [0, 0, 1, 0, 0, 0, 1, 0])  # forget = 1
    big = ChainerLSTM(200, 300, rng=1)
    assert abs(big.upward.W.data.std() - np.sqrt(1 / 200)) < 0.002   # LeCunNormal, fan_in 200
    assert abs(big.lateral.W.data.std() - np.sqrt(1 / 300)) < 0.002  # fan_in 300


def test_chainer_lstm_link_steps_match_the_function():
    rng = np.random.default_rng(61)
    link = ChainerLSTM(INPUT, HIDDEN, dtype=np.float64, rng=0)
    W, b, V = link.upward.W.data, link.upward.b.data, link.lateral.W.data
    xs = [normal(rng, 3, INPUT), normal(rng, 3, INPUT), normal(rng, 2, INPUT)]
    c, h = np.zeros((3, HIDDEN)), None
    for x in xs:
        y = link(x)
        pre = x @ W.T + b + (0 if h is None else h[:len(x)] @ V.T)   # first step: no lateral
        c, y_expected = reference_chainer_lstm(c, pre)
        h = y_expected if h is None else np.concatenate([y_expected, h[len(x):]])
        np.testing.assert_allclose(y.data, y_expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(link.h.data, h, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(link.c.data, c, rtol=1e-12, atol=1e-15)
    with pytest.raises(TypeError, match="batch size of x must be equal to or less than"):
        link(normal(rng, 4, INPUT))  # h keeps 3 rows
    link.reset_state()
    assert link.h is None and link.c is None


def test_same_values_and_gradients_under_both_policies():
    """The layers are compositions of ops both policies agree on for float arrays of one
    dtype, up to the rounding of sigmoid (its policy field ``sigmoid_form``: torch's
    1 / (1 + exp(-x)) and chainer's tanh form differ in the last bits; float64 here, so
    rtol 1e-12); the fresh-parameter grad differs (NaN under chainer), hence cleargrads()."""
    x = np.random.default_rng(62).standard_normal((SEQ, BATCH, INPUT))
    results = {}
    for policy in ("torch", "chainer"):
        with refimpl.semantics(policy):
            layer = LSTM(INPUT, HIDDEN, num_layers=2, dtype=np.float64, rng=0)
            link = ChainerLSTM(INPUT, HIDDEN, dtype=np.float64, rng=0)
            layer.cleargrads()
            link.cleargrads()
            x_variable = refimpl.Variable(x.copy(), requires_grad=True)
            output, (h_n, c_n) = layer(x_variable)
            (output.sum() + h_n.sum() + c_n.sum()).backward()
            link(x[0])
            link(x[1]).sum().backward()
            results[policy] = [output.data, x_variable.grad, link.h.data] + [
                p.grad for p in list(layer.parameters()) + list(link.params())]
    for torch_value, chainer_value in zip(results["torch"], results["chainer"]):
        np.testing.assert_allclose(torch_value, chainer_value, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------------------
# Against the real frameworks
# --------------------------------------------------------------------------------------

def import_torch():
    return pytest.importorskip("torch", reason="torch is not installed: refimpl vs torch skipped")


def import_chainer():
    try:
        import chainer
    except Exception as error:  # ImportError, or numpy 2 / setuptools breaking chainer's import
        pytest.skip(f"chainer cannot be imported ({type(error).__name__}: {error})")
    return chainer


def assert_close(what, actual, expected, rtol=1e-10, atol=1e-12):
    """float64 on both sides: only rounding of differently ordered sums separates them."""
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol,
                               err_msg=what)


def _torch_run(torch, module, x, hx, grad_seeds):
    """Forward, then backward of sum_k <outputs[k], grad_seeds[k]>; returns outputs as arrays."""
    output, state = module(x, hx)
    outputs = (output,) + (state if isinstance(state, tuple) else (state,))
    sum(torch.sum(y * torch.from_numpy(g)) for y, g in zip(outputs, grad_seeds)).backward()
    return [y.detach().numpy() for y in outputs]


def _refimpl_run(layer, x, hx, grad_seeds):
    output, state = layer(x, hx)
    outputs = (output,) + (state if isinstance(state, tuple) else (state,))
    total = None
    for y, g in zip(outputs, grad_seeds):
        term = (y * g).sum()
        total = term if total is None else total + term
    total.backward()
    return [y.data for y in outputs]


@pytest.mark.frameworks
@pytest.mark.parametrize("kind", ["RNN-tanh", "RNN-relu", "LSTM"])
@pytest.mark.parametrize("num_layers, batch_first, bias, batched, bidirectional", [
    (1, False, True, True, False), (2, False, True, True, False), (3, True, True, True, False),
    (2, True, False, True, False), (2, False, True, False, False), (2, True, True, True, True),
    (1, False, False, False, True)])
def test_refimpl_layers_match_torch(kind, num_layers, batch_first, bias, batched, bidirectional):
    torch = import_torch()
    torch.manual_seed(num_layers)
    rng = np.random.default_rng(num_layers)
    is_lstm = kind == "LSTM"
    options = dict(num_layers=num_layers, bias=bias, batch_first=batch_first,
                   bidirectional=bidirectional)
    if is_lstm:
        torch_layer, layer = torch.nn.LSTM(INPUT, HIDDEN, **options), LSTM(INPUT, HIDDEN, **options,
                                                                          dtype=np.float64)
    else:
        nonlinearity = kind.split("-")[1]
        torch_layer = torch.nn.RNN(INPUT, HIDDEN, nonlinearity=nonlinearity, **options)
        layer = RNN(INPUT, HIDDEN, nonlinearity=nonlinearity, **options, dtype=np.float64)
    torch_layer = torch_layer.double()
    layer.load_state_dict({k: v.detach().numpy().copy() for k, v in torch_layer.state_dict().items()})

    shape = ((BATCH, SEQ, INPUT) if batch_first else (SEQ, BATCH, INPUT)) if batched else (SEQ, INPUT)
    directions = 2 if bidirectional else 1
    state_shape = (directions * num_layers,) + ((BATCH, HIDDEN) if batched else (HIDDEN,))
    x = normal(rng, *shape)
    states = [normal(rng, *state_shape) for _ in range(2 if is_lstm else 1)]
    torch_x = torch.tensor(x, requires_grad=True)
    torch_states = [torch.tensor(s, requires_grad=True) for s in states]
    ref_x, ref_states = variable(x), [variable(s) for s in states]
    out_shape = shape[:-1] + (directions * HIDDEN,)
    grad_seeds = [normal(rng, *out_shape)] + [normal(rng, *state_shape) for _ in states]

    torch_hx = tuple(torch_states) if is_lstm else torch_states[0]
    ref_hx = tuple(ref_states) if is_lstm else ref_states[0]
    expected = _torch_run(torch, torch_layer, torch_x, torch_hx, grad_seeds)
    actual = _refimpl_run(layer, ref_x, ref_hx, grad_seeds)
    for name, a, e in zip(["output", "h_n", "c_n"], actual, expected):
        assert a.shape == e.shape, f"{name}: shape {a.shape} vs torch {e.shape}"
        assert_close(f"{kind} {name}", a, e)
    assert_close("grad input", ref_x.grad, torch_x.grad.numpy())
    for index, (r, t) in enumerate(zip(ref_states, torch_states)):
        assert_close(f"grad initial state {index}", r.grad, t.grad.numpy())
    torch_params = dict(torch_layer.named_parameters())
    names = [name for name, _ in layer.named_parameters()]
    assert names == list(torch_params)
    for name, parameter in layer.named_parameters():
        assert_close(f"grad {name}", parameter.grad, torch_params[name].grad.numpy())


@pytest.mark.frameworks
def test_refimpl_lstm_matches_torch_in_float32():
    torch = import_torch()
    torch.manual_seed(0)
    torch_layer = torch.nn.LSTM(INPUT, HIDDEN, num_layers=2)
    layer = LSTM(INPUT, HIDDEN, num_layers=2)
    layer.load_state_dict({k: v.detach().numpy().copy() for k, v in torch_layer.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
    expected, (h_expected, c_expected) = torch_layer(torch.from_numpy(x))
    output, (h_n, c_n) = layer(x)
    assert output.dtype == np.float32
    # float32: the two sides sum products in different orders; a few ulps of difference.
    for a, e in ((output, expected), (h_n, h_expected), (c_n, c_expected)):
        assert_close("float32", a.data, e.detach().numpy(), rtol=1e-5, atol=1e-6)


ERROR_CASES = {
    # name: call(nn, arr) with nn torch.nn or refimpl.nn.rnn and arr(shape) making a zero input
    "input feature size": lambda nn, arr: nn.LSTM(3, 2)(arr((SEQ, BATCH, 4))),
    "input 4-D": lambda nn, arr: nn.LSTM(3, 2)(arr((1, SEQ, BATCH, 3))),
    "h_0 batch": lambda nn, arr: nn.RNN(3, 2)(arr((SEQ, BATCH, 3)), arr((1, 3, 2))),
    "h_0 layers": lambda nn, arr: nn.RNN(3, 2, num_layers=2)(arr((SEQ, BATCH, 3)), arr((1, BATCH, 2))),
    "h_0 2-D for batched": lambda nn, arr: nn.RNN(3, 2)(arr((SEQ, BATCH, 3)), arr((1, 2))),
    "c_0 size": lambda nn, arr: nn.LSTM(3, 2)(arr((SEQ, BATCH, 3)), (arr((1, BATCH, 2)), arr((1, BATCH, 3)))),
    "empty sequence": lambda nn, arr: nn.LSTM(3, 2)(arr((0, BATCH, 3))),
    "num_layers 0": lambda nn, arr: nn.LSTM(3, 2, num_layers=0),
    "num_layers float": lambda nn, arr: nn.RNN(3, 2, num_layers=1.5),
    "hidden_size 0": lambda nn, arr: nn.RNN(3, 0),
    "nonlinearity": lambda nn, arr: nn.RNN(3, 2, nonlinearity="sigmoid"),
}


@pytest.mark.frameworks
@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_invalid_arguments_raise_the_same_exception_class_as_torch(case):
    torch = import_torch()
    import refimpl.nn.rnn as refimpl_nn
    with pytest.raises(Exception) as torch_error:
        ERROR_CASES[case](torch.nn, lambda shape: torch.zeros(shape))
    with pytest.raises(Exception) as refimpl_error:
        ERROR_CASES[case](refimpl_nn, lambda shape: np.zeros(shape, np.float32))
    assert refimpl_error.type is torch_error.type, (
        f"{case}: refimpl raised {refimpl_error.type.__name__}({refimpl_error.value}) vs torch "
        f"{torch_error.type.__name__}({torch_error.value})")


@pytest.mark.frameworks
def test_chainer_lstm_function_matches_chainer():
    chainer = import_chainer()
    rng = np.random.default_rng(70)
    c_prev, x = normal(rng, 3, HIDDEN), normal(rng, 2, 4 * HIDDEN)   # smaller x batch
    gc, gh = normal(rng, 3, HIDDEN), normal(rng, 2, HIDDEN)
    chainer_c, chainer_x = chainer.Variable(c_prev.copy()), chainer.Variable(x.copy())
    c, h = chainer.functions.lstm(chainer_c, chainer_x)
    (chainer.functions.sum(c * gc) + chainer.functions.sum(h * gh)).backward()
    ref_c, ref_x = variable(c_prev), variable(x)
    c_ref, h_ref = R.chainer_lstm(ref_c, ref_x)
    ((c_ref * gc).sum() + (h_ref * gh).sum()).backward()
    assert_close("c", c_ref.data, c.array)
    assert_close("h", h_ref.data, h.array)
    assert_close("grad c_prev", ref_c.grad, chainer_c.grad)
    assert_close("grad x", ref_x.grad, chainer_x.grad)


def _chainer_link_with(chainer, params):
    """chainer.links.LSTM with the given float64 arrays (upward_W, upward_b, lateral_W)."""
    link = chainer.links.LSTM(INPUT, HIDDEN)
    link.upward.W.array = params["upward_W"].copy()
    link.upward.b.array = params["upward_b"].copy()
    link.lateral.W.array = params["lateral_W"].copy()
    link.cleargrads()
    return link


@pytest.mark.frameworks
def test_torch_lstm_and_chainer_link_agree_through_the_mapping():
    """torch nn.LSTM (1 layer) and chainer L.LSTM with weights copied through
    ``torch_lstm_to_chainer``: same outputs, and every gradient maps through the same row
    permutation (both of torch's biases get chainer's one bias gradient)."""
    torch, chainer = import_torch(), import_chainer()
    torch.manual_seed(3)
    rng = np.random.default_rng(71)
    torch_layer = torch.nn.LSTM(INPUT, HIDDEN).double()
    p = {k: v.detach().numpy() for k, v in torch_layer.named_parameters()}
    link = _chainer_link_with(chainer, R.torch_lstm_to_chainer(
        p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]))
    x, seeds = normal(rng, SEQ, BATCH, INPUT), normal(rng, SEQ, BATCH, HIDDEN)

    torch_x = torch.tensor(x, requires_grad=True)
    torch_output, (torch_h, torch_c) = torch_layer(torch_x)
    torch.sum(torch_output * torch.from_numpy(seeds)).backward()

    chainer_xs = [chainer.Variable(x[t].copy()) for t in range(SEQ)]
    ys = [link(x_t) for x_t in chainer_xs]
    sum(chainer.functions.sum(y * seeds[t]) for t, y in enumerate(ys)).backward()

    assert_close("output", np.stack([y.array for y in ys]), torch_output.detach().numpy())
    assert_close("h_n", link.h.array, torch_h.detach().numpy()[0])
    assert_close("c_n", link.c.array, torch_c.detach().numpy()[0])
    assert_close("grad x", np.stack([v.grad for v in chainer_xs]), torch_x.grad.numpy())
    grads = {k: v.grad.numpy() for k, v in torch_layer.named_parameters()}
    to_chainer = R.torch_gate_rows_to_chainer
    assert_close("upward.W grad", link.upward.W.grad, to_chainer(grads["weight_ih_l0"]))
    assert_close("lateral.W grad", link.lateral.W.grad, to_chainer(grads["weight_hh_l0"]))
    assert_close("upward.b grad (bias_ih)", link.upward.b.grad, to_chainer(grads["bias_ih_l0"]))
    assert_close("upward.b grad (bias_hh)", link.upward.b.grad, to_chainer(grads["bias_hh_l0"]))

    back = R.chainer_lstm_to_torch(link.upward.W.array, link.upward.b.array, link.lateral.W.array)
    torch_again = torch.nn.LSTM(INPUT, HIDDEN).double()
    torch_again.load_state_dict({f"{k}_l0": torch.from_numpy(v) for k, v in back.items()})
    assert_close("chainer -> torch output", torch_again(torch.from_numpy(x))[0].detach().numpy(),
                 torch_output.detach().numpy())


@pytest.mark.frameworks
def test_refimpl_chainer_lstm_link_matches_chainer_with_variable_batch():
    chainer = import_chainer()
    rng = np.random.default_rng(72)
    reference = ChainerLSTM(INPUT, HIDDEN, dtype=np.float64, rng=0)
    link = _chainer_link_with(chainer, {"upward_W": reference.upward.W.data,
                                        "upward_b": reference.upward.b.data,
                                        "lateral_W": reference.lateral.W.data})
    assert_close("default bias", chainer.links.LSTM(INPUT, HIDDEN).upward.b.array,
                 ChainerLSTM(INPUT, HIDDEN).upward.b.data, rtol=0, atol=0)
    xs = [normal(rng, 3, INPUT), normal(rng, 3, INPUT), normal(rng, 2, INPUT), normal(rng, 1, INPUT)]
    seeds = [normal(rng, len(x), HIDDEN) for x in xs]
    chainer_xs, ref_xs = [chainer.Variable(x.copy()) for x in xs], [variable(x) for x in xs]
    chainer_ys = [link(x) for x in chainer_xs]
    ref_ys = [reference(x) for x in ref_xs]
    (sum(chainer.functions.sum(y * s) for y, s in zip(chainer_ys, seeds))
     + chainer.functions.sum(link.c * link.c)).backward()
    total = reference.c * reference.c
    total = total.sum()
    for y, s in zip(ref_ys, seeds):
        total = total + (y * s).sum()
    total.backward()
    for t, (a, e) in enumerate(zip(ref_ys, chainer_ys)):
        assert_close(f"y[{t}]", a.data, e.array)
    assert_close("h", reference.h.data, link.h.array)
    assert_close("c", reference.c.data, link.c.array)
    for t, (a, e) in enumerate(zip(ref_xs, chainer_xs)):
        assert_close(f"grad x[{t}]", a.grad, e.grad)
    chainer_params = dict(link.namedparams())
    for path, parameter in reference.namedparams():
        assert_close(f"grad {path}", parameter.grad, chainer_params[path].grad)
