"""Semantics policies: where PyTorch and Chainer behave differently, each behaviour is one
named, documented field of a ``Policy``; refimpl's engine and ops consult the active one.

Select a policy explicitly::

    with refimpl.semantics("chainer"):
        ...

or for the whole process with ``refimpl.set_semantics("torch")``. With none selected,
``"torch"`` is active. Every field's ``doc`` says what it models and what the framework
was observed to do (``scripts/probe_frameworks.py`` reproduces each observation; results
under ``scripts/probe_results/``).
"""
import contextlib
import contextvars
import dataclasses
from dataclasses import dataclass, field


def _doc(text):
    return field(metadata={"doc": " ".join(text.split())})


@dataclass(frozen=True)
class Policy:
    """One framework's (and version's) behaviour at every point where the frameworks differ."""

    name: str = _doc("Policy name, e.g. 'torch', 'chainer', 'chainer5'.")
    framework: str = _doc("Framework this policy models: 'torch' or 'chainer'.")

    requires_grad_default: bool = _doc(
        """Whether a new Variable requires grad when ``requires_grad`` is not given.
        torch: ``torch.tensor(x).requires_grad`` is False. chainer: ``Variable(x).requires_grad``
        is True.""")

    free_graph_after_backward: bool = _doc(
        """Whether backward (and grad) free saved tensors unless ``retain_graph=True``, so that a
        second backward through an op that saved tensors raises RuntimeError('Trying to backward
        through the graph a second time ...'). Ops that save nothing (add, sum, reshape, ...)
        do not raise. torch: True. chainer: False (the graph is kept; a second backward
        accumulates into leaves again).""")

    nonscalar_backward_without_grad: str = _doc(
        """``y.backward()`` with no gradient on an output with more than one element.
        'raise': RuntimeError('grad can be implicitly created only for scalar outputs') (torch).
        'noop': nothing is propagated and leaf grads stay as they were (chainer; only a size-1
        output gets an implicit seed of ones).""")

    grad_nonscalar_output_default: str = _doc(
        """``grad(outputs, inputs)`` with no ``grad_outputs`` on an output of several elements.
        'raise': RuntimeError('grad can be implicitly created only for scalar outputs') (torch).
        'ones': the seed is ones of the output's shape (chainer.grad).""")

    intermediate_grads: str = _doc(
        """How a non-leaf Variable gets ``.grad``. 'per_tensor': only after ``v.retain_grad()``,
        and then it accumulates over backward calls like a leaf (torch). 'per_call':
        ``backward(retain_grad=True)`` sets the grad of every intermediate Variable of that call;
        a backward without it leaves them None (chainer).""")

    grad_unused_input: str = _doc(
        """``grad()`` for an input the outputs do not depend on. 'raise': RuntimeError('One of the
        differentiated Tensors appears to not have been used in the graph. Set allow_unused=True
        if this is the desired behavior.') unless ``allow_unused=True`` (then None, or zeros
        with ``materialize_grads=True``) (torch). 'none': None (chainer).""")

    backward_without_graph: str = _doc(
        """``backward()``/``grad()`` on an output that has no graph (made under ``no_grad()``, a
        detached value, or a first-order gradient computed without double backprop).
        'raise': RuntimeError('element 0 of tensors does not require grad and does not have a
        grad_fn') (torch). 'noop': nothing happens; ``grad()`` returns None (chainer).""")

    mixed_dtypes: str = _doc(
        """Binary ops on Variables of different dtypes. 'promote': PyTorch's type promotion
        (float32 + float64 -> float64; int + float -> the float type; a 0-d operand of the same
        category does not upcast) (torch). 'raise': InvalidType('Expect: in_types[0].dtype ==
        in_types[1].dtype') (chainer).""")

    integer_requires_grad: str = _doc(
        """A Variable of integer dtype that requires grad. 'raise': RuntimeError('Only Tensors of
        floating point and complex dtype can require gradients') (torch). 'allow' (chainer).""")

    max_returns_indices: bool = _doc(
        """Whether ``max(x, axis)``/``min(x, axis)`` with an axis return ``(values, indices)``.
        torch: True (``torch.max(a, 0)``; indices carry no graph). chainer: False (values only;
        use argmax).""")

    max_tie_gradient: str = _doc(
        """Gradient of max/min when several elements tie for the extreme value, for a reduction
        over all elements. 'distribute': the gradient is split evenly among the tied elements
        (torch ``max(a)``/``amax``). 'all': every tied element receives the full gradient
        (chainer F.max).""")

    max_axis_tie_gradient: str = _doc(
        """As ``max_tie_gradient``, for a reduction along an axis. 'index': only the element at
        the returned index gets the gradient (torch ``max(a, dim)``). 'all': every tied element
        gets it (chainer). 'distribute': split evenly (torch ``amax``).""")

    concat_default_axis: int = _doc(
        """Axis of ``concat`` when none is given. torch.cat: 0. chainer F.concat: 1.""")

    softmax_default_axis: object = _doc(
        """Axis of softmax/log_softmax when none is given. torch: 'implicit' (the legacy rule:
        0 for 0-, 1- and 3-d inputs, else 1, with a UserWarning). chainer: 1.""")

    split_semantics: str = _doc(
        """Meaning of an integer list given to ``split``. 'sizes': section sizes (torch.split).
        'indices': split points, as numpy.split (chainer F.split_axis).""")

    leaky_relu_default_slope: float = _doc(
        """Slope of leaky_relu for negative inputs when none is given. torch
        ``F.leaky_relu(x)``: negative_slope=0.01. chainer ``F.leaky_relu(x)``: slope=0.2.""")

    grad_returns: str = _doc("Container ``grad()`` returns: 'tuple' (torch) or 'list' (chainer).")

    cleared_grad: str = _doc(
        """What clearing a grad leaves. torch ``zero_grad()`` (set_to_none=True by default since
        2.0): 'none'. chainer ``cleargrads()``: 'none' (``zerograds()`` writes zeros). A fresh
        parameter's grad is None in both.""")

    def describe(self):
        """{field name: (value, doc)} for every behaviour field."""
        return {f.name: (getattr(self, f.name), f.metadata["doc"]) for f in dataclasses.fields(self)}


