"""Recurrent cells and sequences: Elman RNN (tanh or relu) and LSTM, in PyTorch's layout,
plus Chainer's ``F.lstm`` activation and the mapping between the two LSTM layouts.

Everything is a composition of refimpl ops (matmul, add, tanh, sigmoid, mul, split,
concat, stack), so first and higher derivatives come for free.

PyTorch's layout (``torch.nn.RNNCell``, ``LSTMCell``, ``RNN``, ``LSTM``): a layer with
``G`` gates has ``W_ih`` of shape ``(G*H, in)``, ``W_hh`` of shape ``(G*H, H)`` and two
biases ``b_ih``, ``b_hh`` of shape ``(G*H,)``; the LSTM's ``4H`` rows are four blocks in
the order (i, f, g, o): input gate, forget gate, cell candidate, output gate.

Chainer's layout (``chainer.functions.lstm``, ``chainer.links.LSTM``): the ``4H``
pre-activation is read as shape ``(batch, H, 4)``, so the gates (a, i, f, o) -- cell input
``a`` (torch's g), input, forget, output -- are interleaved per unit: column ``4*u + k`` is
gate ``k`` of unit ``u`` (checked by running chainer 7.8.1: a pre-activation of 5 at column
0 alone gives ``c[0, 0] = tanh(5) * sigmoid(0)``). ``links.LSTM`` has one bias (upward.b)
where torch has two (``b_ih + b_hh``). ``torch_lstm_to_chainer`` / ``chainer_lstm_to_torch``
convert parameters between the layouts.

Not modelled: dropout between layers (torch's ``dropout``), ``proj_size``, and packed
sequences.
"""
from .. import _backend
from ..errors import InvalidType
from ._util import as_variable
from .activation import relu
from .linear import linear
from .math import sigmoid, tanh
from .matmul import matmul
from .shape import concat, expand_dims, reshape, split, stack, swapaxes, transpose

__all__ = [
    "chainer_gate_rows_to_torch", "chainer_lstm", "chainer_lstm_to_torch", "lstm",
    "lstm_cell", "rnn", "rnn_relu_cell", "rnn_tanh_cell", "torch_gate_rows_to_chainer",
    "torch_lstm_to_chainer",
]

_ACTIVATIONS = {"tanh": tanh, "relu": relu}


# --------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------

def _floating(value, name):
    variable = as_variable(value, name)
    if variable.dtype.kind != "f":
        raise TypeError(f"{name} must have a floating-point dtype, got {name}.dtype={variable.dtype}")
    return variable


def _check_same_dtype(named_variables, function_name):
    """Raise RuntimeError when the given (name, Variable) pairs do not share one dtype."""
    present = [(name, v) for name, v in named_variables if v is not None]
    dtypes = {v.dtype for _, v in present}
    if len(dtypes) > 1:
        listed = ", ".join(f"{name}.dtype={v.dtype}" for name, v in present)
        raise RuntimeError(f"{function_name}: all arrays must have one dtype, got {listed}")


def _check_weights(W_ih, W_hh, b_ih, b_hh, gates, where):
    """Check one layer's parameter shapes; return the hidden size H."""
    if W_hh.ndim != 2 or W_hh.shape[0] != gates * W_hh.shape[1]:
        raise ValueError(f"{where}W_hh must have shape ({gates}*H, H), got W_hh.shape={W_hh.shape}")
    rows, hidden = W_hh.shape
    if W_ih.ndim != 2 or W_ih.shape[0] != rows:
        raise ValueError(f"{where}W_ih must have shape ({rows}, input_size) to match "
                         f"W_hh.shape={W_hh.shape}, got W_ih.shape={W_ih.shape}")
    for name, bias in (("b_ih", b_ih), ("b_hh", b_hh)):
        if bias is not None and bias.shape != (rows,):
            raise ValueError(f"{where}{name} must have shape ({rows},), got {name}.shape={bias.shape}")
    return hidden


