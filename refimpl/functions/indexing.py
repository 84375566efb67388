"""Indexing: getitem (basic slicing, integer arrays, boolean masks) and where."""
from .. import _backend, policies as _semantics
from ..function import Function
from ..variable import Variable
from ._util import argument_error, as_variable, numbers_only, prepare_operands
from .broadcast import unbroadcast


def _normalize_key(key):
    """The key with Variables replaced by arrays and lists by arrays; validated."""
    xp_key = key if isinstance(key, tuple) else (key,)
    items = []
    for item in xp_key:
        if isinstance(item, Variable):
            item = item.data
        elif isinstance(item, list):
            item = _backend.numpy.asarray(item)
        elif isinstance(item, str):
            raise argument_error("str_index", f"only integers, slices, None, Ellipsis and "
                                              f"integer or boolean arrays are valid indices, "
                                              f"got {item!r} in key={key!r}", "GetItem")
        if hasattr(item, "dtype") and item.dtype.kind not in "biu":
            raise IndexError(f"index arrays must be integer or boolean, got dtype={item.dtype} in key={key!r}")
        items.append(item)
    return tuple(items)


def _is_advanced(key):
    return any(hasattr(item, "dtype") and item.dtype.kind in "iu" and item.ndim > 0 for item in key)


def _indexes_with_arrays(key):
    """Whether ``key`` holds an integer array of 1 or more dimensions or a boolean mask (also
    0-d, or a Python bool): torch's IndexBackward, which saves the index tensors and makes a
    copy. Ints, slices, None, Ellipsis and 0-d integer arrays select a view (Select/Slice
    backward saves nothing)."""
    return any(type(item) is bool
               or hasattr(item, "dtype") and (item.dtype.kind == "b" or item.ndim > 0)
               for item in key)


class GetItem(Function):
    saves_tensors = False
    is_view = True

    def __init__(self, key):
        self.key = key
        if _indexes_with_arrays(key):
            self.saves_tensors, self.is_view = True, False

    def forward(self, x):
        return x[self.key]

    def backward(self, gy):
        return GetItemGrad(self.key, self.inputs[0].shape)(gy)


class GetItemGrad(Function):
    """Zeros of the input's shape with ``gy`` added at ``key`` (repeated indices add up)."""
    saves_tensors = False

    def __init__(self, key, shape):
        self.key, self.shape = key, shape

    def forward(self, gy):
        xp = _backend.get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_advanced(self.key):
            xp.add.at(gx, self.key, gy)
        else:
            gx[self.key] = gy
        return gx

    def backward(self, ggx):
        return GetItem(self.key)(ggx)


def _check_key(data, key):
    """Raise NumPy's IndexError for a key that does not fit ``data``. CuPy does not raise for
    an out-of-range index in an integer array (it wraps around), so a CuPy array's key is
    checked on the host against a zero-stride stand-in of its shape (the index arrays are
    copied to the host: one synchronisation)."""
    if not _backend.is_cupy_array(data):
        data[key]
        return
    host_key = tuple(_backend.to_numpy(item) if _backend.is_cupy_array(item) else item
                     for item in key)
    _backend.numpy.broadcast_to(_backend.numpy.empty((), bool), data.shape)[host_key]


def getitem(x, key):
    """``x[key]``: slices, ints, None, Ellipsis, integer arrays and boolean masks.

    The gradient adds up at repeated integer indices.
    """
    x = as_variable(x)
    key = _normalize_key(key)
    try:
        _check_key(x.data, key)
    except IndexError as error:
        raise argument_error("index", f"invalid index key={key!r} for x of shape {x.shape}: "
                                      f"{error}", "GetItem") from None
    return GetItem(key)(x)


class Where(Function):
    def __init__(self, condition):
        self.condition = condition

    def forward(self, x, y):
        return _backend.get_array_module(x, y).where(self.condition, x, y)

    def backward(self, gy):
        x, y = self.inputs
        xp = _backend.get_array_module(gy.data)
        zero = as_variable(xp.zeros((), dtype=gy.dtype))
        gx = unbroadcast(Where(self.condition)(gy, zero), x.shape) if x.requires_grad else None
        gyy = unbroadcast(Where(self.condition)(zero, gy), y.shape) if y.requires_grad else None
        return gx, gyy


def where(condition, x, y):
    """``x`` where ``condition`` else ``y``, broadcasting all three; ``condition`` gets no gradient."""
    if isinstance(condition, Variable):
        condition = condition.data
    x, y = numbers_only(x, y, "where") or prepare_operands((x, y), "Where")
    if not hasattr(condition, "dtype"):  # a list: on the operands' device
        condition = _backend.get_array_module(x.data, y.data).asarray(condition)
    if condition.dtype.kind != "b":
        if _semantics.current().invalid_argument_errors != "numpy":
            raise argument_error("where_dtype", f"condition must be boolean, got "
                                                f"condition.dtype={condition.dtype}", "Where")
        condition = condition != 0  # NumPy's where takes any condition as truth values
    _backend.get_array_module(condition, x.data, y.data)  # DeviceMismatchError when mixed
    try:
        _backend.numpy.broadcast_shapes(condition.shape, x.shape, y.shape)
    except ValueError:
        raise argument_error("where_shape", f"where: condition.shape={condition.shape}, "
                                            f"x.shape={x.shape} and y.shape={y.shape} do not "
                                            f"broadcast", "Where") from None
    return Where(condition)(x, y)


def masked_gradient(gx, factor, selects):
    """A gradient ``gx = gy * factor`` through a mask (``factor``: an array, 0 where nothing
    passes) as it is, or with ``selects`` (torch's kernels: ``masked_fill``/``where``) 0 where
    the factor is 0, whatever gy held there (NaN and inf included). Differentiable in gy."""
    return where(factor != 0, gx, gx.dtype.type(0)) if selects else gx
