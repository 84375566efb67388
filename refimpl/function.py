"""``Function``: one op. ``forward`` works on arrays; ``backward`` is written with refimpl
operations on Variables, so every gradient is itself differentiable (double backprop)."""
import weakref

import numpy

from . import _backend, _mode, policies as _policies
from .variable import Variable


FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


INFERENCE_SAVED_MESSAGE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd.")

#: How many backward calls have dismantled their graph (policy ``free_graph_after_backward``
#: 'dismantle'); a Function records the count when it is made, and a Variable the count of the
#: backward that dismantled it, so a function made before that backward is known to be stale.
DISMANTLED = [0]

#: The smallest input (bytes) an op with ``retained_outputs`` holds weakly: a smaller one costs
#: less memory than the record and the stand-in that replace it cost time (per-op overhead).
RELEASE_MIN_BYTES = 64 * 1024


class _Released:
    """What a Function holds in place of an input whose data its backward does not read, when
    that input was made by a function that states what its own backward reads (its
    ``retained_outputs``): the Variable weakly, so that its data is freed as soon as nothing
    else holds it, its creator (which keeps the graph), and what the graph reads of it. Once
    the Variable is gone, the one standing in for it has this record as its ``data``: its
    shape and dtype, and no values to read."""

    __slots__ = ("ref", "creator", "index", "requires_grad", "shape", "dtype")

    def __init__(self, x):
        self.ref, self.creator, self.requires_grad = weakref.ref(x), x.creator, x.requires_grad
        outputs = x.creator._outputs
        self.index = (0 if len(outputs) == 1
                      else next(i for i, ref in enumerate(outputs) if ref() is x))
        self.shape, self.dtype = x.data.shape, x.data.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(numpy.prod(self.shape))

    def variable(self):
        """The input Variable, or the one its creator stands in for it once it is gone."""
        x = self.ref()
        return x if x is not None else self.creator._stand_in(self.index, self)


def unrecorded(array, *operands):
    """``array``, computed outside the graph from the Variables ``operands``, as the Variable an
    op on them returns when nothing is recorded (``Function.__call__`` under no_grad): the
    fused array path a backward takes when no graph is wanted (``create_graph`` False)."""
    if type(array) is not numpy.ndarray and not _backend.is_cupy_array(array):
        array = numpy.asarray(array)  # NumPy turns 0-d results into scalars
    policy = _policies.current()
    requires_grad = (policy.outputs_require_grad != "when_recorded"
                     and any([v.requires_grad for v in operands])
                     and (policy.outputs_require_grad != "inputs_floats"
                          or array.dtype.kind in "fc"))
    result = Variable._make_output(array, None, requires_grad)
    if _mode.is_inference_mode_enabled():
        result._is_inference = True
    return result


def same_float_dtype(*variables):
    """Whether ``variables`` share one real floating dtype, the condition of a backward's
    fused array path (where dtypes differ, its refimpl ops promote them by the policy)."""
    dtype = variables[0].data.dtype
    return dtype.kind == "f" and all([v.data.dtype == dtype for v in variables])


