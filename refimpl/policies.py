"""Semantics policies: where PyTorch and Chainer behave differently, each behaviour is one
named, documented field of a ``Policy``; refimpl's engine and ops consult the active one.

Select a policy explicitly::

    with refimpl.semantics("chainer"):
        ...

or for the whole process with ``refimpl.set_semantics("torch")``. With none selected,
``"torch"`` is active. Every field's ``doc`` says what it models and what the framework
was observed to do (``scripts/probe_frameworks.py`` reproduces each observation; results
under ``scripts/probe_results/``).

A policy is plain data, and refimpl branches only on its fields, never on its name. A plugin
modelling another framework (or version) derives one from an existing policy and registers
it, without editing this module::

    import dataclasses, refimpl

    NEWGRAD = dataclasses.replace(refimpl.POLICIES["torch"], name="newgrad", framework="newgrad",
                                 requires_grad_default=True, leaf_backward_accumulates=False)
    refimpl.register_policy(NEWGRAD)   # now refimpl.semantics("newgrad") selects it
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

    name: str = _doc(
        """Policy name: 'torch' (2.13), 'torch214' (2.14), 'torch215' (2.15), 'torch29' (2.9), 'chainer'
        (7.8.1; alias 'chainer7'), 'chainer6' (6.7.0), 'chainer5' (5.4.0), or one a plugin
        registered (``register``).""")
    framework: str = _doc(
        """Framework this policy models ('torch', 'chainer'), for display only: refimpl never
        branches on it (nor on ``name``); every behaviour is one of the fields below.""")

    requires_grad_default: object = _doc(
        """Whether a new Variable requires grad when ``requires_grad`` is not given.
        False (torch: ``torch.tensor(x).requires_grad`` is False). True (chainer:
        ``Variable(x).requires_grad`` is True, whatever the dtype). 'floats': True for a float
        or complex Variable, False for an integer or boolean one (an engine whose integer
        tensors are always constants, as in a NumPy-based engine whose ``tensor(x)`` decides by dtype).""")

    free_graph_after_backward: str = _doc(
        """What backward (and grad) do to the graph they went through. 'free': saved tensors
        are freed unless ``retain_graph=True``, so that a second backward through an op that
        saved tensors raises RuntimeError('Trying to backward through the graph a second time
        ...'); ops that save nothing (add, sum, reshape, ...) do not raise (torch). 'keep':
        the graph is kept; a second backward accumulates into leaves again (chainer).
        'dismantle': ``backward`` (which has no retain option) removes every Variable it went
        through from the graph: the output and each intermediate become leaves (no creator,
        still requiring grad), so a second ``y.backward()`` is a leaf's backward
        (``backward_without_graph``); a later backward that reaches a function made before
        that backward from one of those Variables (leaves included) raises
        ``refimpl.errors.InvalidBackprop`` ("Part of the computational graph containing this
        tensor, ..., was 'cleared' prior to backprop."); graphs built afterwards are new
        graphs (a NumPy-based engine whose backward "clears the preceding graph").""")

    nonscalar_backward_without_grad: str = _doc(
        """``y.backward()`` with no gradient on an output with more than one element.
        'raise': RuntimeError('grad can be implicitly created only for scalar outputs') (torch).
        'none_seed': backward starts with no gradient (chainer): if the output's creator passes
        a missing gradient through (an op with a constant operand, e.g. ``z = y + 2``), nothing
        is computed and every grad stays None; otherwise its backward fails with
        AttributeError("'NoneType' object has no attribute 'dtype'"). Size-1 outputs get an
        implicit seed of ones in both (chainer warns for non-0-d ones). 'ones': the seed is ones
        of the output's shape, as if the output were summed first (a NumPy-based engine).""")

    backward_seed_from_output_grad: bool = _doc(
        """Whether ``y.backward()`` with no gradient starts from ``y.grad`` when that is set,
        and only otherwise from the implicit seed. torch 2.13: False (``y.grad =
        torch.tensor(5.); y.backward()`` on ``y = (x * x).sum()`` gives ``x.grad == 2 x``: an
        output's ``.grad`` is never read). chainer 7.8.1: True (``y.grad = 5`` gives ``10 x``; a
        preset ``y.grad`` of a non-scalar output seeds it too).""")

    grad_nonscalar_output_default: str = _doc(
        """``grad(outputs, inputs)`` with no ``grad_outputs`` on an output of several elements.
        'raise': RuntimeError('grad can be implicitly created only for scalar outputs') (torch).
        'ones': the seed is ones of the output's shape (chainer.grad).""")

    intermediate_grads: str = _doc(
        """How a non-leaf Variable gets ``.grad``. 'per_tensor': only after ``v.retain_grad()``,
        and then it accumulates over backward calls like a leaf (torch). 'per_call':
        ``backward(retain_grad=True)`` (or ``grad(retain_grad=True)``) sets, overwriting, the
        grad of every intermediate Variable of that call (chainer). 'always': every backward
        sets, overwriting, the grad of every intermediate Variable it went through, with no
        option to ask for it or not (a NumPy-based engine).""")

    intermediate_grads_without_retain: str = _doc(
        """Under 'per_call', what a backward without ``retain_grad`` does to intermediate grads
        left by an earlier call. 'keep': untouched (chainer 7.8.1: z.grad stays [-1]). 'clear':
        set to None (chainer 5.4.0, as in the seed notebook). torch: not applicable ('keep').""")

    output_grad_after_backward: str = _doc(
        """The output's own ``.grad`` after ``y.backward()``. 'unchanged': backward never writes it
        (torch: a non-leaf output has no grad unless retained). 'clear': the seed is written
        during backward and set to None afterwards unless ``retain_grad=True`` (chainer 7.8.1;
        even a grad the user set is cleared, so a second backward of a non-scalar output fails).
        'keep': the seed stays in ``y.grad`` (chainer 5.4.0).""")

    grad_unused_input: str = _doc(
        """``grad()`` for an input the outputs do not depend on. 'raise': RuntimeError('The
        differentiated Tensor at index 1 appears to not have been used in the graph. Set
        allow_unused=True if this is the desired behavior.') unless ``allow_unused=True`` (then
        None, or zeros with ``materialize_grads=True``) (torch 2.13 to 2.15). 'raise_unindexed':
        the same, but the message names no index: 'One of the differentiated Tensors appears to
        not have been used in the graph. ...' (torch 2.9.1). 'none': None (chainer).""")

    grad_input_without_requires_grad: str = _doc(
        """``grad(outputs, inputs)`` where an input does not require grad. 'raise':
        RuntimeError('One of the differentiated Tensors does not require grad') (torch 2.13).
        'none': no error; that input's gradient is None (chainer 7.8.1:
        ``chainer.grad([F.sum(x * w)], [x])`` with ``x.requires_grad`` False gives [None]).
        Not modelled: chainer does compute it when another requested input requires grad and
        reaches the same function (``chainer.grad([F.sum(x * w)], [x, w])`` gives ``w`` as x's
        gradient); refimpl gives None there too.""")

    backward_without_graph: str = _doc(
        """``backward()``/``grad()`` on an output that has no graph and does not require grad (made
        under ``no_grad()``, detached, or a gradient computed without double backprop).
        'raise': RuntimeError('element 0 of tensors does not require grad and does not have a
        grad_fn') (torch). In chainer such outputs still require grad and are leaves:
        'set_seed': backward only writes the implicit seed into ``y.grad`` (chainer 7.8.1);
        'noop': nothing happens (chainer 5.4.0). ``grad()`` then gives None for every input.""")

    leaf_backward_accumulates: bool = _doc(
        """Whether ``backward()`` on a leaf that requires grad adds the seed to the leaf's own
        ``.grad`` like any leaf's gradient. torch 2.13: True (``x.backward()`` twice on a 0-d
        leaf gives ``x.grad == 2``). chainer: False: a leaf is an output without graph, so
        ``backward_without_graph`` decides (7.8.1 'set_seed': ``x.grad`` is 1 after one call
        and after two; 5.4.0 'noop').""")

    outputs_require_grad: str = _doc(
        """Whether an op's output requires grad and gets a creator. 'when_recorded': both only
        when grad mode is on and an input requires grad, and only for floating-point outputs
        (torch). 'inputs': requires_grad is True when any input requires grad, whatever the
        dtype and even under no_backprop_mode; the creator is recorded whenever backprop mode
        is on, even if no input requires grad (chainer, function_node.py). A first-order
        gradient computed without double backprop is a leaf that requires grad (chainer).
        'inputs_floats': as 'inputs' for float outputs; an integer output (argmax) has no
        creator and does not require grad (a NumPy-based engine whose argmax is NumPy's, on the
        data).""")

    no_grad_views: str = _doc(
        """Outputs of view ops (reshape, transpose/permute/swapaxes, broadcast_to, squeeze/
        expand_dims, split, getitem with basic indices: ints, slices, None, Ellipsis, 0-d
        integer arrays) made under ``no_grad()`` from a Variable that requires grad. 'cut'
        (torch 2.13: ``with torch.no_grad(): v = x.view(3)`` gives ``v.requires_grad`` True,
        ``grad_fn`` None, ``is_leaf`` True, but no gradient edge: ``(v * 2).sum().backward()``
        runs and writes neither ``v.grad`` nor ``x.grad``; ``v.backward(g)`` raises 'element 0
        of tensors does not require grad and does not have a grad_fn'; ``grad(.., [v])``
        raises 'appears to not have been used'; non-view ops, integer-array or mask indexing
        give requires_grad False). 'leaf' (chainer 7.8.1: under no_backprop_mode every output
        of an input that requires grad is a leaf requiring grad, see
        ``outputs_require_grad``; ``F.sum(v * 2).backward()`` writes ``v.grad``).""")

    identity_ops_return_input: frozenset = _doc(
        """Ops that return their input Variable itself, not a new node, when they change
        nothing (``reshape`` to the same shape as given: chainer compares the argument
        itself, so ``(-1,)`` or a list makes a node; ``transpose`` with the identity permutation or
        of a 0-/1-d input (also ``permute``, ``swapaxes(x, a, a)``), ``squeeze`` with no axis
        of length 1, ``cast`` to the same dtype, ``broadcast_to``/``sum_to`` the same shape;
        'sum_to_0d': ``sum_to`` of a 0-d input to ``()``). torch 2.13: {'cast', 'sum_to'}
        (``x.to(x.dtype)`` and ``x.sum_to_size(x.shape)`` return ``x``, but a 0-d
        ``x.sum_to_size(())`` is ``x.sum()``, a SumBackward0 node (ATen's sum_to sums for an
        empty shape); view, reshape, permute, t, transpose, squeeze and expand make a new
        node). chainer 7.8.1: {'reshape', 'broadcast_to', 'sum_to', 'sum_to_0d',
        'cast_under_no_grad'} (they return ``chainer.as_variable(x)``; ``F.cast`` to the same
        dtype does so only under ``no_backprop_mode``, else it makes a Cast node; transpose,
        swapaxes and squeeze always make a node). 'flatten': ``flatten`` of a 1-D input
        (both: ``torch.flatten(x) is x``, ``F.flatten(x) is x``).""")

    mixed_dtypes: str = _doc(
        """Binary ops on Variables of different dtypes. 'promote': PyTorch's type promotion
        (float32 + float64 -> float64; int + float -> the float type; a 0-d operand of the same
        category does not upcast; int / int -> float32; a Python scalar keeps the tensor's
        dtype unless of a higher category) (torch). 'raise': InvalidType('Expect: lhs.dtype ==
        rhs.dtype'); arrays and numbers are cast to the Variable's dtype, even np.float64 into
        float32 (chainer). 'numpy': ``numpy.result_type`` of the operands' data and Python
        numbers, so the installed NumPy's rules apply (NumPy 1.x: a 0-d array counts by value
        like a Python number: 0-d float32 + 0.0 is float64; int32 + float32 is float64)
        (a NumPy-based engine, which computes with NumPy).""")

    integer_arithmetic: str = _doc(
        """Arithmetic on integer Variables. 'allow': as NumPy/PyTorch integer maths, true division
        gives float32 (torch). 'float_only': Variable-Variable ops and ``**`` raise
        InvalidType('Expect: lhs.dtype.kind == f'); a constant is cast to the integer dtype, so
        ``x / 2`` multiplies by int(1/2) = 0 and silently gives zeros (chainer). 'numpy': as
        'allow', but true division and the mean of integers give float64, as NumPy's (a
        NumPy-based engine).""")

    integer_requires_grad: str = _doc(
        """A Variable of integer dtype that requires grad. 'raise': RuntimeError('Only Tensors of
        floating point and complex dtype can require gradients') (torch). 'raise_constant':
        ValueError('Integer-valued tensors must be treated as constants.') (a NumPy-based engine).
        'allow' (chainer).""")

    index_dtype: str = _doc(
        """dtype of indices from argmax/argmin. torch: 'int64'. chainer F.argmax: 'int32'.""")

    max_returns_indices: bool = _doc(
        """Whether ``max(x, axis)``/``min(x, axis)`` with an axis return ``(values, indices)``.
        torch: True (``torch.max(a, 0)``; indices carry no graph). chainer: False (values only;
        use argmax).""")

    max_tie_gradient: str = _doc(
        """Gradient of max/min when several elements tie for the extreme value, for a reduction
        over all elements. 'distribute': the gradient is split evenly among the tied elements
        (torch ``max(a)``/``amax``). 'all': every tied element receives the full gradient
        (chainer F.max). 'first': the first tied element in row-major order gets all of it, as
        NumPy's argmax picks it (a NumPy-based engine).""")

    max_axis_tie_gradient: str = _doc(
        """As ``max_tie_gradient``, for a reduction along an axis. 'index': only the element at
        the returned index gets the gradient (torch ``max(a, dim)``; a NumPy-based engine, also for a
        tuple of axes). 'all': every tied element gets it (chainer). 'distribute': split evenly
        (torch ``amax``).""")

    zero_dim_axis: str = _doc(
        """An axis given to a 0-d input. 'accept': axis 0 or -1 (alone or in a tuple) names the
        only "axis" of a 0-d tensor and reduces over nothing (torch: ``sum``, ``mean``,
        ``amax``/``max(x, 0)``, ``logsumexp``, ``argmax``, ``squeeze``, ``transpose``,
        ``softmax``). 'raise' (chainer 7.8.1): sum, mean, max, min and logsumexp raise
        InvalidType('x.ndim > 0'), argmax, argmin and squeeze InvalidType('in_types[0].ndim >
        0') for any axis other than None or (); swapaxes raises numpy's AxisError ('axis1:
        axis 0 is out of bounds for array of dimension 0', a ValueError); softmax and
        log_softmax raise RuntimeError for a 0-d input whatever the axis.""")

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

    fresh_parameter_grad: str = _doc(
        """The grad of a freshly initialised layer parameter. 'none' (torch nn.Linear).
        'nan': filled with NaN until ``cleargrads()``; a backward adds into the NaN (chainer
        L.Linear, 5.4.0 and 7.8.1). A plain Variable/tensor starts with None in both, and
        clearing (torch ``zero_grad()``, set_to_none=True by default since 2.0; chainer
        ``cleargrads()``) leaves None in both.""")

    max_pooling_cover_all: bool = _doc(
        """Max pooling's output-size rule when not given. False: ``floor((H + 2p - k) / s) + 1``
        (torch ``MaxPool2d``/``max_pool2d``, ``ceil_mode=False``). True: ``ceil`` instead, so
        every input pixel is covered (chainer ``F.max_pooling_2d(cover_all=True)``).""")

    linear_input_layout: str = _doc(
        """How a linear layer treats an input of more than two dimensions. 'last_axis': it applies
        to the last axis and keeps the leading ones (torch ``nn.Linear``/``F.linear``).
        'flatten': the input is reshaped to ``(N, -1)`` first (chainer ``L.Linear``/``F.linear``
        with ``n_batch_axes=1``), and a lazy layer takes ``in_size`` from that.""")

    weight_initializer: str = _doc(
        """Default initializer of Linear/Conv weights. 'kaiming_uniform_a_sqrt5':
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (torch ``reset_parameters``). 'lecun_normal':
        ``N(0, 1/fan_in)`` (chainer ``LeCunNormal(scale=1)``). fan_in = in_channels/groups * kh * kw.""")

    bias_initializer: str = _doc(
        """Default initializer of Linear/Conv biases. 'fan_in_uniform': ``U(-1/sqrt(fan_in),
        1/sqrt(fan_in))`` (torch). 'zeros' (chainer ``initial_bias=0``).""")

    linear_mixed_dtypes: str = _doc(
        """``linear(x, W)`` with x and W of different float dtypes. 'raise': RuntimeError
        (torch). 'cast_weight': W is used in x's dtype, y has x's dtype and W's gradient keeps
        W's dtype (chainer ``F.linear``).""")

    conv_mixed_dtypes: str = _doc(
        """``conv2d(x, W)`` with x and W of different float dtypes. 'raise': RuntimeError
        ('expected scalar type Float but found Double', torch). 'cast_weight': as
        ``linear_mixed_dtypes`` (chainer 7.8.1). A bias of another dtype raises in both.""")

    conv_unbatched_input: bool = _doc(
        """Whether a 3-D (C, H, W) input to conv2d, conv_transpose2d and the poolings is one
        unbatched sample (torch) or an error (chainer raises InvalidType 'in_types[0].ndim ==
        4'; refimpl a ValueError naming the shape).""")

    max_pooling_nan_index: str = _doc(
        """Which element of a max-pooling window holding NaN gets the gradient (the output is
        NaN either way). 'last': the last NaN in row-major order (torch 2.13 ``max_pool2d``:
        ``val > max || isnan(val)``). 'first': the first (chainer: NumPy argmax).""")

    pooling_pad_limit: str = _doc(
        """Largest pooling pad. 'half_kernel': pad > ksize // 2 raises RuntimeError ('pad should
        be at most half of effective kernel size', torch). 'unlimited': any pad; a window
        entirely in the padding gives -inf for max and 0 for average (chainer).""")

    invalid_argument_errors: str = _doc(
        """Which exception reports an argument that does not fit an op (mismatched concat
        shapes, an out-of-range softmax axis, a linear weight of the wrong rank or shape).
        'torch': torch's RuntimeError/IndexError with torch's message. 'chainer_type_check':
        chainer's type check: InvalidType (Expect/Actual), or the RuntimeError chainer's
        type_check raises where it cannot evaluate the condition (softmax axis). 'numpy': what
        NumPy raises, with NumPy's message (concat: ValueError 'all the input array dimensions
        except for the concatenation axis must match exactly, ...'; softmax: the policy's
        'axis' class of ``error_classes``; where takes a non-boolean condition as truth
        values) (a NumPy-based engine, which lets NumPy check arguments).""")

    pow_gradient_masks: bool = _doc(
        """Whether pow's gradients take fixed values where the formulas meet 0 * inf. True
        (torch 2.13 ``pow_backward_self``/``pow_backward_exponent``): d/da = 0 where b == 0
        (``where(b == 0, 0, b a^(b-1))``), d/db = 0 where a == 0 and b >= 0 (``where(a == 0 &
        b >= 0, 0, y log a)``), and the plain formulas elsewhere: a negative base gives NaN
        for d/db (log a), a zero base with b < 0 gives -inf; a Python-number base takes the
        same rule. The masked branch still passes a zero gradient into the formula, so second
        derivatives there are 0 * (formula's derivative) (NaN for a negative base). False
        (chainer 7.8.1 PowVarVar/PowVarConst: the plain formula ``y log a`` for d/db
        everywhere: a = 0 gives -inf at b = 0 and NaN at b = 2). Not modelled, because they
        are defects (conformance known issues), not conventions: d/da at a = b = 0 is 0 under
        every policy (chainer gives NaN: 0 * 0^-1), and d/db of d/da at b = 0 is a^-1
        (torch's mask makes it 0).""")

    slope_in_graph: bool = _doc(
        """Whether the slope in the gradient of abs, relu and leaky_relu is a node on x (with a
        zero derivative), so a ``create_graph`` gradient requires grad even for a constant
        seed. True (torch 2.13: ``sgn(self)``, ``threshold_backward(grad, self)``:
        ``grad(relu(x), x, zeros, create_graph=True)[0].requires_grad`` is True). False
        (chainer 7.8.1: ``chainer.grad(.., [zeros array], enable_double_backprop=True)``
        gives a gradient that does not require grad).""")

    relu_nan_gradient: float = _doc(
        """relu's gradient at a NaN input. torch 2.13: 1 (``threshold_backward`` zeroes only
        where ``x <= 0``). chainer 7.8.1: 0 (ReLUGrad2 passes only where ``y > 0``).""")

    sigmoid_form: str = _doc(
        """The formula of sigmoid (and of every refimpl op built on it). 'exp' (torch 2.13's
        CPU kernel: ``1 / (1 + exp(-x))``, gradient ``gy * (1 - y) * y``): small values down
        to the float's smallest (float32 sigmoid(-20) is 2.06e-9; 0 only where exp(-x)
        overflows, x < -88.7). 'tanh' (chainer 7.8.1: ``tanh(x / 2) / 2 + 1 / 2``, gradient
        ``gy * y * (1 - y)``): 0 wherever tanh(x / 2) rounds to -1 (float32 x below about
        -17, float64 below about -37), so ``log(sigmoid(x))`` is -inf there and its gradient
        NaN.""")

    lerp_start_gradient: str = _doc(
        """The gradient of lerp(start, end, weight) in start. 'factored' (torch 2.13's lerp
        derivative: ``gy * (1 - weight)``). 'difference' (chainer 7.8.1's
        LinearInterpolateGrad, ``linear_interpolate(p, x, y)`` = lerp(y, x, p): ``g - p * g``):
        NaN for an infinite output gradient (inf - inf), where torch's is infinite. The other
        two gradients, ``gy * weight`` and ``gy * (end - start)``, are alike.""")

    product_zero_gradient: str = _doc(
        """prod's and cumprod's gradient terms that a zero input makes 0 (the product of the
        other factors has a zero), for a NaN or infinite output gradient. 'skip_unrecorded'
        (torch 2.13, where the backward is not recorded, i.e. without create_graph): prod over
        all elements (no dim) of an input with two or more zeros gives zeros
        (FunctionsManual.cpp ``prod_backward``: ``zeros_like(input)``); cumprod of an input
        with a zero leaves out each such term (ReduceOps.cpp ``cumprod_backward``'s O(n)
        masked path): 0 after the first zero along the axis, and before it and at it only the
        output gradients up to the first zero (up to the second zero) count. prod with one
        zero or along a dim, and both under create_graph, multiply every term
        (``prod_safe_zeros_backward``, cumprod's O(n^2) omitted products), as 'multiply' does.
        'multiply' (chainer 7.8.1's Prod and Cumprod backward, every term a product with the
        output gradient): 0 * NaN = NaN.""")

    zero_slope_gradient: str = _doc(
        """The gradient of a piecewise-linear activation where its slope is 0 (relu at x <= 0;
        clip, hardtanh, relu6, clipped_relu and hard_sigmoid outside their bounds; hardshrink
        and softshrink inside [-lambd, lambd]), for a NaN or infinite output gradient. 'zero'
        (torch 2.13: its backward kernels select, e.g. ``threshold_backward``: ``x <= 0 ? 0 :
        grad``, and clamp's ``where(mask, grad, 0)``): 0. 'product' (chainer 7.8.1:
        ``gy * (y > 0)``, ``gy * mask``): the output gradient times 0, NaN. leaky_relu
        multiplies in both (torch: ``grad * negval``). torch's hardswish selects in its own
        kernel (refimpl ``HardSwish``, under every policy: chainer has no hardswish).""")

    abs_nan_gradient: str = _doc(
        """abs's gradient at a NaN input. 'zero' (torch 2.13: ``sgn(nan)`` is 0). 'nan'
        (chainer 7.8.1: ``numpy.sign(nan)``).""")

    empty_softmax_axis: str = _doc(
        """softmax, log_softmax and logsumexp along an axis of length 0. 'identity' (torch
        2.13: softmax/log_softmax give the empty result, logsumexp -inf, the identity of its
        log-sum; gradients are empty/zero). 'raise' (chainer 7.8.1: NumPy's ValueError
        'zero-size array to reduction operation maximum which has no identity'). 'log_raise':
        softmax gives the empty result, log_softmax and logsumexp raise that ValueError (a NumPy-based
        engine: ``nnet.softmax`` returns the empty input, ``nnet.logsoftmax`` takes a max).""")

    number_operands: str = _doc(
        """add/sub/mul/div with two Python numbers and no Variable. 'tensor' (torch 2.13:
        ``torch.add(2, 3)`` is a 0-d int64 tensor, ``torch.div(2, 3)`` float32: each number's
        category's default dtype (bool, int64, float32, complex64); ``torch.pow(2, 3)`` raises
        TypeError; ``torch.sub(True, 2)`` RuntimeError). 'raise' (chainer 7.8.1: TypeError
        'incompatible array types are mixed in the forward input'). 'numpy': 0-d constants of
        NumPy's dtype for the numbers (int64, float64, complex128, bool; a NumPy-based
        engine: ``add(2, 3)`` is int64, ``where(mask, 2.0, 3.0)`` float64).""")

    squeeze_non_unit_axis: str = _doc(
        """``squeeze(x, axis)`` naming an axis whose length is not 1. 'ignore' (torch 2.13: that
        axis is kept; ``squeeze(zeros(2, 3), 0)`` has shape (2, 3)). 'raise' (chainer 7.8.1:
        ValueError 'cannot select an axis to squeeze out which has size not equal to one').""")

    concat_skips_legacy_empty: bool = _doc(
        """Whether ``concat`` skips 1-d inputs of shape (0,) beside inputs of more dimensions
        (their dtype still takes part in promotion). torch 2.13: True (``cat([zeros(0),
        ones(2, 3)], 1)`` is (2, 3); their gradient is (0,)). chainer 7.8.1: False
        (InvalidType 'in_types[0].ndim == in_types[1].ndim').""")

    pooling_one_element_tuple: bool = _doc(
        """Whether the pooling functions take a one-element tuple for the kernel size, stride or
        padding as that value for both axes. torch 2.13: True (``max_pool2d(x, 2, 2, (1,))``;
        a tuple of 3 or 0 elements raises RuntimeError). chainer 7.8.1: False
        (``max_pooling_2d(x, 2, 2, (1,))`` raises AssertionError, ``average_pooling_2d``
        ValueError 'not enough values to unpack'); refimpl raises ValueError naming it.""")

    error_classes: tuple = _doc(
        """The exception class raised for each kind of bad argument, as (kind, class name)
        pairs; refimpl's message names the argument and its value either way. Kinds: 'shape'
        (operands that do not broadcast, matmul/dot/stack/reshape/broadcast_to/split sizes
        that do not fit), 'axis' (an axis out of range), 'repeated_axis', 'index' (getitem
        out of bounds), 'dtype' (a dtype the op does not take: an integer to mean or
        exp/log/..., a non-boolean where
        condition, matmul operands of two dtypes), 'complex' (a complex input to an op that
        orders elements: relu/max/argmax/clip/topk/leaky_relu; a policy without it uses its
        'dtype' class), 'permute_axis' (an axis of transpose or swapaxes out of range; a
        policy without it uses its 'axis' class), 'value' (k of topk, split sections, max of
        an empty array), 'empty_axis' (max/argmax along an axis of length 0, argmax of an
        empty array). torch 2.13: RuntimeError for shape, repeated_axis, dtype and value;
        IndexError for axis, index,
        empty_axis; NotImplementedError (a RuntimeError) for complex ("'clamp' not
        implemented for 'ComplexFloat'"). chainer 7.8.1: its type check's InvalidType for
        shape, axis, dtype and complex, NumPy's AxisError for permute_axis
        (``F.swapaxes(x, 0, 2)`` of a 2-d x: 'axis2: axis 2 is out of bounds for array of
        dimension 2');
        IndexError (NumPy's) for index; ValueError (NumPy's) for repeated_axis, value and
        empty_axis. A Python value of the wrong type (a bool, float or str axis, float shape
        entries, a Variable where a list is expected) raises TypeError in both, except
        'str_index' (a str in a getitem key: NumPy's IndexError unless listed; torch
        TypeError), 'reshape_infer' (two -1 in a reshape: the 'shape' class unless listed;
        chainer asserts, AssertionError), 'split_zero' (split into 0 sections: the 'value'
        class unless listed; chainer divides by it, ZeroDivisionError),
        'where_shape', 'where_dtype', 'mean_axis' (where's and mean's own checks; a policy
        without them uses its 'shape', 'dtype', 'axis' class: chainer 5.4.0 differs),
        'str_operand' (a str operand of arithmetic: TypeError unless listed; chainer 5.4.0
        ValueError),
        'float_dtype' (an integer input to an op that needs floats: mean, normalize, the
        normalisations, ...; a policy without it uses its 'dtype' class: torch 2.15 raises
        NotImplementedError) and
        'name_axis' (a str axis of a reduction, which torch 2.9 to 2.12 read as a
        named-tensor dimension name: RuntimeError; a policy without the kind raises
        TypeError), 'max_pooling_2d_one_element', 'average_pooling_2d_one_element' (a
        one-element tuple for a pooling argument where ``pooling_one_element_tuple`` is
        False: ValueError unless listed; chainer 7.8.1's max_pooling_2d asserts,
        AssertionError), 'unchecked_shape' (operands that do not fit an op whose chainer
        function type-checks no shapes: fmod, arctan2, tensordot, scatter_add; the 'shape'
        class unless listed; chainer 7.8.1: NumPy's ValueError, or its own 'Chainer does not
        support automatic broadcasting'), 'gather_index' (a label of select_item out of range:
        the 'index' class unless listed; torch 2.13's gather: RuntimeError 'index 3 is out of
        bounds for dimension 1'), 'spatial_shape' (an input of the wrong shape to
        resize_images, affine_grid: the 'shape' class unless listed; torch 2.13's
        F.interpolate and F.affine_grid check in Python: ValueError), 'empty_output' (im2col's
        kernel larger than the padded input: the 'value' class unless listed; chainer 7.8.1's
        get_conv_outsize asserts: AssertionError 'Height in the output should be positive');
        'kernel_dtype' (an integer, bool or complex input of an op the framework has no kernel
        for in that dtype: elu, selu, celu, softplus, hard_sigmoid, silu, relu6, log_sigmoid,
        rrelu, gelu, mish, hardswish, erf, erfc, erfinv, lgamma, digamma, polygamma, abs,
        softsign; the
        'dtype' class unless listed; torch 2.9 to 2.15: NotImplementedError '"elu_cpu" not
        implemented for 'Long''; chainer 5 to 7: InvalidType); 'permute_axis' also covers
        repeat's axis (chainer passes it to numpy.repeat); 'bool_sub', 'bool_neg' (a bool
        operand of subtraction, a bool array negated: RuntimeError unless listed; torch 2.14
        and 2.15 raise NotImplementedError with 2.13's messages, chainer NumPy's TypeError
        for -x: 'The numpy boolean negative, the `-` operator, is not supported').
        Measured over 105 inputs by
        ``tests/refimpl/test_error_classes.py``.""")

    empty_mean_axis: str = _doc(
        """mean over axes with no element (an axis of length 0, or all of an empty array).
        'nan' (torch 2.13: 0 / 0 gives NaN, the gradient is empty). 'raise' (chainer 7.8.1:
        ZeroDivisionError 'float division by zero'; a non-empty axis of an empty array
        gives the empty result in both).""")

    clip_none_bound: str = _doc(
        """``clip(x, x_min, x_max)`` with one bound None. 'unbounded': None is no bound on that
        side (torch 2.13 ``clamp(x, min=None, max=1)``; chainer 7.8.1 ``F.clip(x, None, 1.0)``).
        'raise': TypeError (chainer 5.4.0: 'x_min must be float value'; chainer 6.7.0: a
        comparison with None: "'>=' not supported between instances of 'NoneType' and 'float'");
        refimpl's message names the argument.""")

    matmul_error_names_op: bool = _doc(
        """Whether the RuntimeError of a matrix product whose inner sizes differ (``linear``,
        ``matmul``, ``mm``) starts with the op's name. False (torch 2.9.1 to 2.14.1: 'mat1 and
        mat2 shapes cannot be multiplied (6x4 and 12x5)'; chainer raises its type check's
        InvalidType instead). True (torch 2.15.0: 'mm: mat1 and mat2 shapes cannot be
        multiplied (6x4 and 12x5)', for linear and matmul alike).""")

    matmul_mixed_dtypes: str = _doc(
        """``matmul(a, b)`` with float operands of two dtypes. 'raise': RuntimeError
        ('expected m1 and m2 to have the same dtype', torch 2.13). 'promote': NumPy's result
        type (float32 @ float64 is float64), each input's gradient in its own dtype (chainer
        7.8.1 ``F.matmul``, which has no dtype check; a NumPy-based engine).""")

    cast_differentiable: bool = _doc(
        """Whether ``cast`` (``Variable.astype``) is an op of the graph whose gradient is cast
        back. True (torch ``x.to(dtype)``, chainer ``F.cast``). False: it returns a new leaf, as
        a Variable made from the converted data (``requires_grad_default``), so no gradient
        reaches ``x`` (a NumPy-based engine's ``Tensor.astype``: "not involved in any computational
        graph"). Conversions refimpl makes itself (type promotion) stay differentiable.""")

    grad_accumulation: str = _doc(
        """What a backward does to the ``.grad`` a leaf already holds. 'accumulate': the new
        gradient is added (torch, chainer: ``sum(x * x).backward(); sum(3 * x).backward()``
        gives ``2 x + 3``). 'overwrite': the gradient of the latest backward that reached the
        leaf replaces it (a NumPy-based engine that clears the grads of the graph before each backward:
        the example gives 3).""")

    extremum_gradient_selects: frozenset = _doc(
        """The extremum ops (``maximum``/``minimum`` of two arrays, ``max``/``min`` over all
        elements: no axis, no keepdims) whose gradient selects: 0 at the elements that are not the
        extreme whatever the output gradient holds (NaN, inf), where the others multiply it
        by a 0/1 mask (NaN there). torch 2.13 (CPU): all four (``masked_fill``; ``max(x)``:
        ``evenly_distribute_backward``'s CPU branch; its CUDA branch multiplies, read in the
        source, not run here); ``amax``/``amin`` (axes or keepdims) multiply, and
        ``max(x, dim)`` scatters by index (no mask). chainer 7.8.1: maximum only
        (``MaximumGrad``: ``numpy.where``; Minimum: ``gy * (x1 <= x2)``; Max/Min:
        ``gy * cond``).""")

    binary_extremum_tie_gradient: str = _doc(
        """Gradient of the elementwise ``maximum(a, b)``/``minimum(a, b)`` where a == b.
        'split' (torch 2.13: ``torch.maximum(a, b)`` gives each operand half the gradient at
        a tie). 'first' (chainer 7.8.1: ``F.maximum(a, b)`` gives all of it to a (a >= b),
        ``F.minimum`` too (a <= b)).""")

    hard_sigmoid_slope: float = _doc(
        """Slope of ``hard_sigmoid(x) = clip(slope * x + 0.5, 0, 1)``. torch 2.13
        ``F.hardsigmoid``: 1/6 (relu6(x + 3) / 6, flat outside [-3, 3]). chainer 7.8.1
        ``F.hard_sigmoid``: 0.2 (flat outside [-2.5, 2.5]). Both pass the gradient strictly
        inside only (0 at the bounds).""")

    softplus_threshold: object = _doc(
        """Where ``softplus(x, beta)`` stops computing ``log(1 + exp(beta x)) / beta``: above
        ``beta * x > threshold`` it is ``x`` itself, with gradient exactly 1. torch 2.13: 20.0
        (``F.softplus``'s default ``threshold=20``; ``F.softplus(torch.tensor(21.,
        dtype=torch.float64))`` is exactly 21). chainer 7.8.1: None (``F.softplus`` has no
        threshold: 21 + 7.6e-10 in float64). A threshold given to refimpl's softplus
        overrides it.""")

    step_functions_in_graph: bool = _doc(
        """Whether floor, ceil and sign record a node. True (torch 2.13: ``torch.floor(x)``
        of an x that requires grad requires grad and has a grad_fn; its gradient is
        ``zeros_like(grad)``: 0 even for a NaN or infinite output gradient, and no graph
        under create_graph).
        False (chainer 7.8.1: ``F.floor(x)`` returns ``chainer.as_variable`` of the array: no
        creator, ``requires_grad`` False, so ``chainer.grad([F.floor(x)], [x])`` gives
        [None]).""")

    # --- normalisation and regularisation (issue 17) ---------------------------------------
    batch_norm_eps: float = _doc(
        """Default ``eps`` of batch normalisation (functions and layers). torch 2.13: 1e-5
        (``F.batch_norm``, ``nn.BatchNorm1d/2d``). chainer 7.8.1: 2e-5
        (``F.batch_normalization``, ``F.fixed_batch_normalization``,
        ``L.BatchNormalization``).""")

    batch_norm_average_argument: str = _doc(
        """What the running-average argument of a batch-normalisation layer weighs.
        'momentum' (torch 2.13 ``nn.BatchNorm1d(momentum=0.1)``: running = (1 - momentum)
        running + momentum batch; ``momentum=None`` is a cumulative average). 'decay'
        (chainer 7.8.1 ``L.BatchNormalization(decay=0.9)``: running = decay running + (1 -
        decay) batch; ``finetune=True`` is a cumulative average). The defaults weigh the same
        (0.1 of the batch); the same number means the opposite. Both fold in the unbiased
        variance (n / (n - 1) times the batch's; chainer: n / max(n - 1, 1)).""")

    norm_single_value: str = _doc(
        """Training-mode batch normalisation (and group normalisation) where a channel (a
        group) has one value. 'raise' (torch 2.13: ValueError 'Expected more than 1 value per
        channel when training, got input size torch.Size([1, 3])', for ``F.batch_norm``,
        ``nn.BatchNorm1d`` and ``F.group_norm``). 'allow' (chainer 7.8.1: the variance is 0,
        the output is beta; ``L.BatchNormalization`` folds variance 0 into its running
        variance).""")

    layer_norm_layer_eps: float = _doc(
        """Default ``eps`` of the layer-normalisation *layer*. torch 2.13 ``nn.LayerNorm``: 1e-5.
        chainer 7.8.1 ``L.LayerNormalization``: 1e-6 (its function ``F.layer_normalization``
        defaults to 1e-5, as torch's ``F.layer_norm``).""")

    lrn_k: float = _doc(
        """Default additive constant ``k`` of local response normalisation. torch 2.13
        ``F.local_response_norm``: 1.0. chainer 7.8.1 ``F.local_response_normalization``:
        2.""")

    lrn_alpha_over_size: bool = _doc(
        """Whether local response normalisation divides ``alpha`` by the window size ``n``:
        torch 2.13 True (``x / (k + alpha / n * sum x^2) ^ beta``); chainer 7.8.1 False
        (``x / (k + alpha * sum x^2) ^ beta``).""")

    lrn_window: str = _doc(
        """The channels local response normalisation sums over for channel c. 'size' (torch
        2.13: n channels, c - n // 2 .. c + (n - 1) // 2). 'symmetric' (chainer 7.8.1: c - n //
        2 .. c + n // 2, so n + 1 channels for an even n). They agree for an odd n.""")

    lrn_min_ndim: int = _doc(
        """The fewest axes local response normalisation takes. torch 2.13: 3 (a 2-D input
        raises ValueError 'Expected 3D or higher dimensionality input (got 2 dimensions)').
        chainer 7.8.1: 2 ((N, C) is normalised across C).""")

    dropout_ratio_one: str = _doc(
        """Dropout with ratio 1 in training. 'zeros' (torch 2.13 ``F.dropout(x, 1.0)``: all
        zeros, gradient 0). 'raise' (chainer 7.8.1 ``F.dropout(x, 1.0)``: ValueError
        'dropout_ratio must be in the range [0, 1)').""")

    embed_ignore_label: str = _doc(
        """The id an embedding lookup treats specially. 'zero_grad' (torch 2.13
        ``F.embedding(x, W, padding_idx=p)``: the row W[p] is looked up as any other, and gets
        no gradient; p may be negative, counted from the end, and must be a row index).
        'zero_output' (chainer 7.8.1 ``F.embed_id(x, W, ignore_label=l)``: ids equal to l give
        zeros and no gradient; l may be any id, e.g. -1).""")

    embed_negative_index: str = _doc(
        """A negative id (not the ignored one) in an embedding lookup. 'raise' (torch 2.13:
        IndexError 'index out of range in self'). 'wrap' (chainer 7.8.1: NumPy indexing, -1 is
        the last row). An id past the last row raises IndexError in both.""")

    dropout_train_default: str = _doc(
        """What the functional dropout does when it is not told whether it is training.
        'always' (torch 2.13: ``F.dropout(x, p)`` has ``training=True`` whatever the mode of
        the module that calls it, so a ``forward`` that leaves the flag out still drops after
        ``module.eval()``; ``nn.Dropout`` passes ``self.training``). 'global_train_mode'
        (chainer 7.8.1: ``F.dropout(x, ratio)`` reads ``chainer.config.train``, so under
        ``chainer.using_config('train', False)`` it returns x). refimpl: the mode of
        ``refimpl.functions.normalization.train_mode``.""")

    group_norm_min_ndim: int = _doc(
        """The fewest axes group normalisation takes. 2 (torch 2.13 ``F.group_norm``, chainer
        6.7.0 and 7.8.1 ``F.group_normalization``: (N, C) is normalised per group of
        channels). 3 (chainer 5.4.0: ValueError 'Input dimension must be grater than 2,
        including batch size dimension (first dimension).').""")

    layer_norm_gradient: str = _doc(
        """The formula of layer normalisation's input gradient, seen where the output gradient
        holds inf or NaN. 'moments' (torch 2.13 ``F.layer_norm``, CPU kernel
        layer_norm_kernel.cpp: per row ``ds = sum(gy gamma x)``, ``db = sum(gy gamma)``, then
        ``dx = rstd gy gamma + b x + c`` with ``b = (db mean - ds) rstd^3 / n``, ``c = -b mean
        - db rstd / n``: an infinite gy gives inf or NaN by the signs of x and mean). 'composite'
        (chainer 7.8.1 ``F.layer_normalization``: LayerNormalization.backward, chainer
        functions through the mean, the variance and the inverse std: NaN in most of the
        row). Finite output gradients give the same values.""")

    group_norm_gradient: str = _doc(
        """The formula of group normalisation's gradients in x and gamma, seen where the output
        gradient holds inf or NaN. 'moments' (torch 2.13 ``F.group_norm``, CPU kernel
        group_norm_kernel.cpp: from the per-channel sums ``ds = sum(gy x)``, ``db = sum(gy)``,
        ``dx = c1 gy + c2 x + c3`` as layer_norm's, ``dgamma = sum over N of (ds - db mean)
        rstd``: inf or NaN by the signs of x and mean). 'centred' (chainer 7.8.1
        ``F.group_normalization``, _XHatGrad: with g = gy gamma, ``dx = (g - mean(g) - x_hat
        mean(g x_hat)) inv_std``, ``dgamma = sum(gy x_hat)``: by the signs of x - mean, as
        batch normalisation's in both frameworks). Finite output gradients give the same
        values.""")

    # --- engine semantics and learning-rate schedules (issue 17) --------------------------
    in_place_version_check: bool = _doc(
        """Whether a backward checks that the tensors an op saved were not modified in place
        after the op ran. True (torch 2.13: every tensor has a version counter, bumped by each
        in-place op, also under no_grad; ``c = b * b; with no_grad(): b.add_(1);
        c.sum().backward()`` raises RuntimeError('one of the variables needed for gradient
        computation has been modified by an inplace operation: [torch.FloatTensor [3]],
        which is output 0 of Mul, is at version 1; expected version 0 instead. ...'); an op
        that saves nothing (``b + 1``) does not raise). False (chainer 7.8.1: there is no
        in-place Variable op; editing ``b.array += 1`` is silent and the backward uses the
        edited array: ``a.grad`` is ``4 (2 a + 1)`` instead of ``8 a``). refimpl's
        ``Variable.add_`` adds a constant in place and bumps ``_version``; a Function records
        the versions of the inputs its backward reads (``saved_inputs``: every input of an
        op that ``saves_tensors``; Mul, as torch, each operand only for the other's
        gradient). Not modelled: ops whose torch backward saves only the output (exp, tanh,
        sigmoid: torch raises when the *output* is edited, refimpl when the input is) and
        torch's in-place ops recorded in the graph (refimpl's ``add_`` adds no node).""")

    grad_assignment_errors: str = _doc(
        """What assigning a ``.grad`` of the wrong shape or dtype raises. 'torch' (torch 2.13:
        RuntimeError "attempting to assign a gradient of size '[2]' to a tensor of size
        '[3]'. ..." and RuntimeError "attempting to assign a gradient with dtype 'double' to
        a tensor with grad_dtype 'Float'. ..."). 'chainer' (chainer 7.8.1: ValueError 'Shape
        of data and grad mismatch grad: (2,) != data: (3,)' and TypeError 'Dtype of data
        and grad mismatch grad: float64 != data: float32'). Device mismatches are not
        modelled (not observable on a CPU-only machine).""")

    leaf_grad_storage: str = _doc(
        """What a leaf's ``.grad`` array is. 'own_buffer' (torch 2.13 AccumulateGrad: the first
        backward stores a new array laid out like the leaf (a transposed leaf gets a
        transposed grad), and later backward calls add into that same array in place, so a
        grad fetched earlier, or an array the user assigned to ``.grad``, shows the later
        sums; with create_graph the sum is a new array). 'computed' (chainer 7.8.1:
        ``.grad`` is the array the backward computed, e.g. a zero-stride broadcast of the
        output gradient for ``sum``; a later backward stores a new array and leaves the
        earlier one, or the user's, unchanged).""")

    lr_schedule_form: str = _doc(
        """How a learning-rate schedule computes the next value. 'recursive' (torch 2.13
        ``ExponentialLR``, ``StepLR``, ``MultiStepLR``, ``LinearLR``, ``PolynomialLR``:
        ``step()`` multiplies the current ``group['lr']`` by a factor, so an lr changed by hand
        between steps carries on from the new value). 'closed_form' (chainer 7.8.1
        ``ExponentialShift``, ``StepShift``, ``MultistepShift``, ``LinearShift``,
        ``PolynomialShift``: each call sets the attribute from its initial value and the call
        count, so a hand-set value is overwritten at the next call).""")

    momentum_lr_form: str = _doc(
        """Where the idiomatic momentum SGD applies the learning rate. 'lr_outside' (torch 2.13
        ``SGD(lr, momentum)``: ``b = mu b + g; p -= lr b``, so a new lr scales the whole
        buffer at once). 'lr_inside' (chainer 7.8.1 ``MomentumSGD``: ``v = mu v - lr g; p +=
        v``, so the velocity keeps the past learning rates and a new lr takes effect
        gradually). Equal while lr is constant; with gradient 1, momentum 0.9 and lr 0.1 for
        two steps then 0.01, p after four steps is -0.35149 (torch) vs -0.6439 (chainer).
        chainer's ``CorrectedMomentumSGD`` is torch's form.""")

    adam_eps_placement: str = _doc(
        """Where the idiomatic Adam adds eps. 'after_bias_correction' (torch 2.13 ``Adam(lr,
        betas, eps)``: ``p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps)``, c1 = 1 - beta1^t, c2 = 1 -
        beta2^t). 'before_bias_correction' (chainer 7.8.1 ``Adam(alpha, beta1, beta2, eps)``:
        ``p -= alpha sqrt(c2)/c1 * m / (sqrt(v) + eps)``, so chainer's eps acts as torch's
        ``eps / sqrt(c2)``: much larger in the first steps). With eps 0.1, lr 0.1, betas (0.9,
        0.999), p = 1 and gradient 0.5, the first step gives 0.9167 (torch) vs 0.9863
        (chainer).""")

    adam_weight_decay: str = _doc(
        """What the idiomatic Adam's weight-decay argument does. 'l2' (torch 2.13 ``Adam(...,
        weight_decay=wd)``: ``g += wd p`` before the moments; torch's decoupled form is the
        separate ``AdamW``, ``p *= 1 - lr wd``). 'decoupled' (chainer 7.8.1 ``Adam(...,
        weight_decay_rate=wd)``: ``p -= eta wd p`` after the moments, not scaled by alpha).
        With lr 0.1, wd 0.1, p = [1, -2] and gradient [0.5, -1], the first step gives [0.9,
        -1.9] (torch) vs [0.8, -1.7] (chainer).""")

    grad_norm_clipping: str = _doc(
        """How the idiomatic gradient-norm clipping scales the gradients (L2 norm over all of
        them). 'coef_with_eps' (torch 2.13 ``clip_grad_norm_(params, max_norm)``: ``g *=
        min(max_norm / (norm + 1e-6), 1)``, always). 'rate_if_above' (chainer 7.8.1
        ``GradientClipping(threshold)`` hook: ``g *= threshold / norm`` only when norm >
        threshold). Visible for small norms: gradients [3e-7, 4e-7] clipped to 2.5e-7 are
        scaled by 1/6 (torch) vs 1/2 (chainer).""")

    optimizer_defaults: str = _doc(
        """Which defaults an optimizer constructed without arguments takes: a column of
        ``refimpl.optimizers.DEFAULTS``. 'torch' (torch 2.13: SGD lr 1e-3; Adagrad lr 1e-2,
        eps 1e-10; Adadelta lr 1.0, rho 0.9, eps 1e-6; AdamW weight_decay 1e-2). 'chainer'
        (chainer 7.8.1: SGD lr 0.01; AdaGrad lr 1e-3, eps 1e-8; AdaDelta rho 0.95, eps 1e-6,
        no lr; AdamW weight_decay_rate 0). The update formulas of SGD, Adagrad and Adadelta
        are the same in both, so a port that keeps the defaults changes only these.""")

    optimizer_none_grad: str = _doc(
        """What an optimizer step does to a parameter whose ``.grad`` is None. 'skip' (torch
        2.13: the parameter and its state are left alone). 'zeros' (chainer 7.8.1: the
        gradient is taken as zeros, so momentum (and Adam's moments) still move it: with
        MomentumSGD(lr=0.1, momentum=0.9) after a step with gradient 1, two steps without a
        gradient move p from -0.1 to -0.19 and -0.271).""")

    multistep_repeated_milestones: str = _doc(
        """A multi-step schedule whose milestones repeat (e.g. (2, 2, 4)). 'count' (torch 2.13
        ``MultiStepLR``: a milestone listed twice multiplies by gamma twice at that step).
        'one_per_call' (chainer 7.8.1 ``MultistepShift``: each call passes at most one
        milestone, so the second gamma comes one call later).""")

    # --- layers: convolutions, PReLU, Bilinear, GRU (issue 17) -----------------------------
    conv_transpose_output_size: str = _doc(
        """How a transposed-convolution (deconvolution) layer is given an output size other than
        the natural ``(H - 1) s - 2 p + (k - 1) d + 1``. 'output_padding' (torch 2.13:
        ``nn.ConvTranspose2d(..., output_padding=op)``, or ``layer(x, output_size=...)`` at
        call time, which must lie in [natural, natural + stride - 1]: ``output_size=6`` of a
        3x3 input, kernel 3, stride 2 raises ValueError 'requested an output size of (6, 6),
        but valid sizes range from [7, 7] to [8, 8]'; the extra rows read only the bias).
        'outsize' (chainer 7.8.1: ``L.Deconvolution2D(..., outsize=(h, w))``, any size whose
        convolution gives back the input size, natural - stride + 1 .. natural + stride - 1:
        ``outsize=6`` there gives a 6x6 output, the taps past it dropped; 5 and 9 raise
        InvalidType).""")

    depthwise_weight_layout: str = _doc(
        """The weight of a depthwise convolution (each of the C input channels with its own m
        filters, output channel c m + j). 'grouped' (torch 2.13: ``F.conv2d(x, W,
        groups=C)``, W (C m, 1, kh, kw)). 'multiplier_first' (chainer 7.8.1
        ``F.depthwise_convolution_2d(x, W)``, W (m, C, kh, kw), which it computes as
        ``conv2d(x, W.transpose(1, 0, 2, 3).reshape(C m, 1, kh, kw), groups=C)``).""")

    prelu_slope_shape: str = _doc(
        """Which slopes ``prelu(x, W)`` takes, and the PReLU layer's default. 'channels' (torch
        2.13 ``F.prelu``: W of one element, or of x.shape[1] elements (1 for an input of
        fewer than 2 axes) along the channel axis; ``nn.PReLU()``'s weight has shape (1,)).
        'leading_axes' (chainer 7.8.1 ``F.prelu``: W.shape == x.shape[1:1 + W.ndim], so a W
        of shape (1,) for 3 channels raises InvalidType and (C, H) is allowed;
        ``L.PReLU()``'s W has shape ()). Both layers start at 0.25.""")

    prelu_zero_gradient: str = _doc(
        """prelu's gradient in x at x == 0. 'slope' (torch 2.13: ``x > 0 ? g : w g``: the
        slope). 'one' (chainer 7.8.1: ``x >= 0 ? g : w g``: 1). The value is 0 in both.""")

    bilinear_weight_layout: str = _doc(
        """The layout of a bilinear weight, ``y[n, o] = sum_ij x1[n, i] W x2[n, j] + ...``.
        'out_in1_in2' (torch 2.13 ``F.bilinear``/``nn.Bilinear``: W (out, in1, in2)).
        'in1_in2_out' (chainer 7.8.1 ``F.bilinear``/``L.Bilinear``: W (in1, in2, out)).""")

    bilinear_linear_terms: bool = _doc(
        """Whether a Bilinear layer with a bias also has the linear terms ``x1 V1 + x2 V2``.
        False (torch 2.13 ``nn.Bilinear(in1, in2, out)``: weight and bias). True (chainer
        7.8.1 ``L.Bilinear(in1, in2, out)``: W, V1 (in1, out), V2 (in2, out) and b; with
        ``nobias=True`` W alone; its ``F.bilinear`` takes V1, V2 and b all or none).""")

    bilinear_x2_gradient: str = _doc(
        """How the bilinear form's gradient in x2 meets the output gradient gy.
        'contracted' (torch 2.13 ``_trilinear_backward``: ``_trilinear(x1, W, gy)`` sums
        x1 W over in1 first, then ``sum_o gy[n, o] (x1 W)[n, o, j]``: one product per gy
        entry, so an infinite gy gives +-inf). 'expanded' (chainer 7.8.1
        BilinearFunctionGrad: ``einsum('ij,ijk->ik', e1, tensordot(gy, W))``: gy meets
        each x1[n, i] W[i, j, o] product, NaN where their signs differ). The gradients in
        x1 and W are alike.""")

    gru_cell_reset_gate: str = _doc(
        """Where a GRU *cell* applies its reset gate r. 'after_matmul' (torch 2.13
        ``nn.GRUCell``: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``; also torch's
        ``nn.GRU`` and chainer's ``L.NStepGRU``). 'before_matmul' (chainer 7.8.1
        ``L.StatelessGRU``/``L.StatefulGRU``: ``h_bar = tanh(W x + b_W + U (r * h) + b_U)``).
        refimpl maps the parameters as a port would: torch's row blocks (r, z, n) of
        weight_ih/bias_ih are chainer's W_r, W_z, W and those of weight_hh/bias_hh U_r, U_z,
        U.""")

    gru_cell_update_gate: str = _doc(
        """Which state a GRU cell's update gate z keeps. 'keeps_state' (torch 2.13
        ``nn.GRUCell``: ``h' = (1 - z) n + z h``; also ``nn.GRU`` and ``L.NStepGRU``).
        'takes_candidate' (chainer 7.8.1 ``L.StatelessGRU``: ``h' = z h_bar + (1 - z) h``,
        ``F.linear_interpolate(z, h_bar, h)``).""")

    # --- losses and shape/maths ops (issue 17: losses, pad, normalize, depth2space, im2col) --
    huber_loss_reduction: str = _doc(
        """Reduction of ``huber_loss(x, t, delta)`` when none is given. 'mean' (torch 2.13
        ``F.huber_loss``: reduction='mean', a 0-d loss). 'sum_along_second_axis' (chainer
        7.8.1 ``F.huber_loss(x, t, delta)``: the sum over axis 1, shape (N, ...)). The
        elements agree (``0.5 d^2`` inside ``|d| <= delta``, ``delta (|d| - delta / 2)``
        outside); torch's ``smooth_l1_loss(beta)`` is that divided by beta.""")

    l1_loss_reduction: str = _doc(
        """Reduction of the absolute error ``|x - t|`` when none is given. 'mean' (torch 2.13
        ``F.l1_loss``). 'none' (chainer 7.8.1 ``F.absolute_error``: elementwise).""")

    gaussian_nll_reduction: str = _doc(
        """Reduction of the Gaussian negative log-likelihood when none is given. 'mean'
        (torch 2.13 ``F.gaussian_nll_loss``). 'sum' (chainer 7.8.1 ``F.gaussian_nll``).""")

    gaussian_nll_full: bool = _doc(
        """Whether the Gaussian negative log-likelihood includes the constant 0.5 log(2 pi) by
        default. False (torch 2.13 ``F.gaussian_nll_loss(full=False)``). True (chainer 7.8.1
        ``F.gaussian_nll``, always). chainer takes the log-variance (``ln_var``), torch the
        variance (clamped at ``eps=1e-6`` under no_grad); refimpl's ``gaussian_nll`` takes
        ``ln_var`` and its torch binding passes ``exp(ln_var)``.""")

    triplet_distance: str = _doc(
        """The distance of the triplet loss ``max(d(a, p) - d(a, n) + margin, 0)``. 'pairwise'
        (torch 2.13 ``F.triplet_margin_loss``: ``||a - p + eps||_2``, eps=1e-6). 'squared'
        (chainer 7.8.1 ``F.triplet``: ``||a - p||_2^2``, no eps).""")

    triplet_margin: float = _doc(
        """Default margin of the triplet loss. torch 2.13 ``F.triplet_margin_loss``: 1.0.
        chainer 7.8.1 ``F.triplet``: 0.2.""")

    normalize_eps_rule: str = _doc(
        """How L2 normalisation keeps away from a zero norm. 'clamp' (torch 2.13
        ``F.normalize``: ``x / max(||x||, eps)``). 'add' (chainer 7.8.1 ``F.normalize``: ``x /
        (||x|| + eps)``), so chainer's output is shorter than 1 by about eps / ||x||.""")

    normalize_eps: float = _doc(
        """Default eps of L2 normalisation. torch 2.13 ``F.normalize``: 1e-12. chainer 7.8.1
        ``F.normalize``: 1e-5.""")

    depth2space_channel_order: str = _doc(
        """Which input channel of ``depth2space`` (pixel shuffle, factor r, C output channels)
        lands at offset (i, j) of output channel c. 'channel_major' (torch 2.13
        ``F.pixel_shuffle``: channel ``c r^2 + i r + j``; ``pixel_unshuffle`` is its inverse).
        'block_major' (chainer 7.8.1 ``F.depth2space``: channel ``(i r + j) C + c``;
        ``F.space2depth`` is its inverse).""")

    im2col_layout: str = _doc(
        """Output layout of im2col (patches of kh x kw, C channels, an oh x ow grid of
        positions). 'flat' (torch 2.13 ``F.unfold``: (N, C kh kw, oh ow)). 'grid' (chainer
        7.8.1 ``F.im2col``: (N, C kh kw, oh, ow)). The channel axis is ordered (c, ki, kj) in
        both.""")

    ctc_mean_normalisation: str = _doc(
        """What the CTC loss's 'mean' reduction divides by. 'target_length' (torch 2.13
        ``F.ctc_loss(reduction='mean')``: each sample's loss by its target length, at least 1,
        then the mean over the batch). 'batch' (chainer 7.8.1
        ``F.connectionist_temporal_classification(reduce='mean')``: the mean over the batch).
        chainer also takes activations (it applies softmax), torch log-probabilities.""")

    spatial_grid_layout: str = _doc(
        """Layout of a spatial transformer's sampling grid (output of affine_grid, input of
        grid_sample). 'channels_last' (torch 2.13 ``F.affine_grid``/``F.grid_sample``: (N, H,
        W, 2)). 'channels_first' (chainer 7.8.1 ``F.spatial_transformer_grid``/
        ``F.spatial_transformer_sampler``: (N, 2, H, W)). (x, y) order in both.""")

    spatial_align_corners: bool = _doc(
        """Where the normalised coordinates -1 and 1 of a spatial transformer lie. False (torch
        2.13 ``F.affine_grid``/``F.grid_sample`` default ``align_corners=False``: at the
        image's edges, pixel i's centre at (2 i + 1) / W - 1). True (chainer 7.8.1, no option:
        at the centres of the corner pixels, linspace(-1, 1, W)).""")

    grid_sample_gradient: str = _doc(
        """The gradients of grid_sample (bilinear, zeros outside). 'masked' (torch 2.13
        ``grid_sampler_2d_backward``, its CPU kernel ``ApplyGridSample``): x gets ``weight *
        gy`` at the taps inside the image only; the grid ``gx_mult sum_c ((ne - nw) s + (se -
        sw) n) gy_c``, outside taps' values 0. 'clipped' (chainer 7.8.1
        SpatialTransformerSampler): the coordinate clipped to the image padded by 1, all four
        taps get ``gy * wu * wv``, zero weights included (NaN for an infinite gy at the edge
        pixel next to a point outside); the grid ``sum_c (...) gy_c / 2 (W - 1)`` times the
        0/1 mask of the unclipped coordinate (NaN outside, and for W = 1). Both multiply gy
        once into each weight and each channel's finite derivative.""")

    # edge inputs (issue 15, conformance/subjects/edge_inputs.py)
    leaky_relu_nan_gradient: str = _doc(
        """leaky_relu's gradient at a NaN input. 'slope' (torch 2.13 ``leaky_relu_backward``:
        ``x > 0 ? g : g * slope``, so NaN takes the negative slope). 'one' (chainer 7.8.1
        ``_LeakyReLUGrad``: ``gy[x <= 0] *= slope``, so NaN keeps the gradient, 1).""")

    label_loss_soft_targets: bool = _doc(
        """Whether chainer's ``softmax_cross_entropy`` (refimpl ``chainer_softmax_cross_entropy``)
        takes a float ``t`` of x's shape as class probabilities. chainer 7.8.1: True (loss
        ``-sum t log_softmax(x)``, gradient ``softmax(x) - t``, none for t). chainer 5.4.0 and
        6.7.0: False (its type check wants integer labels: InvalidType). torch 2.13: True (its
        ``cross_entropy`` takes probabilities; the field only concerns chainer's function).""")

    clip_boundary_gradient: str = _doc(
        """clip's gradient where x equals a bound. 'pass' (torch 2.13 ``clamp``: the mask is
        ``x_min <= x <= x_max``; chainer 6.7.0 and 7.8.1 likewise). 'zero' (chainer 5.4.0
        ``ClipGrad``: ``(x_min < x) * (x < x_max)``, so 0 at either bound; torch 2.15.0's
        ``clamp`` likewise).""")

    # rrelu in training (issue 17, conformance/properties/test_rrelu.py)
    rrelu_train_default: str = _doc(
        """What rrelu does when it is not told whether it is training. 'never' (torch 2.13:
        ``F.rrelu(x, lower, upper)`` has ``training=False``, the mean slope (lower + upper) /
        2, whatever the mode of the module that calls it; ``nn.RReLU`` passes
        ``self.training``). 'global_train_mode' (chainer 7.8.1: ``F.rrelu(x, l, u)`` reads
        ``chainer.config.train``, True by default, so outside ``chainer.using_config('train',
        False)`` it draws random slopes). refimpl: the mode of
        ``refimpl.functions.normalization.train_mode``.""")

    rrelu_zero_input: str = _doc(
        """Which side an input of exactly 0 takes in training-mode rrelu. 'random_slope' (torch
        2.13 ``rrelu_with_noise``: ``x <= 0`` draws a slope, so the output is 0 and the
        gradient there is that random slope in [lower, upper]). 'identity' (chainer 7.8.1
        ``RReLU``: ``where(x >= 0, x, x * r)`` and its gradient ``where(y >= 0, gy, gy * r)``,
        so the gradient at 0 is 1).""")

    # issue 18 port: the LSTM cell link's biases (found by the port checker's PTB pair)
    lstm_cell_biases: str = _doc(
        """How many bias vectors an LSTM *cell* layer has and trains. 'two' (torch 2.13
        ``nn.LSTMCell``: ``bias_ih`` and ``bias_hh``, each (4H,), summed in the gates: one
        optimizer step moves their sum by the update of each, twice a single bias's under
        plain SGD; torch's ``nn.LSTM`` and chainer 7.8.1's ``L.NStepLSTM`` (``b0``-``b3`` on the
        input, ``b4``-``b7`` on the hidden state) have two as well). 'one' (chainer 7.8.1
        ``L.LSTM`` and ``L.StatelessLSTM``: ``upward/b`` only; ``lateral`` is built with
        ``nobias=True``). refimpl: ``refimpl.nn.rnn.LSTMCell``.""")

    lstm_bias_init: str = _doc(
        """The initial bias of an LSTM cell layer. 'uniform' (torch 2.13 ``nn.LSTMCell``:
        every bias from ``U(-1/sqrt(H), 1/sqrt(H))``, no forget-gate offset). 'forget_one'
        (chainer 7.8.1 ``L.LSTM``: ``bias_init=0`` for the a, i, o gates and
        ``forget_bias_init=1`` for the forget gate; ``L.NStepLSTM``'s biases are all 0).
        refimpl: ``refimpl.nn.rnn.LSTMCell``.""")

    def describe(self):
        """{field name: (value, doc)} for every behaviour field."""
        return {f.name: (getattr(self, f.name), f.metadata["doc"]) for f in dataclasses.fields(self)}


TORCH = Policy(
    name="torch", framework="torch",
    matmul_mixed_dtypes="raise",
    requires_grad_default=False,
    free_graph_after_backward="free",
    nonscalar_backward_without_grad="raise",
    backward_seed_from_output_grad=False,
    intermediate_grads_without_retain="keep",
    output_grad_after_backward="unchanged",
    outputs_require_grad="when_recorded",
    integer_arithmetic="allow",
    index_dtype="int64",
    fresh_parameter_grad="none",
    grad_nonscalar_output_default="raise",
    intermediate_grads="per_tensor",
    grad_unused_input="raise",
    grad_input_without_requires_grad="raise",
    backward_without_graph="raise",
    leaf_backward_accumulates=True,
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
    max_pooling_cover_all=False,
    linear_input_layout="last_axis",
    weight_initializer="kaiming_uniform_a_sqrt5",
    bias_initializer="fan_in_uniform",
    linear_mixed_dtypes="raise",
    conv_mixed_dtypes="raise",
    conv_unbatched_input=True,
    max_pooling_nan_index="last",
    pooling_pad_limit="half_kernel",
    invalid_argument_errors="torch",
    no_grad_views="cut",
    identity_ops_return_input=frozenset({"cast", "sum_to", "flatten"}),
    zero_dim_axis="accept",
    pow_gradient_masks=True,
    slope_in_graph=True,
    relu_nan_gradient=1.0,
    sigmoid_form="exp",
    lerp_start_gradient="factored",
    product_zero_gradient="skip_unrecorded",
    zero_slope_gradient="zero",
    abs_nan_gradient="zero",
    empty_softmax_axis="identity",
    number_operands="tensor",
    squeeze_non_unit_axis="ignore",
    concat_skips_legacy_empty=True,
    pooling_one_element_tuple=True,
    error_classes=(("shape", "RuntimeError"), ("axis", "IndexError"),
                   ("repeated_axis", "RuntimeError"), ("index", "IndexError"),
                   ("dtype", "RuntimeError"), ("complex", "NotImplementedError"),
                   ("value", "RuntimeError"), ("empty_axis", "IndexError"),
                   ("str_index", "TypeError"),
                   # gather's index check; F.affine_grid's / F.interpolate's Python checks
                   ("gather_index", "RuntimeError"), ("spatial_shape", "ValueError"),
                   # the dispatcher: '"elu_cpu" not implemented for 'Long''
                   ("kernel_dtype", "NotImplementedError")),
    empty_mean_axis="nan",
    clip_none_bound="unbounded",
    matmul_error_names_op=False,
    cast_differentiable=True,
    grad_accumulation="accumulate",
    binary_extremum_tie_gradient="split",
    extremum_gradient_selects=frozenset({"maximum", "minimum", "max", "min"}),
    hard_sigmoid_slope=1.0 / 6.0,
    softplus_threshold=20.0,
    step_functions_in_graph=True,
    # losses and shape/maths ops (issue 17)
    huber_loss_reduction="mean", l1_loss_reduction="mean", gaussian_nll_reduction="mean",
    gaussian_nll_full=False, triplet_distance="pairwise", triplet_margin=1.0,
    normalize_eps_rule="clamp", normalize_eps=1e-12, depth2space_channel_order="channel_major",
    im2col_layout="flat",
    ctc_mean_normalisation="target_length",
    spatial_grid_layout="channels_last", spatial_align_corners=False,
    grid_sample_gradient="masked",
    # normalisation and regularisation (issue 17)
    batch_norm_eps=1e-5, batch_norm_average_argument="momentum", norm_single_value="raise",
    layer_norm_layer_eps=1e-5, lrn_k=1.0, lrn_alpha_over_size=True, lrn_window="size",
    lrn_min_ndim=3, dropout_ratio_one="zeros", embed_ignore_label="zero_grad",
    embed_negative_index="raise", group_norm_min_ndim=2,
    layer_norm_gradient="moments", group_norm_gradient="moments",
    dropout_train_default="always",
    # engine semantics and learning-rate schedules (issue 17)
    in_place_version_check=True, grad_assignment_errors="torch", leaf_grad_storage="own_buffer",
    lr_schedule_form="recursive", multistep_repeated_milestones="count",
    momentum_lr_form="lr_outside", adam_eps_placement="after_bias_correction",
    adam_weight_decay="l2", grad_norm_clipping="coef_with_eps", optimizer_defaults="torch",
    optimizer_none_grad="skip",
    # layers: convolutions, PReLU, Bilinear, GRU (issue 17)
    conv_transpose_output_size="output_padding", depthwise_weight_layout="grouped",
    prelu_slope_shape="channels", prelu_zero_gradient="slope",
    bilinear_weight_layout="out_in1_in2", bilinear_linear_terms=False,
    bilinear_x2_gradient="contracted",
    gru_cell_reset_gate="after_matmul", gru_cell_update_gate="keeps_state",
    leaky_relu_nan_gradient="slope", label_loss_soft_targets=True,  # edge inputs (issue 15)
    clip_boundary_gradient="pass",
    lstm_cell_biases="two", lstm_bias_init="uniform",  # issue 18 port
    rrelu_train_default="never", rrelu_zero_input="random_slope",  # issue 17
)

CHAINER = Policy(
    name="chainer", framework="chainer",
    matmul_mixed_dtypes="promote",
    requires_grad_default=True,
    free_graph_after_backward="keep",
    nonscalar_backward_without_grad="none_seed",
    backward_seed_from_output_grad=True,
    intermediate_grads_without_retain="keep",
    output_grad_after_backward="clear",
    outputs_require_grad="inputs",
    integer_arithmetic="float_only",
    index_dtype="int32",
    fresh_parameter_grad="nan",
    grad_nonscalar_output_default="ones",
    intermediate_grads="per_call",
    grad_unused_input="none",
    grad_input_without_requires_grad="none",
    backward_without_graph="set_seed",
    leaf_backward_accumulates=False,
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
    max_pooling_cover_all=True,
    linear_input_layout="flatten",
    weight_initializer="lecun_normal",
    bias_initializer="zeros",
    linear_mixed_dtypes="cast_weight",
    conv_mixed_dtypes="cast_weight",
    conv_unbatched_input=False,
    max_pooling_nan_index="first",
    pooling_pad_limit="unlimited",
    invalid_argument_errors="chainer_type_check",
    no_grad_views="leaf",
    identity_ops_return_input=frozenset({"reshape", "broadcast_to", "sum_to", "sum_to_0d",
                                         "cast_under_no_grad", "flatten"}),
    zero_dim_axis="raise",
    pow_gradient_masks=False,
    slope_in_graph=False,
    relu_nan_gradient=0.0,
    sigmoid_form="tanh",
    lerp_start_gradient="difference",
    product_zero_gradient="multiply",
    zero_slope_gradient="product",
    abs_nan_gradient="nan",
    empty_softmax_axis="raise",
    number_operands="raise",
    squeeze_non_unit_axis="raise",
    concat_skips_legacy_empty=False,
    pooling_one_element_tuple=False,
    error_classes=(("shape", "InvalidType"), ("axis", "InvalidType"),
                   ("repeated_axis", "ValueError"), ("index", "IndexError"),
                   ("dtype", "InvalidType"), ("complex", "InvalidType"),
                   ("value", "ValueError"), ("empty_axis", "ValueError"),
                   ("permute_axis", "AxisError"), ("reshape_infer", "AssertionError"),
                   ("split_zero", "ZeroDivisionError"),
                   # no type check on the shapes: NumPy's (or chainer's broadcast) ValueError;
                   # get_conv_outsize asserts a positive output size (issue 15)
                   ("unchecked_shape", "ValueError"), ("empty_output", "AssertionError"),
                   # -x of a bool array: NumPy's TypeError ('The numpy boolean negative')
                   ("bool_neg", "TypeError"),
                   # max_pooling_2d asserts on a one-element tuple (issue 15, edge inputs)
                   ("max_pooling_2d_one_element", "AssertionError")),
    empty_mean_axis="raise",
    clip_none_bound="unbounded",
    matmul_error_names_op=False,
    cast_differentiable=True,
    grad_accumulation="accumulate",
    binary_extremum_tie_gradient="first",
    extremum_gradient_selects=frozenset({"maximum"}),
    hard_sigmoid_slope=0.2,
    softplus_threshold=None,
    step_functions_in_graph=False,
    # losses and shape/maths ops (issue 17)
    huber_loss_reduction="sum_along_second_axis", l1_loss_reduction="none",
    gaussian_nll_reduction="sum", gaussian_nll_full=True, triplet_distance="squared",
    triplet_margin=0.2, normalize_eps_rule="add", normalize_eps=1e-5,
    depth2space_channel_order="block_major", im2col_layout="grid",
    ctc_mean_normalisation="batch",
    spatial_grid_layout="channels_first", spatial_align_corners=True,
    grid_sample_gradient="clipped",
    # normalisation and regularisation (issue 17)
    batch_norm_eps=2e-5, batch_norm_average_argument="decay", norm_single_value="allow",
    layer_norm_layer_eps=1e-6, lrn_k=2.0, lrn_alpha_over_size=False, lrn_window="symmetric",
    lrn_min_ndim=2, dropout_ratio_one="raise", embed_ignore_label="zero_output",
    embed_negative_index="wrap", group_norm_min_ndim=2,
    layer_norm_gradient="composite", group_norm_gradient="centred",
    dropout_train_default="global_train_mode",
    # engine semantics and learning-rate schedules (issue 17)
    in_place_version_check=False, grad_assignment_errors="chainer", leaf_grad_storage="computed",
    lr_schedule_form="closed_form", multistep_repeated_milestones="one_per_call",
    momentum_lr_form="lr_inside", adam_eps_placement="before_bias_correction",
    adam_weight_decay="decoupled", grad_norm_clipping="rate_if_above",
    optimizer_defaults="chainer", optimizer_none_grad="zeros",
    # layers: convolutions, PReLU, Bilinear, GRU (issue 17)
    conv_transpose_output_size="outsize", depthwise_weight_layout="multiplier_first",
    prelu_slope_shape="leading_axes", prelu_zero_gradient="one",
    bilinear_weight_layout="in1_in2_out", bilinear_linear_terms=True,
    bilinear_x2_gradient="expanded",
    gru_cell_reset_gate="before_matmul", gru_cell_update_gate="takes_candidate",
    leaky_relu_nan_gradient="one", label_loss_soft_targets=True,  # edge inputs (issue 15)
    clip_boundary_gradient="pass",
    lstm_cell_biases="one", lstm_bias_init="forget_one",  # issue 18 port
    rrelu_train_default="global_train_mode", rrelu_zero_input="identity",  # issue 17
)

CHAINER5 = dataclasses.replace(
    CHAINER, name="chainer5",
    intermediate_grads_without_retain="clear",
    output_grad_after_backward="keep",
    backward_without_graph="noop",
    clip_none_bound="raise",
    group_norm_min_ndim=3,  # normalisation (issue 17)
    # 5.4.0's own checks (run there): F.where asserts (AssertionError, no message) on shapes
    # that do not broadcast and on a non-boolean condition; F.mean indexes x.shape with the
    # axis first (IndexError 'tuple index out of range'); a str operand of + is converted with
    # float() (ValueError "could not convert string to float: 'x'")
    error_classes=CHAINER.error_classes + (
        ("where_shape", "AssertionError"), ("where_dtype", "AssertionError"),
        ("mean_axis", "IndexError"), ("str_operand", "ValueError"),
        # 5.4.0's max_pooling_2d unpacks a one-element tuple: ValueError (7.8.1 asserts)
        ("max_pooling_2d_one_element", "ValueError")),
    label_loss_soft_targets=False,  # 5.4.0: InvalidType for a float t (issue 15)
    clip_boundary_gradient="zero",  # 5.4.0: 0 at x == x_min or x_max (issue 15)
)

CHAINER6 = dataclasses.replace(
    CHAINER, name="chainer6", clip_none_bound="raise",
    # 6.7.0 as 5.4.0 at the edge inputs (issue 15): max_pooling_2d unpacks a one-element
    # tuple (ValueError), a float t of softmax_cross_entropy fails the type check
    error_classes=CHAINER.error_classes + (("max_pooling_2d_one_element", "ValueError"),),
    label_loss_soft_targets=False)

TORCH215 = dataclasses.replace(
    TORCH, name="torch215", matmul_error_names_op=True,
    # an op that checks for a floating-point input (mean, normalize/vector_norm, var, std)
    # raises NotImplementedError (a RuntimeError) on 2.15.0, e.g. 'mean(): could not infer
    # output dtype ... Got: Long'; RuntimeError with the same messages on 2.13.0
    error_classes=TORCH.error_classes + (("float_dtype", "NotImplementedError"),
                                         # torch.sub(True, 2) (issue 15 edge inputs)
                                         ("bool_sub", "NotImplementedError"),
                                         # -torch.tensor([True]) (issue 15 error inputs)
                                         ("bool_neg", "NotImplementedError")),
    clip_boundary_gradient="zero")  # clamp's gradient is 0 at x == min or max (issue 15)

TORCH214 = dataclasses.replace(
    TORCH, name="torch214",
    # torch 2.14.1 (the matrix run of 2026-12-04) already has two of 2.15.0's changes:
    # torch.sub(True, 2) raises NotImplementedError, and clamp's gradient is 0 at x == min or
    # max (and at NaN); its float-input checks still raise RuntimeError, as 2.13.0's
    error_classes=TORCH.error_classes + (("bool_sub", "NotImplementedError"),
                                         ("bool_neg", "NotImplementedError")),
    clip_boundary_gradient="zero")

TORCH29 = dataclasses.replace(
    TORCH, name="torch29", grad_unused_input="raise_unindexed",
    # a str axis of sum/mean/max/min/logsumexp is a named-tensor dimension name there
    # (RuntimeError 'Invalid name: a valid identifier contains only digits, ...' for '0',
    # seen on 2.9.1 and, on CUDA, 2.11.0); 2.13 has no such overload: TypeError
    error_classes=TORCH.error_classes + (("name_axis", "RuntimeError"),))

POLICIES = {"torch": TORCH, "torch215": TORCH215, "torch214": TORCH214, "torch29": TORCH29,
            "chainer": CHAINER,
            "chainer7": CHAINER, "chainer6": CHAINER6, "chainer5": CHAINER5}

_current = contextvars.ContextVar("refimpl_semantics", default=TORCH)


def register(policy):
    """Make ``policy`` selectable by its name (``semantics(policy.name)``, ``get_policy``) and
    return it. Raises ValueError when ``policy`` is not a ``Policy`` or its name is taken
    (derive a new policy with ``dataclasses.replace(POLICIES["torch"], name=..., ...)``)."""
    if not isinstance(policy, Policy):
        raise ValueError(f"policy must be a refimpl.Policy, got policy={policy!r}")
    if not isinstance(policy.name, str) or not policy.name:
        raise ValueError(f"policy.name must be a non-empty string, got policy.name={policy.name!r}")
    if policy.name in POLICIES:
        raise ValueError(f"policy.name={policy.name!r} is already registered; registered: "
                         f"{sorted(POLICIES)}")
    POLICIES[policy.name] = policy
    return policy


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
