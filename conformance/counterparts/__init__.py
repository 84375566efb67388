"""Each framework's counterpart of every refimpl op, one module per framework.

Every function has refimpl's signature (``refimpl.functions.<op>``, with ``reshape(x, shape)``
and ``permute(x, dims)`` taking a tuple), so a property calls any framework's op the same
way: ``function(**sample.inputs, **sample.kwargs)``. A function means what its framework
means: ``split``'s integers are sizes for torch and split points for chainer, exactly as
refimpl reads them under that framework's semantics policy.

Each function is self-contained (it uses only its framework, NumPy and helpers whose names
start with ``_`` in its own module), so a repro script can paste its source as is
(``source_of``). The registry (``conformance/registry.py``) says which function serves which
op and records the ops a framework lacks.
"""
import importlib
import inspect

MODULES = {"refimpl": "conformance.counterparts.refimpl_ops",
           "torch": "conformance.counterparts.torch_ops",
           "chainer": "conformance.counterparts.chainer_ops"}


def module(framework):
    """The counterpart module of ``framework`` (imports the framework)."""
    try:
        name = MODULES[framework]
    except KeyError:
        raise ValueError(f"unknown framework={framework!r}; known: {sorted(MODULES)}") from None
    return importlib.import_module(name)


def lookup(framework, name):
    """The function called ``name`` in ``framework``'s counterpart module, or None."""
    function = getattr(module(framework), name, None)
    return function if callable(function) else None


def source_of(function):
    """Source text of ``function`` and of the module-level ``_helpers`` it calls."""
    mod = inspect.getmodule(function)
    helpers = []
    for name in function.__code__.co_names:
        helper = getattr(mod, name, None)
        if name.startswith("_") and inspect.isfunction(helper):
            helpers.append(inspect.getsource(helper))
    try:
        body = inspect.getsource(function)
    except (OSError, TypeError):  # a builtin or a C function: call it by name
        body = f"{function.__name__} = {mod.__name__}.{function.__name__}\n"
    return "\n\n".join(helpers + [body])
