"""Modules (torch ``nn.Module``) and Links (chainer ``Link``/``Chain``/``ChainList``) in one
base class: parameter registration, traversal in each framework's order, clearing grads, and
state dicts.

Parameter names: a layer registers its parameters under torch's names (``weight``, ``bias``)
and maps them to chainer's (``W``, ``b``) in ``chainer_names``. ``named_parameters()`` and
``state_dict()`` give torch's names and order; ``namedparams()`` gives chainer's paths and
order::

    torch  named_parameters(): registration order, own parameters then each child's
           (``"0.weight", "0.bias", "1.weight"``), a shared parameter once.
    chainer namedparams():     own parameters sorted by name, then children sorted by name
           (``Chain``) or in index order (``ChainList``/``Sequential``): ``"/0/W", "/0/b"``.
"""
import collections
import contextlib

import numpy

from .. import _backend, policies as _policies
from ..variable import Variable

DEVICES = ("cpu", "cuda")


def array_module(device):
    """The array module of ``device``: NumPy for 'cpu', CuPy for 'cuda'."""
    if device == "cpu":
        return numpy
    if device == "cuda":
        if _backend.cupy is None:
            raise RuntimeError("device='cuda' needs CuPy, which cannot be imported here")
        return _backend.cupy
    raise ValueError(f"device must be one of {DEVICES}, got device={device!r}")


def moved(array, device):
    """``array`` on ``device`` (itself when it is there already): the one explicit copy
    between devices that modules make."""
    on_gpu = _backend.is_cupy_array(array)
    if device == "cpu":
        return _backend.to_numpy(array) if on_gpu else array
    return array if on_gpu else array_module(device).asarray(array)


class Parameter(Variable):
    """A trainable leaf (``requires_grad=True``). ``data`` may be None: an uninitialised
    parameter of a lazy layer, given its array on the first call (``initialize``).

    Its grad on creation follows the policy field ``fresh_parameter_grad``: None (torch) or
    an array of NaN (chainer: a backward before ``cleargrads()`` adds into the NaN).
    """

    def __init__(self, data=None, name=None):
        self.name = name
        self.requires_grad = True
        self.data = None
        if data is not None:
            self.initialize(data)

    @property
    def is_initialized(self):
        return self.data is not None

    def initialize(self, data):
        """Give the parameter its array (and its fresh grad, per the policy)."""
        Variable.__init__(self, data, requires_grad=True, name=self.name)
        if _policies.current().fresh_parameter_grad == "nan":
            xp = _backend.get_array_module(self.data)
            self.grad = xp.full_like(self.data, xp.nan)

    @property
    def shape(self):
        if self.data is None:
            raise RuntimeError(f"parameter {self.name!r} is not initialised yet (lazy layer: call it once)")
        return tuple(self.data.shape)

    def __repr__(self):
        if self.data is None:
            return f"Parameter(uninitialised, name={self.name!r})"
        return f"Parameter({self.data!r})"


