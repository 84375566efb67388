"""More reductions, shape ops and products: prod, cumsum, cumprod, flip, tile, repeat,
flatten, moveaxis, tensordot, einsum, bmm.

Gradients are exact where zeros meet products: ``prod``'s gradient for element j is the
product of the other elements (never ``prod / x_j``), itself a ``prod`` over a masked copy,
so every order of derivative stays exact; ``cumprod`` is a ``prod`` over a triangular mask.
"""
import numbers

from .. import _backend, _mode, policies as _semantics
from ..function import Function
from ..variable import Variable
from ._util import (argument_error, as_variable, float_input, normalize_axis, prepare_operands,
                    returns_input)
from .indexing import where
from .broadcast import broadcast_to
from .matmul import MatMul, matmul
from .reduction import _expand_back, _reduction_axes, sum
from .shape import Reshape, Transpose, expand_dims, reshape


def _permute(x, axes):
    """``x`` with its axes permuted (no node for the identity)."""
    axes = tuple(axes)
    return x if axes == tuple(range(x.ndim)) else Transpose(axes)(x)


def _inverse(axes):
    return tuple(sorted(range(len(axes)), key=list(axes).__getitem__))


def _others_product(x):
    """For x of shape (..., n): the product of the other n - 1 elements of each row, at
    each position (exact with zeros): ``prod`` of x broadcast to (..., n, n) with the
    diagonal set to 1."""
    xp = _backend.get_array_module(x.data)
    n = x.shape[-1]
    rows = broadcast_to(expand_dims(x, -2), x.shape[:-1] + (n, n))
    return prod(where(xp.eye(n, dtype=bool), 1.0, rows), axis=-1)


def _skips_zero_terms():
    """Whether prod's and cumprod's gradients leave out the terms a zero input makes 0 where
    the backward is not recorded (policy ``product_zero_gradient`` 'skip_unrecorded')."""
    return _semantics.current().product_zero_gradient == "skip_unrecorded"


class Prod(Function):
    def __init__(self, axes, keepdims, skipped=None):
        # skipped: the gradient terms gy * (product of the others) that torch's backward
        # leaves out (gives 0) where it is not recorded (policy product_zero_gradient): a
        # bool array, True for all of them, or None (it computes every term)
        self.axes, self.keepdims, self.skipped = axes, keepdims, skipped

    def forward(self, x):
        xp = _backend.get_array_module(x)
        return xp.asarray(xp.prod(x, axis=self.axes, keepdims=self.keepdims))

    def backward(self, gy):
        x = self.inputs[0]
        spread = _expand_back(gy, x.shape, self.axes)
        if x.size == 0 or not self.axes:
            return spread if self.axes else gy
        skipped = None if _mode.is_grad_enabled() else self.skipped
        if skipped is True:  # torch's zeros_like(input), whatever gy holds
            return Variable._constant(_backend.get_array_module(x.data).zeros_like(x.data))
        kept = tuple(i for i in range(x.ndim) if i not in self.axes)
        order = kept + self.axes
        moved = _permute(x, order)
        rows = reshape(moved, moved.shape[:len(kept)] + (-1,))
        others = _permute(reshape(_others_product(rows), moved.shape), _inverse(order))
        return spread * others if skipped is None else where(skipped, 0.0, spread * others)


def prod(x, axis=None, keepdims=False):
    """Product over ``axis`` (an int, a tuple, or None for all); its gradient at element j
    is the product of the other elements (exact with zeros, as both frameworks).

    torch's ``prod_backward`` over all elements (axis None) of an input with two or more
    zeros gives zeros where it is not recorded (no create_graph), whatever the output gradient
    holds (policy ``product_zero_gradient``); along a dim, or with one zero, it multiplies."""
    x = float_input(x, "prod")
    skipped = True if axis is None and _skips_zero_terms() and (x.data == 0).sum() >= 2 else None
    return Prod(_reduction_axes(axis, x, "Prod"), bool(keepdims), skipped)(x)


def _one_axis(axis, x, name, kind="axis"):
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{name} needs an int axis, got axis={axis!r}")
    return normalize_axis(axis, x.ndim, kind=kind)[0]


class _Copy(Function):
    """A new node with x's values (the running sum or product of a single element)."""

    saves_tensors = False

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


class Cumsum(Function):
    saves_tensors = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return _backend.get_array_module(x).cumsum(x, axis=self.axis)

    def backward(self, gy):
        return flip(cumsum(flip(gy, self.axis), self.axis), self.axis)