def _cell_arguments(x, states, W_ih, W_hh, b_ih, b_hh, gates, function_name):
    """Validated Variables for a cell call; missing states become zeros."""
    x = _floating(x, "x")
    W_ih, W_hh = _floating(W_ih, "W_ih"), _floating(W_hh, "W_hh")
    b_ih = None if b_ih is None else _floating(b_ih, "b_ih")
    b_hh = None if b_hh is None else _floating(b_hh, "b_hh")
    hidden = _check_weights(W_ih, W_hh, b_ih, b_hh, gates, "")
    if x.ndim not in (1, 2):
        raise ValueError(f"{function_name}: Expected input to be 1D or 2D, got x.ndim={x.ndim} "
                         f"(x.shape={x.shape})")
    if x.shape[-1] != W_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got x.shape[-1]={x.shape[-1]}, "
                           f"expected W_ih.shape[1]={W_ih.shape[1]}")
    expected = x.shape[:-1] + (hidden,)
    checked = []
    for name, state in states:
        if state is None:
            xp = _backend.get_array_module(x.data)
            state = as_variable(xp.zeros(expected, dtype=x.dtype))
        state = _floating(state, name)
        if state.shape != expected:
            raise RuntimeError(f"{name} must have shape {expected} for x.shape={x.shape} and "
                               f"hidden size {hidden}, got {name}.shape={state.shape}")
        checked.append(state)
    _check_same_dtype([("x", x), ("W_ih", W_ih), ("W_hh", W_hh), ("b_ih", b_ih),
                       ("b_hh", b_hh)] + [(name, v) for (name, _), v in zip(states, checked)],
                      function_name)
    return x, checked, W_ih, W_hh, b_ih, b_hh


# --------------------------------------------------------------------------------------
# One time step (shared by the cells and the sequences)
# --------------------------------------------------------------------------------------

def _linear(x, W, b):
    """``x W^T + b`` (b may be None); 2-D ``x`` goes through the fused ``linear`` op."""
    if x.ndim == 2:
        return linear(x, W, b, n_batch_axes=1)
    y = matmul(x, transpose(W))
    return y if b is None else y + b


def _rnn_step(x_projection, h, W_hh, b_hh, activation):
    """``activation(x_projection + h W_hh^T + b_hh)``."""
    return activation(x_projection + _linear(h, W_hh, b_hh))


def _lstm_step(x_projection, h, c, W_hh, b_hh):
    """One LSTM step from ``x W_ih^T + b_ih``; returns ``(h', c')``."""
    gates = x_projection + _linear(h, W_hh, b_hh)
    hidden = h.shape[-1]
    i, f, g, o = split(gates, [hidden] * 4, axis=-1, _sizes=True)
    c_next = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h_next = sigmoid(o) * tanh(c_next)
    return h_next, c_next


# --------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------

def rnn_tanh_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    """One Elman RNN step with tanh (``torch.nn.RNNCell``, ``torch.rnn_tanh_cell``).

    .. math:: h' = \\tanh(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})

    Args:
        x: input of shape ``(batch, input_size)`` or unbatched ``(input_size,)``.
        h: hidden state of shape ``(batch, H)`` (``(H,)`` unbatched); None means zeros.
        W_ih: ``(H, input_size)``. W_hh: ``(H, H)``.
        b_ih, b_hh: ``(H,)`` each, or None for no bias (torch's ``bias=False``).

    Returns ``h'`` of ``h``'s shape. Chainer has no RNN cell (it builds one from
    ``links.Linear`` and ``functions.tanh``), so there is nothing to differ.

    >>> import numpy, refimpl.functions.rnn as R
    >>> R.rnn_tanh_cell(numpy.ones((1, 2)), None, numpy.eye(2), numpy.eye(2)).data.round(4)
    array([[0.7616, 0.7616]])
    """
    return _rnn_cell(x, h, W_ih, W_hh, b_ih, b_hh, "tanh", "rnn_tanh_cell")


def rnn_relu_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    """As ``rnn_tanh_cell`` with relu: ``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``
    (torch ``nn.RNNCell(nonlinearity='relu')``; the gradient at 0 is 0, as torch)."""
    return _rnn_cell(x, h, W_ih, W_hh, b_ih, b_hh, "relu", "rnn_relu_cell")


def _rnn_cell(x, h, W_ih, W_hh, b_ih, b_hh, nonlinearity, function_name):
    x, (h,), W_ih, W_hh, b_ih, b_hh = _cell_arguments(
        x, [("h", h)], W_ih, W_hh, b_ih, b_hh, 1, function_name)
    return _rnn_step(_linear(x, W_ih, b_ih), h, W_hh, b_hh, _ACTIVATIONS[nonlinearity])


