"""Saving and loading parameters (and optimizer state) as ``.npz`` files, and converting
between torch's and chainer's names.

Two layouts, one array layout (both frameworks store Linear/Conv weights as
``(out, in, ...)``):

==========  ======================================  ==========================================
layout      keys                                    produced by
==========  ======================================  ==========================================
'torch'     ``state_dict()`` names: ``0.weight``    ``{k: v.numpy() for k, v in
                                                    model.state_dict().items()}``
'chainer'   ``namedparams()`` paths without the      ``chainer.serializers.save_npz(f, link)``
            leading '/': ``0/W``, ``upward/b``
==========  ======================================  ==========================================

Optimizer state: a chainer-style optimizer's ``state_dict()`` already uses chainer's npz keys
(``t``, ``epoch``, ``0/W/m``, ...). A torch-style optimizer's nested ``state_dict()`` is
flattened with '/' (``state/0/exp_avg``, ``param_groups/0/lr``, ``param_groups/0/betas``)
and rebuilt on load (``state`` keys become ints, sequences in ``param_groups`` tuples, and
``params`` a list of ints, as torch's state dict has them).

Files are written and read with ``allow_pickle=False``: an uninitialised (lazy) parameter
cannot be saved (chainer would store it as a pickled ``None``); call the layer once first.
"""
import numpy

from . import _backend

LAYOUTS = ("torch", "chainer")


def named_arrays(target, layout="torch"):
    """{key: array} of ``target``'s parameters (a Module, in ``layout``'s naming) or of its
    state (an optimizer of either style; ``layout`` does not apply)."""
    _check_layout(layout)
    if _is_optimizer(target):
        return _optimizer_arrays(target)
    if layout == "torch":
        pairs = target.named_parameters()
    else:
        pairs = ((path[1:], parameter) for path, parameter in target.namedparams())
    arrays = {}
    for name, parameter in pairs:
        if not parameter.is_initialized:
            raise ValueError(f"parameter {name!r} is not initialised (a lazy layer): call the "
                             f"layer once before saving it")
        arrays[name] = _backend.to_numpy(parameter.data)
    return arrays


def load_named_arrays(target, arrays, layout="torch", strict=True):
    """Copy ``arrays`` ({key: array-like}, e.g. a torch ``state_dict`` whose tensors convert
    with ``numpy.asarray``, or a chainer npz) into ``target`` in place. Returns
    ``(missing_keys, unexpected_keys)``; with ``strict`` either raises."""
    _check_layout(layout)
    arrays = {key: _backend.to_numpy(value) for key, value in arrays.items()}  # CuPy: .get()
    if _is_optimizer(target):
        _load_optimizer_arrays(target, arrays)
        return [], []
    if layout == "torch":
        return target.load_state_dict(arrays, strict=strict)
    by_torch_name = {}
    chainer_to_torch = _chainer_to_torch_names(target)
    unexpected = [key for key in arrays if key not in chainer_to_torch]
    missing = [key for key in chainer_to_torch if key not in arrays]
    if strict and (missing or unexpected):
        raise KeyError(f"npz keys do not match {type(target).__name__}: missing {missing}, "
                       f"unexpected {unexpected}")
    for key, value in arrays.items():
        if key in chainer_to_torch:
            by_torch_name[chainer_to_torch[key]] = value
    target.load_state_dict(by_torch_name, strict=False)
    return missing, unexpected


def _is_optimizer(target):
    return hasattr(target, "state_dict") and not hasattr(target, "named_parameters")


def _optimizer_arrays(optimizer):
    """Flat {key: array} of an optimizer's state (see the module docstring)."""
    state = optimizer.state_dict()
    if not hasattr(optimizer, "param_groups"):  # chainer style: flat already
        return {key: _backend.to_numpy(value) for key, value in state.items()}
    arrays = {}
    for index, values in state["state"].items():
        for name, value in values.items():
            arrays[f"state/{index}/{name}"] = _backend.to_numpy(numpy.asarray(value) if numpy.isscalar(value) else value)
    for index, group in enumerate(state["param_groups"]):
        for name, value in group.items():
            if value is None:
                raise ValueError(f"param_groups[{index}][{name!r}] is None, which npz cannot store "
                                 f"without pickling")
            arrays[f"param_groups/{index}/{name}"] = numpy.asarray(value)
    return arrays


def _load_optimizer_arrays(optimizer, arrays):
    """Rebuild an optimizer's ``state_dict()`` from flat arrays and load it."""
    if not hasattr(optimizer, "param_groups"):
        optimizer.load_state_dict(arrays)
        return
    state, groups = {}, {}
    for key, value in arrays.items():
        parts = key.split("/")
        if len(parts) != 3 or parts[0] not in ("state", "param_groups") or not parts[1].isdigit():
            raise KeyError(f"not a torch-style optimizer key: {key!r}")
        kind, index, name = parts[0], int(parts[1]), parts[2]
        if kind == "state":
            state.setdefault(index, {})[name] = value.item() if value.ndim == 0 and name == "step" else value
        elif name == "params":
            groups.setdefault(index, {})[name] = [int(v) for v in value.tolist()]
        else:
            groups.setdefault(index, {})[name] = tuple(value.tolist()) if value.ndim else value.item()
    optimizer.load_state_dict({"state": state, "param_groups": [groups[i] for i in sorted(groups)]})


def _chainer_to_torch_names(module):
    """{chainer key ('0/W'): torch name ('0.weight')} for every parameter of ``module``."""
    by_id = {}
    for name, parameter in module._named_parameters_with_duplicates(""):
        by_id.setdefault(id(parameter), name)
    return {path[1:]: by_id[id(parameter)] for path, parameter in module.namedparams()}


def save_npz(file, target, layout="torch"):
    """Write ``target``'s arrays to ``file`` (a path or a binary file) as an uncompressed
    ``.npz`` in ``layout`` ('torch' or 'chainer' names)."""
    numpy.savez(file, **named_arrays(target, layout))


def load_npz(file, target, layout="torch", strict=True):
    """Load ``file`` (written by ``save_npz``, by chainer's ``save_npz`` with
    ``layout='chainer'``, or ``numpy.savez(f, **torch_state_dict_as_numpy)`` with
    ``layout='torch'``) into ``target`` in place; never unpickles."""
    with numpy.load(file, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return load_named_arrays(target, arrays, layout, strict=strict)


def _check_layout(layout):
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got layout={layout!r}")