def cumsum(x, axis=None):
    """Running sums along ``axis`` (None: of the flattened input, as NumPy and chainer)."""
    x = float_input(x, "cumsum")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if x.ndim == 0:  # torch: a 0-d input along axis 0 or -1: a copy of itself
        _one_axis(axis, x, "cumsum")
        return _Copy()(x)
    return Cumsum(_one_axis(axis, x, "cumsum"))(x)


def cumprod(x, axis=None):
    """Running products along ``axis`` (None: of the flattened input): element i is the
    ``prod`` of the elements 0..i, so gradients are exact with zeros (torch's leaves out the
    terms a zero makes 0 where it is not recorded: policy ``product_zero_gradient``)."""
    x = float_input(x, "cumprod")
    flattened = axis is None
    if flattened:
        x, axis = reshape(x, (-1,)), 0
    if x.ndim == 0:
        _one_axis(axis, x, "cumprod")
        return _Copy()(x)
    axis = _one_axis(axis, x, "cumprod")
    if x.shape[axis] <= 1:  # each running product is the element itself: a copy
        copy = _Copy()
        # chainer 7.8.1's Cumprod.backward returns the output gradient as it is for an axis
        # of length <= 1 (with axis=None it reshapes it), so a missing one passes through
        # (policy 'none_seed': y.backward() on a non-scalar F.cumprod(x, axis) is nothing)
        copy.passes_none_grad = not flattened
        copy.saves_tensors = True  # torch's CumprodBackward0 saves x and y all the same
        return copy(x)
    xp = _backend.get_array_module(x.data)
    order = tuple(i for i in range(x.ndim) if i != axis) + (axis,)
    moved = _permute(x, order)
    n = moved.shape[-1]
    rows = broadcast_to(expand_dims(moved, -2), moved.shape[:-1] + (n, n))
    upto = xp.tril(xp.ones((n, n), dtype=bool))  # row i keeps elements 0..i
    factors = where(upto, rows, 1.0)
    skipped = None
    if _skips_zero_terms() and (x.data == 0).any():
        # torch 2.13's cumprod_backward (aten/src/ATen/native/ReduceOps.cpp) for an input
        # with a zero, where it is not recorded (no create_graph), takes an O(n) masked path
        # that leaves out every term gy_i * dy_i/dx_k (the product of row i's factors but
        # x_k) that another zero factor makes 0: before the first zero z1 it sums
        # gy_i * y_i / x_k over i < z1 only; at z1, y_(z1-1) * sum(gy_i * prod(x_(z1+1..i)))
        # over z1 <= i < z2 (the second zero); after z1, 0 whatever gy holds. Recorded, it
        # multiplies every term (its O(n^2) omitted products), as chainer (0 * NaN = NaN).
        zeros = factors.data == 0
        skipped = zeros.sum(axis=-1, keepdims=True) - zeros > 0
    products = Prod((factors.ndim - 1,), False, skipped)(factors)
    return _permute(products, _inverse(order))


class Flip(Function):
    saves_tensors = False

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return _backend.get_array_module(x).flip(x, self.axes)

    def backward(self, gy):
        return Flip(self.axes)(gy)


def flip(x, axis):
    """``x`` reversed along ``axis`` (an int or a tuple of ints)."""
    x = as_variable(x)
    if axis is None:
        raise TypeError("flip needs an axis (an int or a tuple of ints), got axis=None")
    return Flip(normalize_axis(axis, x.ndim))(x)


class Tile(Function):
    saves_tensors = False

    def __init__(self, reps):
        self.reps = reps

    def forward(self, x):
        return _backend.get_array_module(x).tile(x, self.reps)

    def backward(self, gy):
        x = self.inputs[0]
        ndim = max(len(self.reps), x.ndim)
        reps = (1,) * (ndim - len(self.reps)) + self.reps
        shape = (1,) * (ndim - x.ndim) + x.shape
        pairs = tuple(n for pair in zip(reps, shape) for n in pair)
        summed = sum(reshape(gy, pairs), axis=tuple(range(0, 2 * ndim, 2)))
        return reshape(summed, x.shape)


def tile(x, reps):
    """``x`` repeated ``reps`` times along each axis (``numpy.tile``: ``reps`` shorter than
    ``x.ndim`` is padded with 1s in front; longer, ``x`` gets leading axes)."""
    x = as_variable(x)
    reps = (reps,) if isinstance(reps, numbers.Integral) else tuple(reps)
    if not all(isinstance(r, numbers.Integral) and not isinstance(r, bool) and r >= 0
               for r in reps):
        if all(isinstance(r, numbers.Integral) and not isinstance(r, bool) for r in reps):
            raise argument_error("value", f"tile needs non-negative reps, got reps={reps!r}",
                                 "tile")
        raise TypeError(f"tile needs int reps, got reps={reps!r}")
    return Tile(tuple(int(r) for r in reps))(x)


