"""Gradient-recording mode: ``no_grad()`` / ``enable_grad()`` (thread- and task-local)."""
import contextlib
import contextvars

_grad_enabled = contextvars.ContextVar("refimpl_grad_enabled", default=True)
_inference = contextvars.ContextVar("refimpl_inference_mode", default=False)


def is_grad_enabled():
    """True when new operations record a graph (never inside ``inference_mode()``)."""
    return _grad_enabled.get() and not _inference.get()


def is_inference_mode_enabled():
    """True inside ``inference_mode()``."""
    return _inference.get()


@contextlib.contextmanager
def inference_mode():
    """Context manager modelling ``torch.inference_mode()``: no graph is recorded (not even
    under ``enable_grad()``) and every Variable made inside is an *inference* Variable: an op
    outside that would save one for backward raises RuntimeError, as do an in-place edit of
    one and ``requires_grad_()`` on one outside the mode. chainer has no counterpart (its
    ``no_backprop_mode`` is ``no_grad``)."""
    token = _inference.set(True)
    try:
        yield
    finally:
        _inference.reset(token)


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
