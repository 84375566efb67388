"""Source text of a self-contained function, for repro scripts."""
import inspect


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
