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

Files are written and read with ``allow_pickle=False``: an uninitialised (lazy) parameter
cannot be saved (chainer would store it as a pickled ``None``); call the layer once first.
"""
import numpy

from . import _backend

LAYOUTS = ("torch", "chainer")


def named_arrays(target, layout="torch"):
    """{key: array} of ``target``'s parameters (a Module) or state (anything with
    ``named_arrays(layout)``, e.g. an optimizer), in ``layout``'s naming."""
    _check_layout(layout)
    if hasattr(target, "named_arrays"):
        return dict(target.named_arrays(layout))
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
    arrays = {key: numpy.asarray(value) for key, value in arrays.items()}
    if hasattr(target, "load_named_arrays"):
        return target.load_named_arrays(arrays, layout, strict=strict)
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
