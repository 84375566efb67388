"""The backward engine: one traversal, ordered by generation, shared by ``backward`` and ``grad``.

A function's generation is one more than the newest of its inputs, so processing
functions from the highest generation down visits every function after all of its
consumers: the gradient of each of its outputs is complete when it runs.
"""
import heapq
import itertools

from . import _backend, _mode, policies as _semantics
from .errors import InvalidBackprop
from .function import DISMANTLED, FREED_GRAPH_MESSAGE
from .variable import Variable

NO_GRAD_FN_MESSAGE = "element {index} of tensors does not require grad and does not have a grad_fn"
IMPLICIT_SEED_MESSAGE = "grad can be implicitly created only for scalar outputs"
UNUSED_INPUT_MESSAGE = ("The differentiated Tensor at index {index} appears to not have been used "
                        "in the graph. Set allow_unused=True if this is the desired behavior.")
UNUSED_INPUT_MESSAGE_UNINDEXED = ("One of the differentiated Tensors appears to not have been used "
                                  "in the graph. Set allow_unused=True if this is the desired "
                                  "behavior.")
INPUT_NO_GRAD_MESSAGE = "One of the differentiated Tensors does not require grad"
DISMANTLED_MESSAGE = ("Part of the computational graph containing this tensor, {tensor!r}, was "
                      "'cleared' prior to backprop.")


def _as_list(value, what):
    if value is None:
        return None
    if isinstance(value, Variable) or hasattr(value, "shape"):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise TypeError(f"{what} must be a Variable or a sequence of Variables, got {type(value).__name__}")


def _as_variables(value, what):
    """``_as_list`` for arguments that must hold Variables (an array there would match
    nothing and be silently ignored): RuntimeError, torch's class ('all inputs have to be
    Tensors or GradientEdges, but got numpy.ndarray')."""
    values = _as_list(value, what)
    for index, item in enumerate(values or ()):
        if not isinstance(item, Variable):
            raise RuntimeError(f"{what} must hold Variables, got {what}[{index}] of type "
                               f"{type(item).__name__}: {item!r}")
    return values


def _as_grad_variable(value, like, what):
    """A seed gradient as a Variable with ``like``'s shape, or None."""
    if value is None:
        return None
    if not isinstance(value, Variable):
        xp = _backend.get_array_module(like.data)
        value = Variable._constant(xp.asarray(value, dtype=like.dtype))
    if value.shape != like.shape:
        raise RuntimeError(f"Mismatch in shape: {what} has a shape of {value.shape} and output "
                           f"has a shape of {like.shape}.")
    return value


def _ones_like(variable):
    xp = _backend.get_array_module(variable.data)
    return Variable._constant(xp.ones_like(variable.data))


def _zeros(shape, dtype, like):
    xp = _backend.get_array_module(like)
    return Variable._constant(xp.zeros(shape, dtype=dtype))


def _add_grads(a, b, create_graph):
    if a is None:
        return b
    if create_graph:
        return a + b
    return Variable._constant(a.data + b.data)


def _accumulate_into(grads, variable, gradient, create_graph):
    """Add ``gradient`` to ``variable``'s entry of ``grads`` ({id: (variable, grad, owned)}).

    A sum the engine made without a graph belongs to its entry alone until the entry is taken
    (owned), so later gradients are added into it in place. Any other gradient may be seen
    elsewhere (a seed, a retained grad, a saved tensor, another input's gradient): never written.
    """
    entry = grads.get(id(variable))
    if entry is None:
        grads[id(variable)] = (variable, gradient, False)
    elif entry[2] and entry[1].shape == gradient.shape:
        entry[1].data += gradient.data
    else:
        grads[id(variable)] = (variable, _add_grads(entry[1], gradient, create_graph),
                               not create_graph)


def _relevant_functions(outputs, wanted_ids):
    """Ids of the functions on some path from ``outputs`` to a Variable in ``wanted_ids``."""
    functions, stack, seen = [], [y.creator for y in outputs if y.creator is not None], set()
    while stack:
        function = stack.pop()
        if id(function) in seen:
            continue
        seen.add(id(function))
        functions.append(function)
        stack.extend(x.creator for x in function.inputs if x.creator is not None)
    functions.sort(key=lambda f: f.generation)
    relevant = set()
    for function in functions:
        if any(id(x) in wanted_ids or (x.creator is not None and id(x.creator) in relevant)
               for x in function.inputs):
            relevant.add(id(function))
    return relevant


