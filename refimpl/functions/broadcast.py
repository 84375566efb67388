"""Broadcasting and its inverse: ``broadcast_to`` and ``sum_to``, and ``unbroadcast``, the
step every broadcasting op's gradient ends with (sum the gradient back to an input's shape)."""
from .. import _backend
from ..function import Function
from ._util import argument_error, as_variable, returns_input


def unbroadcast(gy, shape):
    """Sum ``gy`` down to ``shape`` (the inverse of broadcasting); a no-op if equal."""
    return gy if gy.shape == shape else sum_to(gy, shape)


class SumTo(Function):
    saves_tensors = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(self.shape) if n == 1 and x.shape[lead + i] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        if lead:
            y = y.reshape(self.shape)
        return y.copy() if y is x else y  # (ascontiguousarray would make a 0-d x 1-d)

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


class BroadcastTo(Function):
    saves_tensors = False
    is_view = True

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        xp = _backend.get_array_module(x)
        return xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        return unbroadcast(gy, self.inputs[0].shape)


def sum_to(x, shape):
    """Sum ``x`` over its broadcast axes so that its shape becomes ``shape``."""
    x = as_variable(x)
    shape = tuple(shape)
    if x.shape == shape and returns_input("sum_to" if shape else "sum_to_0d"):
        return x
    if not broadcasts_to(shape, x.shape):
        raise ValueError(f"cannot sum x of shape {x.shape} to shape={shape}: shape does not "
                         f"broadcast to x.shape")
    return SumTo(shape)(x)


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape`` (NumPy rules)."""
    x = as_variable(x)
    shape = tuple(shape)
    if x.shape == shape and returns_input("broadcast_to"):
        return x
    if not broadcasts_to(x.shape, shape):
        raise argument_error("shape", f"cannot broadcast x of shape {x.shape} to shape={shape}",
                             "BroadcastTo")
    return BroadcastTo(shape)(x)


def broadcasts_to(source, target):
    """Whether an array of shape ``source`` broadcasts to exactly ``target``."""
    try:
        return _backend.numpy.broadcast_shapes(source, target) == target
    except ValueError:
        return False