class Repeat(Function):
    saves_tensors = False  # torch's repeat_interleave keeps only the counts

    def __init__(self, repeats, axis):
        self.repeats, self.axis = repeats, axis

    def forward(self, x):
        return _backend.get_array_module(x).repeat(x, self.repeats, axis=self.axis)

    def backward(self, gy):
        x = self.inputs[0]
        if self.axis is None:
            return reshape(sum(reshape(gy, (x.size, self.repeats)), axis=1), x.shape)
        shape = x.shape[:self.axis] + (x.shape[self.axis], self.repeats) + x.shape[self.axis + 1:]
        return sum(reshape(gy, shape), axis=self.axis + 1)


def repeat(x, repeats, axis=None):
    """Each element repeated ``repeats`` (an int) times along ``axis`` (None: of the
    flattened input), as ``numpy.repeat`` and ``torch.repeat_interleave``."""
    x = as_variable(x)
    if not isinstance(repeats, numbers.Integral) or isinstance(repeats, bool):
        raise TypeError(f"repeat needs an int repeats, got repeats={repeats!r}")
    if repeats < 0:
        raise argument_error("value", f"repeat needs a non-negative repeats, got "
                                      f"repeats={repeats!r}", "repeat")
    if axis is not None:  # chainer hands the axis to numpy.repeat: its 'permute_axis' class
        axis = _one_axis(axis, x, "repeat", "permute_axis") if x.ndim else None
    return Repeat(int(repeats), axis)(x)


def flatten(x):
    """``x`` as a 1-D array (a 0-d input gives shape (1,)). A 1-D input is returned itself
    where the policy's ``identity_ops_return_input`` has 'flatten'."""
    x = as_variable(x)
    if x.ndim == 1 and returns_input("flatten"):
        return x
    return Reshape((x.size,))(x)


def moveaxis(x, source, destination):
    """``x`` with the axes ``source`` moved to ``destination`` (ints or tuples of ints of
    one length), the others in their order."""
    x = as_variable(x)
    source_axes = normalize_axis(source, x.ndim, "source")
    destination_axes = normalize_axis(destination, x.ndim, "destination")
    if len(source_axes) != len(destination_axes):
        raise argument_error("value", f"moveaxis needs as many source as destination axes, "
                                      f"got source={source!r}, destination={destination!r}",
                             "moveaxis")
    order = [i for i in range(x.ndim) if i not in source_axes]
    for destination_axis, source_axis in sorted(zip(destination_axes, source_axes)):
        order.insert(destination_axis, source_axis)
    return Transpose(tuple(order))(x)


def _tensordot_axes(axes, a, b):
    if isinstance(axes, numbers.Integral) and not isinstance(axes, bool):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise argument_error("shape", f"tensordot: axes={axes} is out of range for "
                                          f"a.ndim={a.ndim}, b.ndim={b.ndim}", "Tensordot")
        return tuple(range(a.ndim - axes, a.ndim)), tuple(range(axes))
    try:
        a_axes, b_axes = axes
    except (TypeError, ValueError):
        raise TypeError(f"tensordot needs axes as an int or a pair of axis sequences, got "
                        f"axes={axes!r}") from None
    a_axes = normalize_axis(a_axes if not isinstance(a_axes, numbers.Integral) else (a_axes,),
                            a.ndim, "axes[0]")
    b_axes = normalize_axis(b_axes if not isinstance(b_axes, numbers.Integral) else (b_axes,),
                            b.ndim, "axes[1]")
    return a_axes, b_axes


def tensordot(a, b, axes=2):
    """The sum over the paired axes of ``a`` and ``b`` of their product (``numpy.tensordot``):
    ``axes`` an int (the last ``axes`` of a with the first of b) or two sequences of axes."""
    a, b = prepare_operands((as_variable(a, "a"), as_variable(b, "b")), "Tensordot")
    a_axes, b_axes = _tensordot_axes(axes, a, b)
    if len(a_axes) != len(b_axes) or any(a.shape[i] != b.shape[j] for i, j in zip(a_axes, b_axes)):
        raise argument_error("unchecked_shape", f"tensordot: axes={axes!r} pair sides of "
                                                f"different lengths: a.shape={a.shape}, "
                                                f"b.shape={b.shape}", "Tensordot")
    a_free = tuple(i for i in range(a.ndim) if i not in a_axes)
    b_free = tuple(i for i in range(b.ndim) if i not in b_axes)
    contracted = 1
    for i in a_axes:
        contracted *= a.shape[i]
    a_rows = reshape(_permute(a, a_free + a_axes), (-1, contracted))
    b_columns = reshape(_permute(b, b_axes + b_free), (contracted, -1))
    return reshape(matmul(a_rows, b_columns),
                   tuple(a.shape[i] for i in a_free) + tuple(b.shape[i] for i in b_free))