def lstm_cell(x, hc, W_ih, W_hh, b_ih=None, b_hh=None):
    """One LSTM step in PyTorch's layout (``torch.nn.LSTMCell``).

    .. math::
        i, f, g, o &= \\text{split}_4(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh}) \\\\
        c' &= \\sigma(f) c + \\sigma(i) \\tanh(g) \\\\
        h' &= \\sigma(o) \\tanh(c')

    Args:
        x: input of shape ``(batch, input_size)`` or unbatched ``(input_size,)``.
        hc: the pair ``(h, c)``, each ``(batch, H)`` (``(H,)`` unbatched); None means zeros.
        W_ih: ``(4H, input_size)``, W_hh: ``(4H, H)``, rows in gate order (i, f, g, o).
        b_ih, b_hh: ``(4H,)`` each, or None.

    Returns ``(h', c')`` (torch's order; Chainer's ``chainer_lstm`` returns ``(c, h)``).
    """
    h, c = _state_pair(hc, "hc")
    x, (h, c), W_ih, W_hh, b_ih, b_hh = _cell_arguments(
        x, [("h", h), ("c", c)], W_ih, W_hh, b_ih, b_hh, 4, "lstm_cell")
    return _lstm_step(_linear(x, W_ih, b_ih), h, c, W_hh, b_hh)


def _state_pair(hc, name):
    if hc is None:
        return None, None
    if not isinstance(hc, (tuple, list)) or len(hc) != 2:
        raise TypeError(f"{name} must be a pair (h, c) or None, got {name}={hc!r}")
    return tuple(hc)


# --------------------------------------------------------------------------------------
# Sequences
# --------------------------------------------------------------------------------------

def rnn(input, weights, h_0=None, *, nonlinearity="tanh", batch_first=False,
        bidirectional=False):
    """A stack of Elman RNN layers over a sequence (``torch.nn.RNN``).

    Layer ``l`` computes, for ``t = 1..T``,
    ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` with ``x_t`` the input (layer 0)
    or the previous layer's ``h_t``, and ``act`` tanh or relu. A bidirectional layer also
    runs the same recurrence for ``t = T..1`` with its own weights and concatenates both
    directions' ``h_t`` along the features (forward first).

    Args:
        input: ``(T, batch, input_size)``; ``(batch, T, input_size)`` with ``batch_first``;
            unbatched ``(T, input_size)`` (``batch_first`` does not apply, as in torch).
        weights: one tuple per layer and direction, ``(W_ih, W_hh, b_ih, b_hh)`` or
            ``(W_ih, W_hh)`` without biases, in torch's order (layer 0, layer 0 reverse,
            layer 1, ...); ``W_ih`` is ``(H, input_size)`` in layer 0 and ``(H, D*H)`` after
            (``D`` = 2 if bidirectional else 1); ``W_hh`` is ``(H, H)``.
            ``num_layers`` is ``len(weights) / D``.
        h_0: ``(D*num_layers, batch, H)`` (also with ``batch_first``), ``(D*num_layers, H)``
            unbatched; None means zeros.
        nonlinearity: ``'tanh'`` or ``'relu'``.
        batch_first: whether ``input`` and the output have the batch axis first.
        bidirectional: whether each layer also runs backwards in time.

    Returns ``(output, h_n)``: ``output`` holds the last layer's ``h_t`` for every ``t``,
    shaped as ``input`` with ``D*H`` features; ``h_n`` holds every layer's and direction's
    last state (``h_1`` for a reverse direction), shaped as ``h_0``. Dropout between layers
    is not modelled.
    """
    if nonlinearity not in _ACTIVATIONS:
        raise ValueError(f"Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'.")
    activation = _ACTIVATIONS[nonlinearity]

    def step(x_projection, state, W_hh, b_hh):
        return (_rnn_step(x_projection, state[0], W_hh, b_hh, activation),)

    output, (h_n,) = _sequence(input, weights, [("h_0", h_0)], 1, step, batch_first,
                               bidirectional, "RNN")
    return output, h_n