def _propagate(outputs, seeds, *, create_graph, retain_graph, wanted=None,
               on_intermediate=None, ran=None):
    """Run backward from ``outputs`` seeded with ``seeds``.

    Returns {id(variable): (variable, grad Variable)} for every Variable whose creator was
    not run: the leaves reached and, when ``wanted`` is given, the wanted Variables.
    ``on_intermediate(variable, grad)`` is called for each output of each function run;
    ``ran``, a list, receives each function run.
    """
    free_graph = _semantics.current().free_graph_after_backward == "free" and not retain_graph
    grads = {}
    for y, seed in zip(outputs, seeds):
        _accumulate_into(grads, y, seed, create_graph)
    wanted_ids = set() if wanted is None else {id(v) for v in wanted}
    relevant = None if wanted is None else _relevant_functions(outputs, wanted_ids)
    heap, queued, captured = [], set(), {}
    order = itertools.count()  # ties in generation pop in the order pushed

    def push(function):
        if id(function) not in queued and (relevant is None or id(function) in relevant):
            queued.add(id(function))
            heapq.heappush(heap, (-function.generation, next(order), function))

    for y in outputs:
        if y.creator is not None:
            push(y.creator)
    with _mode.set_grad_enabled(create_graph):
        while heap:
            function = heapq.heappop(heap)[2]
            if function._freed and function.saves_tensors:
                raise RuntimeError(FREED_GRAPH_MESSAGE)
            if function._epoch < DISMANTLED[0]:
                _check_not_dismantled(function)
            if function._saved_versions:
                function.check_saved_versions()
            grad_outputs = [_take_grad(grads, ref(), wanted_ids, captured, on_intermediate)
                            for ref in function._outputs]
            if (grad_outputs[0] is None if len(grad_outputs) == 1
                    else all([gy is None for gy in grad_outputs])):
                continue  # no gradient reached it: nothing to run
            inputs = function.inputs  # held while its backward runs, which reads them too
            if len(grad_outputs) > 1:  # a missing output gradient is zeros
                for index, gy in enumerate(grad_outputs):
                    if gy is None:
                        shape, dtype = function._output_meta[index]
                        grad_outputs[index] = _zeros(shape, dtype, inputs[0].data)
            grad_inputs = function.backward(*grad_outputs)
            if type(grad_inputs) is not tuple:
                grad_inputs = (grad_inputs,)
            if len(grad_inputs) != len(inputs):
                raise RuntimeError(f"{function.label}.backward returned {len(grad_inputs)} "
                                   f"gradients for {len(inputs)} inputs")
            if ran is not None:
                ran.append(function)
            for x, gx in zip(inputs, grad_inputs):
                if gx is None or not x.requires_grad:
                    continue
                if gx.data.dtype != x.data.dtype:
                    gx = gx._astype(x.data.dtype)
                _accumulate_into(grads, x, gx, create_graph)
                if x.creator is not None:
                    push(x.creator)
            if free_graph:
                function._freed = True
                function._free()
    captured.update({key: (entry[0], _run_hooks(entry[0], entry[1]))
                     for key, entry in grads.items()})
    return captured


def _check_not_dismantled(function):
    """InvalidBackprop if a backward dismantled an input of ``function`` after it was made."""
    for x in function.inputs:
        if x._dismantled > function._epoch:
            raise InvalidBackprop(DISMANTLED_MESSAGE.format(tensor=x))


def _clear_graph_grads(output):
    """Set the grad of every Variable in ``output``'s graph to None (``grad_accumulation``
    'overwrite': done before the backward runs, so also when it then raises)."""
    stack, seen = [output.creator], set()
    while stack:
        function = stack.pop()
        if function is None or id(function) in seen:
            continue
        seen.add(id(function))
        for x in function.inputs:
            x._grad_var = None
            stack.append(x.creator)


def _dismantle(output, functions):
    """Take ``output`` and every input and output of ``functions`` out of the graph: outputs
    become leaves, and functions made before now that use any of them become stale."""
    DISMANTLED[0] += 1
    epoch = DISMANTLED[0]
    output._dismantled = epoch
    output.creator = None
    for function in functions:
        function._cut_outputs(range(len(function._outputs)), epoch)  # any freed outputs
        for x in function.inputs:
            x._dismantled = epoch
        for ref in function._outputs:
            y = ref()
            if y is not None:
                y._dismantled = epoch
                y.creator = None


def _take_grad(grads, y, wanted_ids, captured, on_intermediate):
    """Remove and return the gradient of output ``y`` (None if it has none or is gone)."""
    if y is None:
        return None
    entry = grads.pop(id(y), None)
    if entry is None:
        return None
    entry = (y, _run_hooks(y, entry[1]))
    if id(y) in wanted_ids:
        captured[id(y)] = entry[:2]
    if on_intermediate is not None:
        on_intermediate(y, entry[1])
    return entry[1]