class Function:
    """Base class of every op.

    Subclasses implement ``forward(*arrays) -> array | tuple of arrays`` and
    ``backward(*grad_outputs) -> Variable | None | tuple``, one gradient per input, written
    with refimpl ops. ``self.inputs`` holds the input Variables; ``self.output(i)`` returns
    the i-th output Variable (kept alive by whoever consumes it).
    """

    #: Whether PyTorch's counterpart saves tensors for backward, so that under a policy with
    #: ``free_graph_after_backward`` a second backward through it raises. Ops whose backward
    #: needs only shapes (add, sum, reshape, ...) set this False.
    saves_tensors = True

    #: Whether PyTorch's counterpart returns a view of its input (reshape, transpose, expand,
    #: basic indexing, ...): made under no_grad, its output follows the policy's
    #: ``no_grad_views``.
    is_view = False

    #: Whether Chainer's counterpart passes a missing (None) output gradient straight through
    #: (AddConstant: ``x + 2``, ``2 + x``, ``x - 2``). Used by the 'none_seed' policy behaviour.
    passes_none_grad = False

    #: Whether Chainer's counterpart takes a missing (None) output gradient as zeros
    #: (SplitAxis), so that a backward seeded with None gives zero gradients.
    none_grad_as_zeros = False

    # The graph fields every recorded Function has (set by ``__call__``); an op's own
    # parameters (axes, shapes, ...) go to its subclass's ``__dict__``.
    __slots__ = ("_inputs", "generation", "_outputs", "_output_meta", "_freed", "_epoch",
                 "_saved_versions", "_kept_outputs", "_cut", "__weakref__")

    #: The indices of the outputs whose data the backward reads (``self.output(i)``), for an
    #: op that states what its backward reads (chainer's ``retain_outputs``), or None. Such an
    #: op keeps those arrays and holds only the inputs of ``retained_inputs()`` (and leaves):
    #: an input made by another such op is held weakly, so intermediates nothing reads are
    #: freed during the forward, and under ``free_graph_after_backward`` 'free' the rest as
    #: the backward goes. None (the default): every input is held and every output is kept
    #: alive by whoever consumes it.
    retained_outputs = None

    @property
    def inputs(self):
        """The input Variables (for an input held weakly and since freed, the Variable its
        creator stands in for it: same graph, shape and dtype, no data unless retained)."""
        return tuple([x.variable() if type(x) is _Released else x for x in self._inputs])

    def __call__(self, *inputs):
        arrays = [x.data for x in inputs]
        if _backend.cupy is not None:  # mixing host and device arrays raises DeviceMismatchError
            _backend.get_array_module(*arrays)
        outputs = self.forward(*arrays)
        if type(outputs) is not tuple:
            outputs = (outputs,)
        for y in outputs:
            if type(y) is not numpy.ndarray:  # NumPy turns 0-d results into scalars
                xp = _backend.get_array_module(*arrays)
                outputs = tuple(y if _backend.is_cupy_array(y) else xp.asarray(y) for y in outputs)
                break
        # (plain loops here, not comprehensions: this runs for every op, and on Python 3.11
        # each comprehension is a function call)
        inputs_require_grad, generation = False, 0
        for x in inputs:
            inputs_require_grad = inputs_require_grad or x.requires_grad
            generation = max(generation, x.generation)
        policy = _policies.current()
        # torch records only where some input requires grad; chainer whenever backprop is on
        torch_style = policy.outputs_require_grad == "when_recorded"
        record = _mode.is_grad_enabled() and (inputs_require_grad or not torch_style)
        if not record:
            # No creator. requires_grad: chainer's follows the inputs; torch's is False, except
            # for a view of an input that requires grad (made under no_grad: no_grad_views).
            requires_grad = inputs_require_grad and (self.is_view or not torch_style)
            floats_only = policy.outputs_require_grad == "inputs_floats"
            results = tuple([Variable._make_output(y, None, requires_grad and (
                not floats_only or y.dtype.kind in "fc")) for y in outputs])
            if requires_grad and torch_style and policy.no_grad_views == "cut":
                for y in results:
                    y._grad_edge_cut = True
            if _mode.is_inference_mode_enabled():
                for y in results:
                    y._is_inference = True
            return results if len(results) > 1 else results[0]
        self._inputs = inputs
        saved = self.saved_inputs()
        for i in saved:
            if inputs[i]._is_inference:
                raise RuntimeError(INFERENCE_SAVED_MESSAGE)
        self.generation = generation
        self._freed = False
        self._epoch = DISMANTLED[0]
        # (index, version) of each input the backward reads (policy in_place_version_check)
        self._saved_versions = (tuple([(i, inputs[i]._version) for i in saved])
                                if policy.in_place_version_check else ())
        # torch's outputs require grad (it records only then); an output that cannot have a
        # gradient (integers) gets no creator, except under 'inputs' (chainer)
        requires_grad = torch_style or inputs_require_grad
        floats_only = policy.outputs_require_grad != "inputs"
        results, refs = [], []
        for y in outputs:
            if floats_only and y.dtype.kind not in "fc":
                results.append(Variable._make_output(y, None, False))
            else:
                results.append(Variable._make_output(y, self, requires_grad))
            refs.append(weakref.ref(results[-1]))
        results, self._outputs = tuple(results), tuple(refs)
        # What a missing output gradient is zero-filled with; never needed for one output (a
        # function whose only output has no gradient is skipped).
        self._output_meta = (tuple([(y.shape, y.dtype) for y in outputs]) if len(outputs) > 1
                             else None)
        self._cut = None
        retained = self.retained_outputs
        if retained is None:
            self._kept_outputs = None
        else:
            self._kept_outputs = {i: (outputs[i], results[i].requires_grad)
                                  for i in retained} if retained else {}
            self._release_inputs()
        return results if len(results) > 1 else results[0]

    def retained_inputs(self):
        """Indices of the inputs whose data the backward reads, for an op with
        ``retained_outputs`` (chainer's ``retain_inputs``); default: ``saved_inputs()``."""
        return self.saved_inputs()

    def _release_inputs(self, kept=None):
        """Hold weakly each input not in ``kept`` (default: ``retained_inputs()``) made by an
        op with ``retained_outputs``, of ``RELEASE_MIN_BYTES`` or more."""
        inputs = None
        for index, x in enumerate(self._inputs):
            creator = x.creator
            if creator is not None and type(x) is not _Released and (
                    creator._kept_outputs is not None and x.data.nbytes >= RELEASE_MIN_BYTES):
                if kept is None:
                    kept = self.retained_inputs()
                if index not in kept:
                    inputs = inputs or list(self._inputs)
                    inputs[index] = _Released(x)
        if inputs is not None:
            self._inputs = tuple(inputs)

    def _free(self):
        """Drop what only this function's backward reads (it ran, and the graph is freed:
        running it again raises): its retained outputs and the inputs it held for them."""
        if self._kept_outputs is not None and self.saves_tensors:
            self._kept_outputs = {}
            self._release_inputs(())

    def _stand_in(self, index, released=None):
        """The Variable of output ``index``, or where it is gone, a new one: this function's output
        again (a leaf where ``unchain`` or a dismantling backward cut it), with the retained
        data, or with the record ``released`` (shape and dtype) where the backward reads none."""
        variable = self._outputs[index]()
        if variable is not None:  # one made before, still held
            return variable
        kept = self._kept_outputs.get(index) if self._kept_outputs else None
        if kept is not None:
            data, requires_grad = kept
        elif released is not None:
            data, requires_grad = released, released.requires_grad
        else:
            raise RuntimeError(f"{type(self).__name__}: output {index} was garbage-collected")
        cut = self._cut.get(index) if self._cut else None
        variable = Variable._make_output(data, self if cut is None else None, requires_grad)
        if cut:
            variable._dismantled = cut
        self._outputs = tuple([weakref.ref(variable) if i == index else ref
                               for i, ref in enumerate(self._outputs)])
        return variable

    def _cut_outputs(self, indices, epoch=0):
        """Record that outputs ``indices`` left the graph (``unchain``: epoch 0; a dismantling
        backward: its epoch), so that a Variable standing in for one later is a leaf too."""
        self._cut = {**(self._cut or {}), **{index: epoch for index in indices}}

    def saved_inputs(self):
        """Indices of the inputs whose data the backward reads (torch's saved tensors): every
        input of an op that ``saves_tensors``, none otherwise."""
        return range(len(self._inputs)) if self.saves_tensors else ()

    def check_saved_versions(self):
        """RuntimeError if an input the backward reads was modified in place since the
        forward (policy ``in_place_version_check``; the versions are recorded then)."""
        for index, version in self._saved_versions:
            x = self._inputs[index]
            if type(x) is _Released:  # held weakly: a freed Variable was edited no more
                x = x.ref()
                if x is None:
                    continue
            if x._version != version:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: input {index} of {self.label} (shape {x.shape}, "
                    f"{x.dtype}) is at version {x._version}; expected version {version} instead")

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, *grad_outputs):
        raise NotImplementedError

    def output(self, index=0):
        """The ``index``-th output Variable (raises if it no longer exists)."""
        variable = self._outputs[index]()
        return variable if variable is not None else self._stand_in(index)

    @property
    def label(self):
        return type(self).__name__

    def __repr__(self):
        return f"<refimpl.{self.label} generation={self.generation}>"