def lstm(input, weights, hc_0=None, *, batch_first=False, bidirectional=False):
    """A stack of LSTM layers over a sequence (``torch.nn.LSTM``), each step ``lstm_cell``.

    Args:
        input: ``(T, batch, input_size)``; ``(batch, T, input_size)`` with ``batch_first``;
            unbatched ``(T, input_size)``.
        weights: one tuple per layer and direction (see ``rnn``), ``(W_ih, W_hh, b_ih,
            b_hh)`` or ``(W_ih, W_hh)``; ``W_ih`` is ``(4H, input_size)`` in layer 0 and
            ``(4H, D*H)`` after, rows in gate order (i, f, g, o).
        hc_0: the pair ``(h_0, c_0)``, each ``(D*num_layers, batch, H)`` (also with
            ``batch_first``; ``(D*num_layers, H)`` unbatched); None means zeros.
        batch_first: whether ``input`` and the output have the batch axis first.
        bidirectional: whether each layer also runs backwards in time (as ``rnn``).

    Returns ``(output, (h_n, c_n))`` with torch's shapes (see ``rnn``). Dropout and
    ``proj_size`` are not modelled.
    """
    h_0, c_0 = _state_pair(hc_0, "hc_0")

    def step(x_projection, state, W_hh, b_hh):
        return _lstm_step(x_projection, state[0], state[1], W_hh, b_hh)

    output, (h_n, c_n) = _sequence(input, weights, [("h_0", h_0), ("c_0", c_0)], 4, step,
                                   batch_first, bidirectional, "LSTM")
    return output, (h_n, c_n)


def _sequence(input, weights, initial_states, gates, step, batch_first, bidirectional, mode):
    """Validate, bring everything to ``(T, batch, ...)`` form, run the layers, convert back."""
    input = _floating(input, "input")
    if input.ndim not in (2, 3):
        raise ValueError(f"{mode}: Expected input to be 2D or 3D, got {input.ndim}D tensor "
                         f"instead (input.shape={input.shape})")
    directions = 2 if bidirectional else 1
    layers = _layer_weights(weights, gates, input, directions, mode)
    batched = input.ndim == 3
    if not batched:
        sequence = expand_dims(input, 1)
    else:
        sequence = swapaxes(input, 0, 1) if batch_first else input
    if sequence.shape[0] == 0:
        raise RuntimeError(f"Expected sequence length to be larger than 0 in RNN, got "
                           f"input.shape={input.shape}")
    hidden = layers[0][1].shape[1]
    states = [_initial_state(value, name, len(layers), sequence.shape[1], hidden, batched, input)
              for name, value in initial_states]
    output, final_states = _run_layers(sequence, states, layers, step, directions)
    if not batched:
        return (reshape(output, (output.shape[0], directions * hidden)),
                [reshape(s, (len(layers), hidden)) for s in final_states])
    return (swapaxes(output, 0, 1) if batch_first else output), final_states


def _layer_weights(weights, gates, input, directions, mode):
    """Validated ``(W_ih, W_hh, b_ih, b_hh)`` Variables per layer and direction (biases may
    be None)."""
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
        raise TypeError(f"weights must be a list with one (W_ih, W_hh[, b_ih, b_hh]) tuple per "
                        f"layer, got weights={weights!r}")
    if len(weights) < 1:
        raise ValueError(f"num_layers must be greater than zero, got len(weights)={len(weights)}")
    if len(weights) % directions:
        raise ValueError(f"a bidirectional RNN needs two weight tuples per layer, got "
                         f"len(weights)={len(weights)}")
    layers, expected_input = [], input.shape[-1]
    for index, layer in enumerate(weights):
        where = f"weights[{index}]: "
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 4):
            raise TypeError(f"{where}expected (W_ih, W_hh) or (W_ih, W_hh, b_ih, b_hh), got {layer!r}")
        W_ih, W_hh, b_ih, b_hh = [None if value is None else _floating(value, f"weights[{index}][{k}]")
                                  for k, value in enumerate((tuple(layer) + (None, None))[:4])]
        hidden = _check_weights(W_ih, W_hh, b_ih, b_hh, gates, where)
        if W_ih.shape[1] != expected_input:
            if index == 0:
                raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                                   f"{W_ih.shape[1]} (weights[0] W_ih.shape={W_ih.shape}), got "
                                   f"{expected_input} (input.shape={input.shape})")
            raise ValueError(f"{where}W_ih.shape={W_ih.shape} must take the previous layer's "
                             f"output size {expected_input}")
        if layers and hidden != layers[0][1].shape[1]:
            raise ValueError(f"{where}hidden size {hidden} differs from layer 0's "
                             f"{layers[0][1].shape[1]}: every layer has one hidden size")
        for name, value in zip(("W_ih", "W_hh", "b_ih", "b_hh"), (W_ih, W_hh, b_ih, b_hh)):
            if value is not None and value.dtype != input.dtype:
                raise ValueError(f"{mode} input dtype ({input.dtype}) does not match weight dtype "
                                 f"(weights[{index}] {name}.dtype={value.dtype})")
        layers.append((W_ih, W_hh, b_ih, b_hh))
        if index % directions == directions - 1:  # the next layer reads every direction
            expected_input = directions * hidden
    return layers


