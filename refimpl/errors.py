"""Exception classes refimpl raises where a framework raises its own class.

PyTorch raises built-in classes (mostly RuntimeError), which refimpl raises as they are.
Chainer's type checker raises ``chainer.utils.type_check.InvalidType``; refimpl raises
its own ``InvalidType`` with the same name and the same message layout, so an adapter
can compare class names and messages.
"""


class InvalidType(Exception):
    """A type check failed (models ``chainer.utils.type_check.InvalidType``)."""

    def __init__(self, expect, actual, function_name="", mode="Forward"):
        self.expect = expect
        self.actual = actual
        self.function_name = function_name
        msg = (f"\nInvalid operation is performed in: {function_name} ({mode})\n\n"
               f"Expect: {expect}\nActual: {actual}")
        super().__init__(msg)


class InvalidBackprop(Exception):
    """A backward reached a graph that an earlier backward dismantled (policy
    ``free_graph_after_backward='dismantle'``; the class such engines raise)."""
