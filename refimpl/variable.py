"""``Variable``: an array with a gradient and a link to the Function that made it."""
import numpy

from . import _backend, _mode, policies as _semantics


def check_array(value, name):
    """TypeError naming ``name`` unless ``value`` is a plain NumPy/CuPy array of a numeric dtype
    (an ndarray subclass's operators differ: np.matrix's * is a matrix product)."""
    if (isinstance(value, numpy.ndarray) and type(value) is not numpy.ndarray
            and not _backend.is_cupy_array(value)):
        raise TypeError(f"{name} must be a plain ndarray, not the subclass "
                        f"{type(value).__name__} (its operators differ, e.g. np.matrix's * is a "
                        f"matrix product); got {name}={value!r}; pass numpy.asarray({name})")
    if value.dtype.kind not in "biufc":
        raise TypeError(f"{name} must have a numeric dtype, got {name}.dtype={value.dtype}")


def _is_float(dtype):
    return dtype.kind in "fc"


def _check_flag(name, value, allow_none=False):
    """A bool flag of the public API (``requires_grad='no'`` would be truthy): TypeError."""
    if not (isinstance(value, (bool, numpy.bool_)) or (allow_none and value is None)):
        raise TypeError(f"{name} must be a bool{' or None' if allow_none else ''}, got "
                        f"{name}={value!r}")


def _grad_assignment_error(variable, value):
    """The error of assigning ``value`` (wrong shape or dtype) as ``variable.grad``, in the
    form of the policy's ``grad_assignment_errors``."""
    shape, dtype = tuple(value.shape), numpy.dtype(value.dtype)
    if _semantics.current().grad_assignment_errors == "chainer":
        if shape != variable.shape:
            return ValueError(f"Shape of data and grad mismatch\ngrad: {shape} != data: "
                              f"{variable.shape}")
        return TypeError(f"Dtype of data and grad mismatch\ngrad: {dtype} != data: "
                         f"{variable.dtype}")
    if shape != variable.shape:
        return RuntimeError(f"attempting to assign a gradient of size '{list(shape)}' to a "
                            f"tensor of size '{list(variable.shape)}'. Please ensure that the "
                            f"gradient and the tensor are the same size")
    return RuntimeError(f"attempting to assign a gradient with dtype '{dtype}' to a tensor "
                        f"with grad_dtype '{variable.dtype}'. The gradient must match the "
                        f"tensor's grad_dtype (defaults to the tensor's dtype)")


class _HookHandle:
    """What ``Variable.register_hook`` returns: ``remove()`` unregisters the hook."""

    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