def _initial_state(value, name, num_layers, batch, hidden, batched, input):
    """``(num_layers, batch, H)`` Variable for an initial state (zeros when None)."""
    expected = (num_layers, batch, hidden)
    if value is None:
        xp = _backend.get_array_module(input.data)
        return as_variable(xp.zeros(expected, dtype=input.dtype))
    value = _floating(value, name)
    if value.dtype != input.dtype:
        raise ValueError(f"{name}.dtype={value.dtype} does not match input.dtype={input.dtype}")
    if value.ndim != (3 if batched else 2):
        kind = "batched 3-D" if batched else "unbatched 2-D"
        raise RuntimeError(f"For {kind} input, {name} should also be {3 if batched else 2}-D but "
                           f"got {value.ndim}-D ({name}.shape={value.shape})")
    if not batched:
        value = expand_dims(value, 1)
    if value.shape != expected:
        shown = expected if batched else (num_layers, hidden)
        got = value.shape if batched else (value.shape[0], value.shape[2])
        raise RuntimeError(f"Expected {name} size {shown}, got {list(got)}")
    return value


def _run_layers(sequence, states, layers, step, directions):
    """Run every layer (each direction) over ``sequence`` ``(T, batch, in)``; return the last
    layer's outputs and, per state kind, the final states stacked over layers and directions."""
    per_index = list(zip(*[_unstack(state) for state in states]))  # [layer*D + d][kind]
    finals = []
    for first in range(0, len(layers), directions):
        outputs = []
        for direction in range(directions):
            index = first + direction
            output, final = _run_layer(sequence, per_index[index], *layers[index], step,
                                       reverse=direction == 1)
            outputs.append(output)
            finals.append(final)
        sequence = outputs[0] if directions == 1 else concat(outputs, axis=-1)
    return sequence, [stack([final[kind] for final in finals], axis=0) for kind in range(len(states))]


def _unstack(variable):
    """The slices ``variable[0], variable[1], ...`` along axis 0 (split: cheap backward)."""
    pieces = split(variable, [1] * variable.shape[0], axis=0, _sizes=True)
    return [reshape(piece, piece.shape[1:]) for piece in pieces]


def _run_layer(sequence, state, W_ih, W_hh, b_ih, b_hh, step, reverse=False):
    """One layer over ``(T, batch, in)``: the input projection for all steps in one matmul,
    then the recurrence (from ``t = T`` down with ``reverse``). Returns ``(outputs
    (T, batch, H) in time order, final state tuple)``."""
    length, batch, features = sequence.shape
    flat = reshape(sequence, (length * batch, features))
    projection = reshape(_linear(flat, W_ih, b_ih), (length, batch, W_ih.shape[0]))
    steps = _unstack(projection)
    outputs = []
    for x_projection in (reversed(steps) if reverse else steps):
        state = step(x_projection, state, W_hh, b_hh)
        outputs.append(state[0])
    if reverse:
        outputs.reverse()
    return stack(outputs, axis=0), state


# --------------------------------------------------------------------------------------
# Chainer's LSTM activation
# --------------------------------------------------------------------------------------