TORCH = Policy(
    name="torch", framework="torch",
    requires_grad_default=False,
    free_graph_after_backward=True,
    nonscalar_backward_without_grad="raise",
    grad_nonscalar_output_default="raise",
    intermediate_grads="per_tensor",
    grad_unused_input="raise",
    backward_without_graph="raise",
    mixed_dtypes="promote",
    integer_requires_grad="raise",
    max_returns_indices=True,
    max_tie_gradient="distribute",
    max_axis_tie_gradient="index",
    concat_default_axis=0,
    softmax_default_axis="implicit",
    split_semantics="sizes",
    leaky_relu_default_slope=0.01,
    grad_returns="tuple",
    cleared_grad="none",
)

CHAINER = Policy(
    name="chainer", framework="chainer",
    requires_grad_default=True,
    free_graph_after_backward=False,
    nonscalar_backward_without_grad="noop",
    grad_nonscalar_output_default="ones",
    intermediate_grads="per_call",
    grad_unused_input="none",
    backward_without_graph="noop",
    mixed_dtypes="raise",
    integer_requires_grad="allow",
    max_returns_indices=False,
    max_tie_gradient="all",
    max_axis_tie_gradient="all",
    concat_default_axis=1,
    softmax_default_axis=1,
    split_semantics="indices",
    leaky_relu_default_slope=0.2,
    grad_returns="list",
    cleared_grad="none",
)

POLICIES = {"torch": TORCH, "chainer": CHAINER, "chainer7": CHAINER}

_current = contextvars.ContextVar("refimpl_semantics", default=TORCH)


def get_policy(name):
    """The registered Policy called ``name`` (or ``name`` itself if it is a Policy)."""
    if isinstance(name, Policy):
        return name
    try:
        return POLICIES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown semantics {name!r}; known: {sorted(POLICIES)}") from None


def current():
    """The active Policy."""
    return _current.get()


@contextlib.contextmanager
def semantics(name):
    """Context manager activating the policy ``name`` ('torch', 'chainer', ...)."""
    token = _current.set(get_policy(name))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def set_semantics(name):
    """Activate the policy ``name`` for the current context until changed; returns it."""
    policy = get_policy(name)
    _current.set(policy)
    return policy