def _run_hooks(variable, gradient):
    """``gradient`` passed through ``variable``'s hooks (``Variable.register_hook``), in
    registration order; a hook returning None leaves it unchanged."""
    hooks = variable.__dict__.get("_hooks")
    if not hooks:
        return gradient
    for hook in hooks.values():
        result = hook(gradient)
        if result is not None:
            gradient = result if isinstance(result, Variable) else Variable._constant(result)
    return gradient


def _accumulate(variable, gradient, create_graph):
    if variable._grad_var is None:
        variable._grad_var = gradient if create_graph else Variable._constant(gradient.data)
    else:
        variable._grad_var = _add_grads(variable._grad_var, gradient, create_graph)


def _accumulate_leaf(variable, gradient, create_graph):
    """Add a backward's gradient to a leaf's ``.grad`` as the policy's ``leaf_grad_storage``
    says: 'own_buffer' copies the first one into an array laid out like the leaf and adds
    later ones into it in place (without create_graph); 'computed' stores the computed array
    and replaces it by a new sum."""
    old = variable._grad_var
    if _semantics.current().leaf_grad_storage == "computed" or create_graph:
        _accumulate(variable, gradient, create_graph)
    elif old is None:
        buffer = _backend.get_array_module(variable.data).empty_like(variable.data)  # order 'K'
        buffer[...] = gradient.data
        variable._grad_var = Variable._constant(buffer)
    elif old.creator is None and _backend.writeable(old.data):
        old.data += gradient.data
    else:
        _accumulate(variable, gradient, create_graph)


def _implicit_seed(output, policy):
    """The seed when no gradient was given, or None for 'do nothing'."""
    if output.size == 1 or policy.nonscalar_backward_without_grad == "ones":
        return _ones_like(output)
    if policy.nonscalar_backward_without_grad == "raise":
        raise RuntimeError(IMPLICIT_SEED_MESSAGE)
    # 'none_seed' (chainer): the creator receives None.
    creator = output.creator
    if creator is not None and creator.none_grad_as_zeros:
        xp = _backend.get_array_module(output.data)
        return Variable._constant(xp.zeros_like(output.data))
    if creator is not None and not creator.passes_none_grad:
        raise AttributeError("'NoneType' object has no attribute 'dtype'")
    return None