def chainer_lstm(c_prev, x):
    """Chainer's ``F.lstm(c_prev, x)``: the LSTM activation on a given pre-activation.

    ``x`` of shape ``(batch, 4H, ...)`` is read as ``(batch, H, 4, ...)``: column ``4u + k``
    holds gate ``k`` of unit ``u``, gates (a, i, f, o) (cell input, input, forget, output).

    .. math::
        c &= \\tanh(a) \\sigma(i) + \\sigma(f) c_{prev} \\\\
        h &= \\sigma(o) \\tanh(c)

    Args:
        c_prev: previous cell state ``(batch_c, H, ...)``, ``batch_c >= batch``.
        x: pre-activation ``(batch, 4H, ...)`` of ``c_prev``'s dtype.

    Returns ``(c, h)`` (Chainer's order). As Chainer, a smaller ``x`` batch updates only
    ``c[:batch]`` and passes ``c_prev[batch:]`` through unchanged; ``h`` has ``batch`` rows.
    Shape errors raise ``InvalidType`` with Chainer's checks; where Chainer 7.8.1 crashes
    with ``IndexError`` (a 1-D ``c_prev`` or ``x``), refimpl raises ``InvalidType`` for
    ``c.ndim >= 2``.

    >>> import numpy, refimpl.functions.rnn as R
    >>> x = numpy.zeros((1, 4)); x[0, 0] = 5.0   # a = 5 for the only unit
    >>> c, h = R.chainer_lstm(numpy.zeros((1, 1)), x)
    >>> float(c.data[0, 0]) == numpy.tanh(5.0) * 0.5
    True
    """
    c_prev, x = as_variable(c_prev, "c_prev"), as_variable(x, "x")
    _check_chainer_lstm_types(c_prev, x)
    batch, hidden = x.shape[0], c_prev.shape[1]
    rest = x.shape[2:]
    gates = split(reshape(x, (batch, hidden, 4) + rest), [1, 1, 1, 1], axis=2, _sizes=True)
    a, i, f, o = [reshape(gate, (batch, hidden) + rest) for gate in gates]
    c_updated_rows, c_kept_rows = _split_rows(c_prev, batch)
    c = tanh(a) * sigmoid(i) + sigmoid(f) * c_updated_rows
    h = sigmoid(o) * tanh(c)
    if c_kept_rows is not None:
        c = concat([c, c_kept_rows], axis=0)
    return c, h


def _split_rows(c_prev, batch):
    """``(c_prev[:batch], c_prev[batch:] or None)``."""
    if batch == c_prev.shape[0]:
        return c_prev, None
    return split(c_prev, [batch, c_prev.shape[0] - batch], axis=0, _sizes=True)


def _check_chainer_lstm_types(c, x):
    """Chainer's ``LSTM.check_type_forward``, in its order, with its messages."""
    def expect(condition, expectation, actual):
        if not condition:
            raise InvalidType(expectation, actual, "LSTM")

    expect(c.dtype.kind == "f", "c.dtype.kind == f", f"{c.dtype.kind} != f")
    expect(x.dtype == c.dtype, "x.dtype == c.dtype", f"{x.dtype} != {c.dtype}")
    expect(c.ndim >= 2, "c.ndim >= 2", f"{c.ndim} < 2")
    expect(x.ndim >= 2, "x.ndim >= 2", f"{x.ndim} < 2")
    expect(c.ndim == x.ndim, "c.ndim == x.ndim", f"{c.ndim} != {x.ndim}")
    expect(x.shape[0] <= c.shape[0], "x.shape[0] <= c.shape[0]", f"{x.shape[0]} > {c.shape[0]}")
    expect(x.shape[1] == 4 * c.shape[1], "x.shape[1] == 4 * c.shape[1]",
           f"{x.shape[1]} != {4 * c.shape[1]}")
    for axis in range(2, c.ndim):
        expect(x.shape[axis] == c.shape[axis], f"x.shape[{axis}] == c.shape[{axis}]",
               f"{x.shape[axis]} != {c.shape[axis]}")


# --------------------------------------------------------------------------------------
# Layout mapping between torch.nn.LSTM and chainer.links.LSTM
# --------------------------------------------------------------------------------------

# Chainer's gate k (a, i, f, o) is torch's row block _TORCH_BLOCK_OF_CHAINER_GATE[k]
# (torch blocks: 0 i, 1 f, 2 g, 3 o; chainer's cell input a is torch's g).
_TORCH_BLOCK_OF_CHAINER_GATE = (2, 0, 1, 3)
# Torch's block b is chainer's gate _CHAINER_GATE_OF_TORCH_BLOCK[b].
_CHAINER_GATE_OF_TORCH_BLOCK = (1, 2, 0, 3)


def _gate_rows(array, name):
    if not hasattr(array, "shape") or array.ndim not in (1, 2) or array.shape[0] % 4:
        raise ValueError(f"{name} must be an array of 1 or 2 dimensions with 4H rows, got "
                         f"{name}.shape={getattr(array, 'shape', None)}")
    return array.shape[0] // 4