def _parse_einsum(subscripts, count):
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum needs subscripts as a str, got subscripts={subscripts!r}")
    text = subscripts.replace(" ", "")
    if "." in text:
        raise ValueError(f"refimpl's einsum takes no ellipsis, got subscripts={subscripts!r}")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != count:
        raise argument_error("value", f"einsum: subscripts={subscripts!r} name {len(terms)} "
                                      f"operands, got {count}", "einsum")
    letters = "".join(terms)
    if not arrow:  # implicit output: the letters that occur once, in alphabetical order
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for term in terms + [output]:
        if not term.isalpha() and term:
            raise ValueError(f"einsum: subscripts={subscripts!r} must be letters")
        if len(set(term)) != len(term):
            raise ValueError(f"refimpl's einsum takes no repeated letter within one term "
                             f"(diagonals), got subscripts={subscripts!r}")
    if set(output) - set(letters):
        raise argument_error("value", f"einsum: output letters of subscripts={subscripts!r} "
                                      f"must occur in an input", "einsum")
    return terms, output


class Einsum(Function):
    def __init__(self, terms, output):
        self.terms, self.output_term = terms, output
        # torch saves the operands of a product; one operand (a permutation, a sum) saves none
        self.saves_tensors = len(terms) > 1
        # torch 2.13's einsum of one operand that sums nothing ('i->i', 'ij->ji') returns a
        # view of it (permute), which under no_grad follows the policy's no_grad_views
        self.is_view = len(terms) == 1 and sorted(output) == sorted(terms[0])

    def forward(self, *operands):
        xp = _backend.get_array_module(*operands)
        spec = ",".join(self.terms) + "->" + self.output_term
        return xp.asarray(xp.einsum(spec, *operands))

    def backward(self, gy):
        grads = []
        for index, operand in enumerate(self.inputs):
            if not operand.requires_grad:
                grads.append(None)
                continue
            others = [(t, v) for i, (t, v) in enumerate(zip(self.terms, self.inputs)) if i != index]
            present = set(self.output_term).union(*[set(t) for t, _ in others])
            target = self.terms[index]
            reached = "".join(c for c in target if c in present)
            grad = Einsum([self.output_term] + [t for t, _ in others], reached)(
                gy, *[v for _, v in others])
            if reached != target:  # letters summed in this operand only: the gradient spreads
                shape = tuple(operand.shape[i] if c in present else 1
                              for i, c in enumerate(target))
                grad = broadcast_to(reshape(grad, shape), operand.shape)
            grads.append(grad)
        return tuple(grads)


def einsum(subscripts, *operands):
    """Einstein summation, as ``numpy.einsum`` without ellipses or repeated letters within
    one term; the gradient of each operand is itself an einsum."""
    terms, output = _parse_einsum(subscripts, len(operands))
    operands = [as_variable(v, f"operands[{i}]") for i, v in enumerate(operands)]
    operands = prepare_operands(operands, "Einsum") if len(operands) > 1 else operands
    sizes = {}
    for term, operand in zip(terms, operands):
        if len(term) != operand.ndim:
            raise argument_error("shape", f"einsum: term {term!r} of subscripts={subscripts!r} "
                                          f"does not fit an operand of shape {operand.shape}",
                                 "Einsum")
        for letter, n in zip(term, operand.shape):
            if sizes.setdefault(letter, n) != n:
                raise argument_error("shape", f"einsum: letter {letter!r} of "
                                              f"subscripts={subscripts!r} has sizes "
                                              f"{sizes[letter]} and {n}", "Einsum")
    return Einsum(terms, output)(*operands)


def bmm(a, b):
    """Batched matrix product of two 3-D arrays ``(B, n, k) @ (B, k, m)`` (torch.bmm,
    chainer F.batch_matmul); no broadcasting."""
    a, b = as_variable(a, "a"), as_variable(b, "b")
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise argument_error("shape", f"bmm needs (B, n, k) and (B, k, m) operands, got "
                                      f"a.shape={a.shape}, b.shape={b.shape}", "Bmm")
    if a.dtype != b.dtype:
        raise argument_error("dtype", f"bmm needs operands of one dtype, got a.dtype={a.dtype}, "
                                      f"b.dtype={b.dtype}", "Bmm")
    return MatMul()(a, b)


__all__ = ["bmm", "cumprod", "cumsum", "einsum", "flatten", "flip", "moveaxis", "prod",
           "repeat", "tensordot", "tile"]