class Module:
    """Base class of layers and containers: assigning a ``Parameter`` or a ``Module`` to an
    attribute registers it (in assignment order). ``__call__`` runs ``forward``."""

    #: torch parameter name -> chainer name (e.g. {'weight': 'W', 'bias': 'b'}).
    chainer_names = {}
    #: Whether chainer orders this container's children by index (ChainList, Sequential)
    #: rather than by sorted name (Chain).
    _children_in_index_order = False
    #: Where the parameters live, and where lazy parameters are created: 'cpu' or 'cuda'.
    device = "cpu"

    def __init__(self):
        object.__setattr__(self, "_parameters", collections.OrderedDict())
        object.__setattr__(self, "_modules", collections.OrderedDict())

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                               f"before assigning {name!r}")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            if value.name is None:
                value.name = self.chainer_names.get(name, name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_parameter(self, name, parameter):
        """Register ``parameter`` (None keeps the name unset, as torch's ``bias=False``)."""
        if parameter is not None and not isinstance(parameter, Parameter):
            raise TypeError(f"parameter must be a Parameter or None, got {type(parameter).__name__} "
                            f"for name={name!r}")
        setattr(self, name, parameter)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    # --- traversal: torch -------------------------------------------------------------
    def children(self):
        """Direct child modules in registration order."""
        return iter(self._modules.values())

    def named_parameters(self, prefix=""):
        """(name, parameter) pairs in torch's order and naming; each parameter once."""
        seen = set()
        for name, parameter in self._named_parameters_with_duplicates(prefix):
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield name, parameter

    def _named_owners(self, prefix):
        """(parameter name, the module that registered it), as
        ``_named_parameters_with_duplicates``."""
        for name in self._parameters:
            yield prefix + name, self
        for name, child in self._modules.items():
            yield from child._named_owners(prefix + name + ".")

    def _named_parameters_with_duplicates(self, prefix):
        for name, parameter in self._parameters.items():
            yield prefix + name, parameter
        for name, child in self._modules.items():
            yield from child._named_parameters_with_duplicates(prefix + name + ".")

    def parameters(self):
        """Parameters in torch's order (``model.parameters()``)."""
        return (parameter for _, parameter in self.named_parameters())

    # --- traversal: chainer -----------------------------------------------------------
    def _sorted_children(self):
        if self._children_in_index_order:
            return list(self._modules.items())
        return sorted(self._modules.items())

    def namedparams(self, include_uninit=True):
        """(path, parameter) pairs in chainer's order and naming (``'/0/W'``)."""
        own = sorted((self.chainer_names.get(name, name), parameter)
                     for name, parameter in self._parameters.items())
        for name, parameter in own:
            if include_uninit or parameter.is_initialized:
                yield "/" + name, parameter
        for name, child in self._sorted_children():
            for path, parameter in child.namedparams(include_uninit):
                yield "/" + name + path, parameter

    def params(self, include_uninit=True):
        """Parameters in chainer's order (``link.params()``)."""
        return (parameter for _, parameter in self.namedparams(include_uninit))

    # --- devices ----------------------------------------------------------------------
    def to_device(self, device):
        """Move every parameter (data and grad) and any state of this module and its
        children to ``device`` ('cpu' or 'cuda') in place; parameters created later (lazy
        layers) are created there. Returns self.

        This is the explicit copy between devices (torch ``module.to(device)``, chainer
        ``link.to_device(device)``); no op moves arrays behind the caller's back, so a
        module on 'cuda' called with host data raises ``refimpl.DeviceMismatchError``.
        """
        array_module(device)  # validates the name, and that CuPy is there for 'cuda'
        for module in self._self_and_descendants():
            object.__setattr__(module, "device", device)
            for parameter in module._parameters.values():
                if parameter is not None and parameter.is_initialized:
                    parameter.data = moved(parameter.data, device)
                    if parameter.grad is not None:
                        parameter.grad = moved(parameter.grad, device)
            module._move_state(device)
        return self

    def to_gpu(self):
        """chainer's name: ``to_device('cuda')``."""
        return self.to_device("cuda")

    def to_cpu(self):
        """chainer's name: ``to_device('cpu')``."""
        return self.to_device("cpu")

    def cuda(self):
        """torch's name: ``to_device('cuda')``."""
        return self.to_device("cuda")

    def cpu(self):
        """torch's name: ``to_device('cpu')``."""
        return self.to_device("cpu")

    def _move_state(self, device):
        """Move arrays the module keeps besides its parameters (e.g. an RNN's state)."""

    def _self_and_descendants(self):
        seen, stack = [], [self]
        while stack:
            module = stack.pop()
            if not any(module is m for m in seen):
                seen.append(module)
                stack.extend(module._modules.values())
        return seen

    # --- gradients --------------------------------------------------------------------
    def cleargrads(self):
        """Every parameter's grad to None (chainer ``cleargrads()``)."""
        for parameter in self.params():
            parameter.cleargrad()

    def zerograds(self):
        """Every initialised parameter's grad to zeros (chainer ``zerograds()``, deprecated
        there in favour of ``cleargrads``)."""
        for parameter in self.params(include_uninit=False):
            parameter.zerograd()

    def zero_grad(self, set_to_none=True):
        """torch ``zero_grad``: grads to None (default since torch 2.0) or, with
        ``set_to_none=False``, to zeros where a grad exists (None stays None)."""
        for parameter in self.parameters():
            if set_to_none:
                parameter.cleargrad()
            elif parameter.grad is not None:
                parameter.zerograd()

    # --- state ------------------------------------------------------------------------
    def state_dict(self):
        """OrderedDict of torch names -> parameter arrays (the arrays themselves, as torch
        shares storage; copy before mutating). Uninitialised parameters are left out."""
        return collections.OrderedDict(
            (name, parameter.data) for name, parameter in self._named_parameters_with_duplicates("")
            if parameter is not None and parameter.is_initialized)

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` (torch names) into the parameters, in place.

        Shapes must match; uninitialised (lazy) parameters take the given array. With
        ``strict`` a missing or unexpected key raises RuntimeError listing them (torch's
        message layout); returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
        own = dict(self._named_parameters_with_duplicates(""))
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        problems = []
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        for name, parameter in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            if parameter.is_initialized and tuple(value.shape) != parameter.shape:
                problems.append(f"size mismatch for {name}: copying a param with shape "
                                f"{tuple(value.shape)} from checkpoint, the shape in current model "
                                f"is {parameter.shape}.")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(problems))
        devices = {name: module.device for name, module in self._named_owners("")}
        for name, parameter in own.items():
            if name in state_dict:
                _copy_into(parameter, state_dict[name], devices.get(name, self.device))
        return missing, unexpected

    def __repr__(self):
        lines = [f"  ({name}): {child!r}".replace("\n", "\n  ") for name, child in self._modules.items()]
        return f"{type(self).__name__}({self.extra_repr()}" + ("\n" + "\n".join(lines) + "\n" if lines else "") + ")"

    def extra_repr(self):
        return ""


def _copy_into(parameter, value, device):
    """Write ``value`` into ``parameter.data`` in place (or initialise a lazy parameter on
    ``device``): loading copies across devices, as torch's ``load_state_dict`` does."""
    if not parameter.is_initialized:
        xp = array_module(device)
        parameter.initialize(xp.array(moved(value, device), copy=True))
        return
    xp = _backend.get_array_module(parameter.data)
    target_device = "cuda" if _backend.is_cupy_array(parameter.data) else "cpu"
    parameter.data[...] = xp.asarray(moved(value, target_device), dtype=parameter.data.dtype)


class Sequential(Module):
    """Children called in order; named ``"0"``, ``"1"``, ... (torch ``nn.Sequential``,
    chainer ``chainer.Sequential``, which is a ChainList: index order in both)."""

    _children_in_index_order = True

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module) and not callable(module):
                raise TypeError(f"Sequential takes modules or callables, got modules[{index}]={module!r}")
            if isinstance(module, Module):
                setattr(self, str(index), module)
        object.__setattr__(self, "_layers", list(modules))

    def __getitem__(self, index):
        return self._layers[index]

    def __len__(self):
        return len(self._layers)

    def forward(self, x):
        for layer in self._layers:
            x = layer(x)
        return x


class Chain(Module):
    """chainer ``Chain``: children registered by attribute, ordered by sorted name in
    ``params()``/``namedparams()``. ``init_scope()`` is accepted for source compatibility
    (refimpl registers on every assignment, as torch does)."""

    def init_scope(self):
        return contextlib.nullcontext()


class ChainList(Module):
    """chainer ``ChainList``: children appended in order, named by index."""

    _children_in_index_order = True

    def __init__(self, *links):
        super().__init__()
        for link in links:
            self.append(link)

    def append(self, link):
        if not isinstance(link, Module):
            raise TypeError(f"ChainList.append takes a Module, got link={link!r}")
        setattr(self, str(len(self._modules)), link)

    def __getitem__(self, index):
        return list(self._modules.values())[index]

    def __len__(self):
        return len(self._modules)
