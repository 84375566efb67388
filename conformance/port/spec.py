"""A port check described by a file (TOML or JSON), for ``python -m conformance port SPEC``.

Fields (TOML shown; JSON takes the same keys)::

    name = "mnist-convnet"               # optional; default: the file's stem
    dtype = "float64"                     # optional: float64 (default) or float32
    train = true                          # optional: train mode (batch statistics, dropout)
    seed = 0                              # optional: the cotangent's seed
    copy_weights = true                   # optional: false checks the target's own weights

    [source]                              # the model ported from
    model = "package.module:factory"      # an import path to a class or function
    args = { n_units = 100 }              # optional keyword arguments of the factory
    framework = "..."                     # optional; default: the porting source plugin

    [target]                              # the port: the same keys

    [inputs]                              # one input array given to both models
    shape = [2, 1, 28, 28]
    seed = 0                              # optional
    kind = "normal"                       # "normal" (default) or "integers"
    high = 50                             # "integers": values in [0, high)

    [optimizer]                           # optional: steps of each are compared
    steps = 1                             # optional: how many (default 1)
    [optimizer.source]
    name = "MomentumSGD"                  # a class of the framework's optimizers module
    lr = 0.01                             # its keyword arguments
    [optimizer.target]
    name = "SGD"

    [mapping]                             # optional: target unit = source unit
    "layer1.0.conv1" = "res2/a/conv1"

A bad field raises ``PortError`` naming the field and its value.
"""
import importlib
import json
import os
import tomllib

import numpy

from .sides import PortError

_TOP = {"name", "dtype", "train", "seed", "copy_weights", "source", "target", "inputs",
        "optimizer", "mapping"}
_TABLES = {"source": {"model", "args", "framework"}, "target": {"model", "args", "framework"},
           "inputs": {"shape", "seed", "kind", "high"}, "optimizer": {"source", "target", "steps"}}


def load(path):
    """The spec at ``path`` as a dict (TOML for ``.toml``, else JSON)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise PortError(f"SPEC {path!r}: {error.strerror or error}") from None
    try:
        if path.endswith(".toml"):
            spec = tomllib.loads(data.decode("utf-8"))
        else:
            spec = json.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PortError(f"SPEC {path!r} is not valid {'TOML' if path.endswith('.toml') else 'JSON'}: "
                        f"{error}") from None
    if not isinstance(spec, dict):
        raise PortError(f"SPEC {path!r} must hold a table/object, got {type(spec).__name__}")
    spec.setdefault("name", os.path.splitext(os.path.basename(path))[0])
    return spec


def _field(spec, key, kinds, where="", required=False, default=None):
    name = f"{where}{key}"
    if key not in spec:
        if required:
            raise PortError(f"spec field {name!r} is required")
        return default
    value = spec[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in
                                        (kinds if isinstance(kinds, tuple) else (kinds,))):
        expected = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
        raise PortError(f"spec field {name!r} must be {expected}, got {name}={value!r}")
    return value


def build_model(spec, role):
    """The model the spec's ``[role]`` table names, constructed."""
    table = _field(spec, role, dict, required=True)
    path = _field(table, "model", str, f"{role}.", required=True)
    arguments = _field(table, "args", dict, f"{role}.", default={})
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise PortError(f"spec field '{role}.model' must be 'package.module:name', got "
                        f"{role}.model={path!r}")
    try:
        value = importlib.import_module(module_name)
    except ImportError as error:
        raise PortError(f"spec field '{role}.model': cannot import {module_name!r}: {error}") from None
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise PortError(f"spec field '{role}.model': {module_name!r} has no {attribute!r}")
        value = getattr(value, part)
    if not callable(value):
        raise PortError(f"spec field '{role}.model': {path!r} is not callable")
    try:
        return value(**arguments)
    except TypeError as error:
        raise PortError(f"spec field '{role}.args' does not fit {path}: {error}") from None


def build_inputs(spec):
    table = _field(spec, "inputs", dict, required=True)
    shape = _field(table, "shape", list, "inputs.", required=True)
    if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
        raise PortError(f"spec field 'inputs.shape' must be a list of positive integers, got "
                        f"inputs.shape={shape!r}")
    seed = _field(table, "seed", int, "inputs.", default=0)
    kind = _field(table, "kind", str, "inputs.", default="normal")
    rng = numpy.random.default_rng(seed)
    if kind == "normal":
        return rng.standard_normal(shape)
    if kind == "integers":
        high = _field(table, "high", int, "inputs.", required=True)
        if high < 1:
            raise PortError(f"spec field 'inputs.high' must be positive, got inputs.high={high!r}")
        return rng.integers(0, high, shape).astype(numpy.int32)
    raise PortError(f"spec field 'inputs.kind' must be 'normal' or 'integers', got "
                    f"inputs.kind={kind!r}")


def arguments(spec):
    """The keyword arguments of ``conformance.port.check`` the spec gives (models built)."""
    unknown = sorted(set(spec) - _TOP)
    if unknown:
        raise PortError(f"unknown spec field(s) {unknown}; known: {sorted(_TOP)}")
    for table, known in _TABLES.items():
        if isinstance(spec.get(table), dict):
            unknown = sorted(set(spec[table]) - known)
            if unknown:
                raise PortError(f"unknown spec field(s) {[f'{table}.{key}' for key in unknown]}; "
                                f"known in [{table}]: {sorted(known)}")
    optimizer = _field(spec, "optimizer", dict)
    if optimizer is not None:
        for role in ("source", "target"):
            table = _field(optimizer, role, dict, "optimizer.", required=True)
            _field(table, "name", str, f"optimizer.{role}.", required=True)
    mapping = _field(spec, "mapping", dict, default={})
    for key, value in mapping.items():
        if not isinstance(value, str):
            raise PortError(f"spec field 'mapping.{key}' must be a source unit path (a string), "
                            f"got {value!r}")
    dtype = _field(spec, "dtype", str, default="float64")
    if dtype not in ("float64", "float32"):
        raise PortError(f"spec field 'dtype' must be 'float64' or 'float32', got dtype={dtype!r}")
    frameworks = {role: _field(spec[role], "framework", str, f"{role}.")
                  for role in ("source", "target") if isinstance(spec.get(role), dict)}
    return {
        "source_model": build_model(spec, "source"), "target_model": build_model(spec, "target"),
        "inputs": build_inputs(spec), "mapping": mapping, "train_step": optimizer,
        "source": frameworks.get("source"), "target": frameworks.get("target"), "dtype": dtype,
        "train": _field(spec, "train", bool, default=True),
        "seed": _field(spec, "seed", int, default=0),
        "copy_weights": _field(spec, "copy_weights", bool, default=True),
        "name": _field(spec, "name", str, default=None),
    }
