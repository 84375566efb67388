"""Gradient-recording mode: ``no_grad()`` / ``enable_grad()`` (thread- and task-local)."""
import contextlib
import contextvars

_grad_enabled = contextvars.ContextVar("refimpl_grad_enabled", default=True)


def is_grad_enabled():
    """True when new operations record a graph."""
    return _grad_enabled.get()


@contextlib.contextmanager
def set_grad_enabled(mode):
    token = _grad_enabled.set(bool(mode))
    try:
        yield
    finally:
        _grad_enabled.reset(token)


def no_grad():
    """Context manager: operations inside record no graph.

    Models ``torch.no_grad()`` and ``chainer.no_backprop_mode()``. What a later
    ``backward()`` on such an output does is the policy field ``backward_without_graph``.
    """
    return set_grad_enabled(False)


def enable_grad():
    """Context manager: operations inside record a graph (models ``torch.enable_grad()``)."""
    return set_grad_enabled(True)
