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


def reference_sequence(xs, layers, states, cell):
    """(T, B, in) through layers; ``states`` is a list of per-layer state tuples."""
    finals = []
    for params, state in zip(layers, states):
        outputs = []
        for x in xs:
            state = cell(x, *state, *params)
            state = state if isinstance(state, tuple) else (state,)
            outputs.append(state[0])
        xs = np.stack(outputs)
        finals.append(state)
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


def _flat_sequence(function, num_layers, gates, batch_first, states):
    """``f(x, *states, *params)`` for the gradient checks (params flattened per layer)."""
    def f(x, *rest):
        initial, params = rest[:states], rest[states:]
        layers = [tuple(params[4 * l:4 * l + 4]) for l in range(num_layers)]
        if gates == 4:
            output, (h_n, c_n) = function(x, layers, tuple(initial), batch_first=batch_first)
            return output, h_n, c_n
        output, h_n = function(x, layers, initial[0], batch_first=batch_first)
        return output, h_n
    return f


def _sequence_inputs(rng, gates, num_layers, batch_first, states, seq=SEQ):
    x = normal(rng, *((BATCH, seq, INPUT) if batch_first else (seq, BATCH, INPUT)))
    initial = [normal(rng, num_layers, BATCH, HIDDEN) for _ in range(states)]
    params = [p for l in range(num_layers)
              for p in layer_params(rng, gates, INPUT if l == 0 else HIDDEN, HIDDEN)]
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


def test_lstm_sequence_second_order_gradients():
    rng = np.random.default_rng(43)
    f = _flat_sequence(R.lstm, 2, 4, True, 2)
    _check_both_orders(f, _sequence_inputs(rng, 4, 2, True, 2), rng)


# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------

@given(seq=st.integers(1, 3), batch=st.integers(0, 3), num_layers=st.integers(1, 3),
       batch_first=st.booleans(), batched=st.booleans())
def test_output_shapes_follow_torch(seq, batch, num_layers, batch_first, batched):
    rng = np.random.default_rng(0)
    layers = [layer_params(rng, 4, INPUT if l == 0 else HIDDEN, HIDDEN) for l in range(num_layers)]
    if batched:
        x = normal(rng, *((batch, seq, INPUT) if batch_first else (seq, batch, INPUT)))
        out_shape = (batch, seq, HIDDEN) if batch_first else (seq, batch, HIDDEN)
        state_shape = (num_layers, batch, HIDDEN)
    else:  # unbatched input is always (seq, feature); batch_first does not apply (torch)
        x, out_shape, state_shape = normal(rng, seq, INPUT), (seq, HIDDEN), (num_layers, HIDDEN)
    h_0 = np.zeros(state_shape)
    output, (h_n, c_n) = R.lstm(x, layers, (h_0, h_0), batch_first=batch_first)
    assert (output.shape, h_n.shape, c_n.shape) == (out_shape, state_shape, state_shape)
    rnn_layers = [p[:2] for p in (layer_params(rng, 1, INPUT if l == 0 else HIDDEN, HIDDEN)
                                  for l in range(num_layers))]
    output, h_n = R.rnn(x, rnn_layers, h_0, batch_first=batch_first)
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
    with pytest.raises(NotImplementedError, match="bidirectional"):
        LSTM(3, 2, bidirectional=True)
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