def backward(output, gradient=None, *, retain_graph=None, create_graph=False, inputs=None,
             retain_grad=False, loss_scale=None):
    """Implementation of ``Variable.backward``; see there."""
    policy = _semantics.current()
    if retain_graph is None:
        retain_graph = create_graph
    if not output.requires_grad or output._grad_edge_cut:
        if policy.backward_without_graph == "raise":
            raise RuntimeError(NO_GRAD_FN_MESSAGE.format(index=0))
        return
    seed = _as_grad_variable(gradient, output, "grad")
    if seed is None and policy.backward_seed_from_output_grad:
        seed = output._grad_var
    if seed is None:
        seed = _implicit_seed(output, policy)
        if seed is None:
            return
        if loss_scale is not None:  # chainer scales only the seed it makes, not y.grad
            seed = Variable._constant(seed.data * loss_scale)
    if output.creator is None:  # a leaf: it is its own gradient
        if policy.leaf_backward_accumulates:
            _accumulate_leaf(output, seed, create_graph)
        elif policy.backward_without_graph == "set_seed":
            output._grad_var = seed
        return
    targets = _as_variables(inputs, "inputs")
    if targets is not None and not targets:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    chainer_style = policy.intermediate_grads != "per_tensor"
    retain_grad = retain_grad or policy.intermediate_grads == "always"
    if chainer_style:
        output._grad_var = seed
    elif output._retains_grad:
        _accumulate(output, seed, create_graph)

    def on_intermediate(variable, grad):
        if variable is output:
            return
        if not chainer_style:
            if variable._retains_grad:
                _accumulate(variable, grad, create_graph)
        elif retain_grad:
            variable._grad_var = grad
        elif policy.intermediate_grads_without_retain == "clear":
            variable._grad_var = None

    if policy.grad_accumulation == "overwrite":
        _clear_graph_grads(output)
    dismantle = policy.free_graph_after_backward == "dismantle"
    ran = [] if dismantle else None
    grads = _propagate([output], [seed], create_graph=create_graph, retain_graph=retain_graph,
                       wanted=targets, on_intermediate=on_intermediate, ran=ran)
    for variable, grad in grads.values():
        if targets is not None:
            if not any(variable is t for t in targets):
                continue
        elif not variable.is_leaf:
            continue
        if variable.requires_grad and not variable._grad_edge_cut:
            if variable.is_leaf:
                _accumulate_leaf(variable, grad, create_graph)
            else:
                _accumulate(variable, grad, create_graph)
    if chainer_style and not retain_grad and policy.output_grad_after_backward == "clear":
        output._grad_var = None
    if dismantle:
        _dismantle(output, ran)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False, *, grad_inputs=None, set_grad=False,
         retain_grad=False, enable_double_backprop=False, loss_scale=None):
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    Both frameworks' options: torch's ``grad_outputs``, ``retain_graph``, ``create_graph``,
    ``allow_unused``, ``materialize_grads``; Chainer's ``grad_inputs`` (added to the result),
    ``set_grad`` (also store the result in each input's ``.grad``, overwriting), ``retain_grad``
    (also set the grads of the outputs and of the intermediate Variables),
    ``enable_double_backprop`` (same as ``create_graph``), ``loss_scale``. Returns one Variable
    (or None) per input, as a tuple under torch semantics and a list under chainer's.
    """
    policy = _semantics.current()
    create_graph = create_graph or enable_double_backprop
    if retain_graph is None:
        retain_graph = create_graph
    outputs = _as_variables(outputs, "outputs")
    inputs = _as_variables(inputs, "inputs")
    if not inputs:
        raise ValueError(f"grad requires at least one input, got inputs={inputs!r}")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    allow_unused = allow_unused or materialize_grads
    container = tuple if policy.grad_returns == "tuple" else list
    if policy.grad_input_without_requires_grad == "raise":
        if not all(x.requires_grad for x in inputs):
            raise RuntimeError(INPUT_NO_GRAD_MESSAGE)
    for index, y in enumerate(outputs):
        no_graph = not y.requires_grad or y._grad_edge_cut
        if no_graph and policy.backward_without_graph == "raise":
            raise RuntimeError(NO_GRAD_FN_MESSAGE.format(index=index))
    seeds = _as_list(grad_outputs, "grad_outputs") or [None] * len(outputs)
    if len(seeds) != len(outputs):
        raise ValueError(f"grad_outputs has {len(seeds)} entries for {len(outputs)} outputs")
    seed_vars = []
    for index, (y, seed) in enumerate(zip(outputs, seeds)):
        seed = _as_grad_variable(seed, y, f"grad_outputs[{index}]")
        if seed is None:
            if y.size != 1 and policy.grad_nonscalar_output_default == "raise":
                raise RuntimeError(IMPLICIT_SEED_MESSAGE)
            seed = _ones_like(y)
            if loss_scale is not None:  # chainer.grad scales only the seeds it makes
                seed = Variable._constant(seed.data * loss_scale)
        seed_vars.append(seed)
        if retain_grad:
            y._grad_var = seed

    output_ids = {id(y) for y in outputs}

    def on_intermediate(variable, gradient):
        if retain_grad and id(variable) not in output_ids:
            variable._grad_var = gradient

    live = [(y, s) for y, s in zip(outputs, seed_vars) if y.requires_grad]
    grads = _propagate([y for y, _ in live], [s for _, s in live], create_graph=create_graph,
                       retain_graph=retain_graph, wanted=inputs, on_intermediate=on_intermediate)
    results = []
    extra = _as_list(grad_inputs, "grad_inputs") or [None] * len(inputs)
    for index, x in enumerate(inputs):
        entry = None if x._grad_edge_cut else grads.get(id(x))
        result = entry[1] if entry is not None else None
        if result is None and x.creator is None and x.requires_grad:
            for y, seed in live:  # an output that is itself an input
                if y is x:
                    result = seed
        if result is None and policy.grad_unused_input in ("raise", "raise_unindexed"):
            if not allow_unused:
                raise RuntimeError(UNUSED_INPUT_MESSAGE.format(index=index)
                                   if policy.grad_unused_input == "raise"
                                   else UNUSED_INPUT_MESSAGE_UNINDEXED)
            if materialize_grads:
                result = _zeros(x.shape, x.dtype, x.data)
        if extra[index] is not None:
            addend = _as_grad_variable(extra[index], x, f"grad_inputs[{index}]")
            result = addend if result is None else _add_grads(result, addend, create_graph)
        if result is not None and not create_graph:
            result = Variable._result(result.data)
        if set_grad and result is not None:
            x._grad_var = result
        results.append(result)
    return container(results)


Variable._backward_engine = staticmethod(backward)  # Variable.backward calls it; see there