def torch_gate_rows_to_chainer(array):
    """Reorder the ``4H`` rows of a torch LSTM weight, bias or gradient into chainer's layout.

    torch row ``b*H + u`` (block ``b`` in i, f, g, o; unit ``u``) becomes chainer row
    ``4*u + k`` with ``k`` the same gate in chainer's order (a=g, i, f, o).
    Works on NumPy and CuPy arrays of shape ``(4H,)`` or ``(4H, n)``; returns a new array.
    """
    hidden = _gate_rows(array, "array")
    blocks = array.reshape((4, hidden) + array.shape[1:])        # [torch block, unit, ...]
    by_chainer_gate = blocks[list(_TORCH_BLOCK_OF_CHAINER_GATE)]   # [chainer gate, unit, ...]
    interleaved = by_chainer_gate.swapaxes(0, 1)                   # [unit, chainer gate, ...]
    return interleaved.reshape(array.shape).copy()


def chainer_gate_rows_to_torch(array):
    """The inverse of ``torch_gate_rows_to_chainer``: chainer row ``4*u + k`` becomes torch
    row ``b*H + u`` with ``b`` the same gate in torch's order (i, f, g, o)."""
    hidden = _gate_rows(array, "array")
    units = array.reshape((hidden, 4) + array.shape[1:])           # [unit, chainer gate, ...]
    by_gate = units.swapaxes(0, 1)                                 # [chainer gate, unit, ...]
    blocks = by_gate[list(_CHAINER_GATE_OF_TORCH_BLOCK)]           # [torch block, unit, ...]
    return blocks.reshape(array.shape).copy()


def torch_lstm_to_chainer(weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """Parameters of one torch ``nn.LSTM`` layer (or ``nn.LSTMCell``) as ``chainer.links.LSTM``'s.

    Returns ``dict(upward_W, upward_b, lateral_W)``: ``upward.W`` is ``weight_ih`` with its
    rows reordered (``torch_gate_rows_to_chainer``), ``lateral.W`` the same of
    ``weight_hh``, and ``upward.b`` the reordered sum ``bias_ih + bias_hh`` (chainer's
    lateral link has no bias; a missing bias counts as zeros). Both layers then compute the
    same ``h`` and ``c`` for the same inputs and states.
    """
    hidden = _gate_rows(weight_ih, "weight_ih")
    if weight_hh.shape != (4 * hidden, hidden):
        raise ValueError(f"weight_hh must have shape {(4 * hidden, hidden)} to match "
                         f"weight_ih.shape={weight_ih.shape}, got weight_hh.shape={weight_hh.shape}")
    xp = _backend.get_array_module(weight_ih)
    bias = xp.zeros(4 * hidden, dtype=weight_ih.dtype)
    for name, value in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if value is not None:
            if value.shape != (4 * hidden,):
                raise ValueError(f"{name} must have shape {(4 * hidden,)}, got {name}.shape={value.shape}")
            bias = bias + value
    return {"upward_W": torch_gate_rows_to_chainer(weight_ih),
            "upward_b": torch_gate_rows_to_chainer(bias),
            "lateral_W": torch_gate_rows_to_chainer(weight_hh)}


def chainer_lstm_to_torch(upward_W, upward_b, lateral_W):
    """Parameters of ``chainer.links.LSTM`` as one torch ``nn.LSTM`` layer's.

    Returns ``dict(weight_ih, weight_hh, bias_ih, bias_hh)`` with rows reordered by
    ``chainer_gate_rows_to_torch``. Chainer's one bias goes to ``bias_ih`` and ``bias_hh``
    is zeros (only the sum matters, so the split is a choice, not a recovery).
    """
    hidden = _gate_rows(upward_W, "upward_W")
    if lateral_W.shape != (4 * hidden, hidden):
        raise ValueError(f"lateral_W must have shape {(4 * hidden, hidden)} to match "
                         f"upward_W.shape={upward_W.shape}, got lateral_W.shape={lateral_W.shape}")
    if upward_b.shape != (4 * hidden,):
        raise ValueError(f"upward_b must have shape {(4 * hidden,)}, got upward_b.shape={upward_b.shape}")
    xp = _backend.get_array_module(upward_W)
    return {"weight_ih": chainer_gate_rows_to_torch(upward_W),
            "weight_hh": chainer_gate_rows_to_torch(lateral_W),
            "bias_ih": chainer_gate_rows_to_torch(upward_b),
            "bias_hh": xp.zeros(4 * hidden, dtype=upward_b.dtype)}