class Variable:
    """An array that records the operations applied to it.

    Args:
        data: an ndarray (NumPy or CuPy), a number or a nested list.
        requires_grad: whether gradients are computed for it; ``None`` takes the active
            policy's ``requires_grad_default`` (torch: False, chainer: True).
        name: an optional label.

    ``.grad`` is an ndarray or None; ``.grad_var`` the same gradient as a Variable (it has
    a graph when it was computed with ``create_graph=True``).

    >>> import refimpl
    >>> x = refimpl.Variable([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4., 6.])
    """

    # Slots: one Variable per op output, so its fields are fixed (``__dict__`` stays for the
    # per-parameter attributes of chainer-style optimizers, e.g. ``update_rule``).
    __slots__ = ("data", "requires_grad", "creator", "generation", "name", "_grad_var",
                 "_retains_grad", "_is_constant", "_grad_edge_cut", "_version", "__dict__",
                 "__weakref__")
    __array_priority__ = 200
    #: Made inside ``inference_mode()`` (torch's inference tensors); set per Variable there.
    _is_inference = False
    #: The ``function.DISMANTLED`` count of the backward that took this Variable out of its
    #: graph (0: never); see the policy field ``free_graph_after_backward``.
    _dismantled = 0
    #: ``refimpl.engine.backward``: the engine builds on Variable, so it installs itself here
    #: when imported (``import refimpl`` imports it) rather than being imported by this module.
    _backward_engine = None

    def __new__(cls, *args, **kwargs):
        """A Variable with no data and every field at its default; ``__init__`` sets the rest."""
        return cls._make_output(None, None, False)

    def __init__(self, data, requires_grad=None, name=None):
        if isinstance(data, Variable):
            raise TypeError(f"data must be an array, not a Variable (got {data!r}); use .data")
        if not hasattr(data, "dtype") or not hasattr(data, "shape"):
            data = numpy.asarray(data)
        check_array(data, "data")
        _check_flag("requires_grad", requires_grad, allow_none=True)
        self.data = data
        self.name = name
        if _mode.is_inference_mode_enabled():
            self._is_inference = True
        policy = _semantics.current()
        if requires_grad is None:
            requires_grad = policy.requires_grad_default
            if requires_grad == "floats":
                requires_grad = _is_float(data.dtype)
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make_output(cls, data, creator, requires_grad):
        """An op's output (``creator`` None when no graph is recorded)."""
        variable = object.__new__(cls)
        variable.data = data
        variable.requires_grad = requires_grad
        variable.creator = creator
        variable.generation = 0 if creator is None else creator.generation + 1
        variable.name = None
        variable._grad_var = None
        variable._retains_grad = False
        variable._is_constant = False  # made by refimpl from an array or a number, not the user
        variable._grad_edge_cut = False  # a view made under no_grad (torch): no gradient passes
        variable._version = 0  # in-place edits of ``data`` so far (policy in_place_version_check)
        return variable

    @classmethod
    def _result(cls, data):
        """A computed gradient returned without a graph: a leaf that requires grad where the
        policy's Variables do by default (chainer), else not (torch)."""
        return cls._make_output(data, None, _semantics.current().requires_grad_default
                                and _is_float(data.dtype))

    @classmethod
    def _constant(cls, data):
        """A Variable that never requires grad (converted arrays, numbers, seeds)."""
        variable = cls._make_output(data, None, False)
        variable._is_constant = True
        return variable

    # --- graph state -------------------------------------------------------------------
    @property
    def is_leaf(self):
        """True when no recorded op created this Variable."""
        return self.creator is None

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place (leaves only, as torch); returns self."""
        _check_flag("requires_grad", requires_grad)
        if requires_grad and self._is_inference and not _mode.is_inference_mode_enabled():
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        if not self.is_leaf and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and not _is_float(self.data.dtype):
            if _semantics.current().integer_requires_grad == "raise":
                raise RuntimeError(
                    "Only Tensors of floating point and complex dtype can require gradients")
            if _semantics.current().integer_requires_grad == "raise_constant":
                raise ValueError("Integer-valued tensors must be treated as constants.")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` of this non-leaf Variable after backward (torch's per-tensor form)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if not self.is_leaf:
            self._retains_grad = True

    def detach(self):
        """A new leaf Variable sharing ``data``, with no graph and ``requires_grad=False``."""
        return Variable._constant(self.data)

    def unchain(self):
        """Cut the link to the creator in place (Chainer's ``unchain``)."""
        if self.creator is not None:
            self.creator._cut_outputs([i for i, ref in enumerate(self.creator._outputs)
                                       if ref() is self])
        self.creator = None
        self.generation = 0

    # --- gradient ----------------------------------------------------------------------
    @property
    def grad(self):
        """The gradient as an ndarray, or None."""
        return None if self._grad_var is None else self._grad_var.data

    @grad.setter
    def grad(self, value):
        if value is None:
            self._grad_var = None
            return
        if isinstance(value, Variable):
            value = value.data
        if tuple(value.shape) != self.shape or value.dtype != self.dtype:
            raise _grad_assignment_error(self, value)
        self._grad_var = Variable._constant(value)  # the array itself (leaf_grad_storage)

    @property
    def grad_var(self):
        """The gradient as a Variable, or None."""
        return self._grad_var

    @grad_var.setter
    def grad_var(self, value):
        if value is not None and not isinstance(value, Variable):
            raise TypeError(f"grad_var must be a Variable or None, got {type(value).__name__}")
        self._grad_var = value

    def add_(self, other):
        """Add a constant (array or number) to ``data`` in place and bump the version counter
        (torch ``with no_grad(): x.add_(c)``; chainer ``x.array += c``). Under
        ``in_place_version_check`` a later backward through an op that saved this Variable
        raises; otherwise it uses the edited data. No node is recorded (adding a constant
        has the identity gradient). Returns self."""
        if isinstance(other, Variable):
            if other.requires_grad:
                raise TypeError(f"other must be a constant, got other={other!r} (requires grad)")
            other = other.data
        if self._is_inference and not _mode.is_inference_mode_enabled():
            raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                               "allowed.")
        xp = _backend.get_array_module(self.data)
        xp.add(self.data, other, out=self.data, casting="same_kind")
        self._version += 1
        return self

    def register_hook(self, hook):
        """torch's ``Tensor.register_hook``: ``hook(grad)`` is called with this Variable's
        gradient each time a backward (or ``grad()``) computes it, before it is accumulated
        (a leaf) or passed on to its creator; a Variable or array it returns replaces the
        gradient. Returns a handle whose ``remove()`` unregisters it. (chainer 7.8.1 has no
        counterpart: its function hooks observe calls and cannot replace a gradient.)"""
        if not callable(hook):
            raise TypeError(f"hook must be callable, got hook={hook!r}")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.creator is not None and self.creator._kept_outputs is not None:
            # its consumers may hold it weakly (Function.retained_outputs): the creator keeps
            # it, so that its hooks run even once the caller drops it (torch's do too)
            self.creator.__dict__.setdefault("_hooked_outputs", []).append(self)
        hooks = self.__dict__.setdefault("_hooks", {})
        key = object()
        hooks[key] = hook
        return _HookHandle(hooks, key)

    def cleargrad(self):
        """Set the gradient to None (Chainer's ``cleargrad``; torch ``zero_grad(set_to_none=True)``)."""
        self._grad_var = None

    def zerograd(self):
        """Set the gradient to zeros (Chainer's ``zerograd``; torch ``zero_grad(set_to_none=False)``):
        an existing gradient array is zeroed in place (both keep the object), else new zeros."""
        old = self._grad_var
        if old is not None and old.creator is None and _backend.writeable(old.data):
            old.data[...] = 0
            return
        xp = _backend.get_array_module(self.data)
        self._grad_var = Variable._constant(xp.zeros_like(self.data))

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None, *,
                 retain_grad=False, enable_double_backprop=False, loss_scale=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        torch's arguments: ``gradient`` (the vector of a vector-Jacobian product; defaults to
        ``self.grad`` when set under ``backward_seed_from_output_grad`` (chainer), else an
        implicit seed, see ``nonscalar_backward_without_grad``),
        ``retain_graph`` (defaults to ``create_graph``), ``create_graph``, ``inputs`` (only
        these receive gradients). Chainer's: ``retain_grad`` (keep intermediate grads for this
        call), ``enable_double_backprop`` (same as ``create_graph``), ``loss_scale`` (multiply
        the seed).
        """
        self._backward_engine(self, gradient, retain_graph=retain_graph,
                              create_graph=create_graph or enable_double_backprop, inputs=inputs,
                              retain_grad=retain_grad, loss_scale=loss_scale)

    # --- array-like surface -----------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def array(self):
        """Chainer's name for ``data``."""
        return self.data

    def __len__(self):
        return len(self.data)

    def numpy(self):
        """The data as a host NumPy array (raises if it requires grad, as torch does)."""
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return _backend.cupy.asnumpy(self.data) if _backend.is_cupy_array(self.data) else self.data

    def __repr__(self):
        body = numpy.array2string(numpy.asarray(self.data) if not _backend.is_cupy_array(self.data)
                                  else self.data.get(), prefix="variable(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.creator is not None:
            extra = f", creator={self.creator.label}"
        return f"variable({body}{extra})"

    def __bool__(self):
        raise TypeError("the truth value of a Variable is ambiguous; compare .data instead")

    __hash__ = object.__hash__
