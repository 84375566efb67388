"""Behaviour cases of normalisation and regularisation (issue 17) where chainer and torch
differ: batch normalisation's eps default and running-average argument, one value per
channel, the layer-normalisation layer's eps, local response normalisation's
parameterisation, group normalisation of 2-D input (chainer 5), dropout with ratio 1, rrelu's
training default and its input 0 in training, and the embedding's special id and negative ids; and
what they share (dropout's train flag, the unbiased running variance, the cumulative
average). Each names the ``refimpl.Policy`` fields it verifies (see ``core``).

Layers are driven through their runs (``conformance.checks.layers.run_of``: the plugin's
``RUNS``), called with a fixed case; refimpl's runs read the policy from ``case['policy']``
(the adapter's), the frameworks' ignore it.
"""
import numpy

from ..checks.layers import Absent, NotSupported, functional_call, module_of, run_of
from .core import behaviour, f32
from .layers import raised


def _run(adapter, subject, case, record, prefix):
    """Run the plugin's layer run of ``subject`` on ``case`` (float64, with backward) and
    record every result under ``prefix``; a run that raises is recorded as raised."""
    run = run_of(adapter.plugin, subject)
    if isinstance(run, Absent):
        raise NotSupported(run.reason)
    case = dict(case, dtype="float64", backward=True, policy=getattr(adapter, "policy", None))
    results = raised(record, f"{prefix}.raised", lambda: run(case))
    for name, value in sorted((results or {}).items()):
        record(f"{prefix}.{name}", value)


def _bn_case(xs, **options):
    size = xs[0].shape[1]
    return {"size": size, "xs": xs, "gys": [numpy.ones_like(x) for x in xs],
            "eval_x": xs[0][:1] + 1, "gamma": numpy.ones(size), "beta": numpy.zeros(size),
            "options": dict({"eps": None, "average": None, "affine": True,
                             "cumulative": False}, **options)}


#: A batch whose per-channel variance (1e-6 and 4e-6) is below both eps defaults' order.
TIGHT = numpy.array([[1.0, 2.0], [1.002, 2.004]]) - numpy.array([[0.001, 0.002]])


@behaviour("batch_norm_eps")
def batch_norm_eps(adapter, record):
    """Batch normalisation with eps left to the default on channels of variance 1e-6 and 4e-6:
    torch adds 1e-5, chainer 2e-5 (functions, and the layer in training and evaluation)."""
    x = adapter.tensor(TIGHT)
    gamma, beta = adapter.tensor(numpy.ones(2)), adapter.tensor(numpy.zeros(2))
    record("batch_normalization", functional_call(adapter, "batch_normalization", x, gamma, beta))
    record("fixed_batch_normalization", functional_call(
        adapter, "fixed_batch_normalization", x, gamma, beta, numpy.array([1.0, 2.0]),
        numpy.array([1e-6, 0.0])))
    _run(adapter, "BatchNormalization", _bn_case([TIGHT]), record, "layer")


@behaviour("batch_norm_average_argument")
def batch_norm_average_argument(adapter, record):
    """A BatchNormalization layer given 0.3 as its running-average argument (torch
    ``momentum=0.3``: 0.3 of the batch; chainer ``decay=0.3``: 0.7 of the batch), two
    training steps: the running mean and (unbiased) variance after each."""
    xs = [numpy.array([[1.0, -2.0], [3.0, 0.0], [2.0, 4.0]]),
          numpy.array([[0.0, 1.0], [-1.0, 1.5], [4.0, 0.5]])]
    _run(adapter, "BatchNormalization", _bn_case(xs, average=0.3), record, "average_0.3")


@behaviour()
def batch_norm_running_statistics(adapter, record):
    """What both frameworks share: a BatchNormalization layer with the default running
    average folds in 0.1 of the batch mean and of the *unbiased* batch variance (n / (n - 1)
    times the biased one) per step; the cumulative average (torch ``momentum=None``, chainer
    ``finetune=True``) is the plain mean of the steps' statistics; evaluation uses them."""
    xs = [numpy.array([[1.0, -2.0], [3.0, 0.0], [2.0, 4.0]]),
          numpy.array([[0.0, 1.0], [-1.0, 1.5], [4.0, 0.5]])]
    _run(adapter, "BatchNormalization", _bn_case(xs, eps=1e-3), record, "default")
    _run(adapter, "BatchNormalization", _bn_case(xs, eps=1e-3, cumulative=True), record,
         "cumulative")


@behaviour("norm_single_value")
def norm_single_value(adapter, record):
    """One value per channel in training: torch raises ValueError ('Expected more than 1 value
    per channel when training') for batch and group normalisation and the BatchNorm layer;
    chainer computes (variance 0: the output is beta; the layer folds variance 0 into its
    running variance, 0.9 after one step).

    Only *whether* each raises is compared: refimpl's ValueError names its function, and
    torch's message prints a torch.Size."""
    x = adapter.tensor(f32([[1.0, 2.0, 3.0]]).astype(numpy.float64))
    gamma, beta = adapter.tensor(numpy.full(3, 2.0)), adapter.tensor(numpy.full(3, 0.5))
    y = raised(record, "batch_normalization.raised",
               lambda: functional_call(adapter, "batch_normalization", x, gamma, beta))
    if y is not None:
        record("batch_normalization", y)
    # (1, 3, 1) in float32: chainer 5.4.0 takes no 2-D input and no float64 (known issue)
    spatial = adapter.tensor(f32([[[1.0], [2.0], [3.0]]]))
    gamma32, beta32 = adapter.tensor(f32([2.0, 2.0, 2.0])), adapter.tensor(f32([0.5, 0.5, 0.5]))
    y = raised(record, "group_normalization.raised", lambda: functional_call(
        adapter, "group_normalization", spatial, 3, gamma32, beta32))
    if y is not None:
        record("group_normalization", y)
    _run(adapter, "BatchNormalization", _bn_case([numpy.array([[1.0, 2.0, 3.0]])]), record,
         "layer")


@behaviour("group_norm_min_ndim")
def group_norm_min_ndim(adapter, record):
    """Group normalisation of a 2-D (N, C) input in 2 groups: torch and chainer 6/7 normalise
    each group of channels; chainer 5.4.0 raises ValueError ('Input dimension must be grater
    than 2'). Only *whether* it raises is compared."""
    x = adapter.tensor(f32([[1.0, 2.0, 4.0, 8.0], [0.5, -1.0, 3.0, 0.0]]))
    gamma, beta = adapter.tensor(f32([1, 1, 1, 1])), adapter.tensor(f32([0, 0, 0, 0]))
    y = raised(record, "2d.raised",
               lambda: functional_call(adapter, "group_normalization", x, 2, gamma, beta))
    if y is not None:
        record("2d", y)


@behaviour("layer_norm_layer_eps")
def layer_norm_layer_eps(adapter, record):
    """The LayerNormalization layer with its default eps on rows of variance 1e-6: torch
    ``nn.LayerNorm`` adds 1e-5, chainer ``L.LayerNormalization`` 1e-6; the functions
    (``F.layer_norm``, ``F.layer_normalization``) both default to 1e-5."""
    x = numpy.array([[1.0, 1.002], [-1.0, -1.002]])
    case = {"size": 2, "eps": None, "x": x, "gy": numpy.ones_like(x), "gamma": numpy.ones(2),
            "beta": numpy.zeros(2)}
    _run(adapter, "LayerNormalization", case, record, "layer")
    tensor = adapter.tensor(x)
    record("function", functional_call(adapter, "layer_normalization", tensor,
                                       adapter.tensor(numpy.ones(2)),
                                       adapter.tensor(numpy.zeros(2))))


@behaviour("lrn_k", "lrn_alpha_over_size", "lrn_window", "lrn_min_ndim")
def local_response_normalization_parameters(adapter, record):
    """Local response normalisation of channels [1, 2, 3, 4] with the same arguments: k left
    to the default (torch 1, chainer 2); alpha 0.3 with n = 3 (torch divides alpha by n);
    n = 2 (torch sums channels c - 1 .. c, chainer c - 1 .. c + 1); n = 0 (torch raises
    RuntimeError 'kernel size should be greater than zero', chainer sums channel c alone); a
    2-D (N, C) input (torch raises ValueError 'Expected 3D or higher dimensionality input',
    chainer normalises).

    Only *whether* the 2-D and n = 0 calls raise is compared (refimpl's errors name x.shape
    and n)."""
    x = adapter.tensor(numpy.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1))
    call = lambda *args, **kwargs: functional_call(  # noqa: E731
        adapter, "local_response_normalization", *args, **kwargs)
    record("k_default", call(x, n=1, alpha=0.0, beta=1.0))
    record("alpha_0.3_n3", call(x, n=3, k=1.0, alpha=0.3, beta=1.0))
    record("window_n2", call(x, n=2, k=1.0, alpha=0.5, beta=1.0))
    flat = adapter.tensor(numpy.array([[1.0, 2.0, 3.0, 4.0]]))
    y = raised(record, "2d.raised", lambda: call(flat, n=3, k=1.0, alpha=0.3, beta=1.0))
    if y is not None:
        record("2d", y)
    y = raised(record, "n0.raised", lambda: call(x, n=0, k=1.0, alpha=0.3, beta=1.0))
    if y is not None:
        record("n0", y)


@behaviour("dropout_ratio_one")
def dropout_ratio_one(adapter, record):
    """Dropout with ratio 1 in training: torch gives zeros (and a zero gradient), chainer
    raises ValueError ('dropout_ratio must be in the range [0, 1)').

    Only *whether* it raises is compared (refimpl's message names the argument)."""
    x = adapter.tensor(f32([1.0, -2.0, 3.0]), requires_grad=True)
    y = raised(record, "raised", lambda: functional_call(adapter, "dropout", x, 1.0, True))
    if y is not None:
        record("y", y)
        adapter.backward(adapter.call("sum", y))
        record("x.grad", adapter.grad_of(x))


@behaviour("dropout_train_default")
def dropout_train_default(adapter, record):
    """The functional dropout called without its flag inside a model in evaluation mode, as
    each framework sets it (torch ``module.eval()``, chainer ``chainer.using_config('train',
    False)``): torch's ``F.dropout`` still drops (``training=True`` is its default, whatever
    the module's mode), chainer's returns x (it reads ``chainer.config.train``)."""
    evaluate = getattr(module_of(adapter.plugin), "dropout_in_evaluation", None)
    if evaluate is None:
        raise NotSupported(f"{adapter.name} binds no dropout_in_evaluation")
    x = numpy.ones(400, numpy.float32)
    y = evaluate(adapter, x, 0.5)
    record("drops some", bool(numpy.any(y == 0)))
    record("is x", bool(numpy.array_equal(y, x)))


@behaviour()
def dropout_train_flag(adapter, record):
    """Dropout's train flag, as each framework switches it (torch ``training=``, chainer
    ``chainer.config.train``): left to the default outside any evaluation mode, both drop
    (training is the default in both) and scale the kept elements by 1 / (1 - ratio); told
    it is not training, both return their input itself."""
    x = adapter.tensor(numpy.ones(400, numpy.float32), requires_grad=True)
    y = adapter.to_numpy(functional_call(adapter, "dropout", x, 0.5))
    record("default.drops some", bool(numpy.any(y == 0)))
    record("default.kept are 2", bool(numpy.all((y == 0) | (y == 2))))
    record("eval.is x", functional_call(adapter, "dropout", x, 0.5, False) is x)


@behaviour("rrelu_train_default")
def rrelu_train_default(adapter, record):
    """rrelu of 400 elements -1 with lower 1/8 and upper 3/8, called without its training flag
    outside any evaluation mode: torch's ``F.rrelu`` does not train (``training=False`` is its
    default: every slope is the mean, 1/4), chainer's trains (``chainer.config.train`` is True
    by default: random slopes). Told, both train (random slopes) or both do not."""
    x = adapter.tensor(-numpy.ones(400, numpy.float32))
    for name, args in [("default", ()), ("train", (True,)), ("eval", (False,))]:
        y = adapter.to_numpy(functional_call(adapter, "rrelu_training", x, 0.125, 0.375, *args))
        record(f"{name}.random slopes", bool(len(numpy.unique(y)) > 1))
        record(f"{name}.all the mean slope", bool(numpy.all(y == -0.25)))


@behaviour("rrelu_zero_input")
def rrelu_zero_input(adapter, record):
    """rrelu in training at 400 inputs of exactly 0 (lower 1/8, upper 3/8): the output is 0 in
    both; the gradient is a random slope in [1/8, 3/8] in torch (``x <= 0`` draws one) and 1
    in chainer (``x >= 0`` is the identity side)."""
    x = adapter.tensor(numpy.zeros(400, numpy.float32), requires_grad=True)
    y = functional_call(adapter, "rrelu_training", x, 0.125, 0.375, True)
    record("y is 0", bool(numpy.all(adapter.to_numpy(y) == 0)))
    adapter.backward(adapter.call("sum", y))
    grad = adapter.to_numpy(adapter.grad_of(x))
    record("grad is 1", bool(numpy.all(grad == 1)))
    record("grad in [lower, upper]", bool(numpy.all((grad >= 0.125) & (grad <= 0.375))))


@behaviour("embed_ignore_label")
def embed_ignore_label(adapter, record):
    """Embedding lookup of ids [0, 2, 1, 2] with the special id 2: torch's ``padding_idx``
    looks row 2 up and gives it no gradient; chainer's ``ignore_label`` gives zeros for it
    (and no gradient)."""
    W = adapter.tensor(numpy.arange(12, dtype=numpy.float32).reshape(4, 3), requires_grad=True)
    y = functional_call(adapter, "embed_id", numpy.array([0, 2, 1, 2], numpy.int32), W, 2)
    record("y", y)
    adapter.backward(adapter.call("sum", y))
    record("W.grad", adapter.grad_of(W))


@behaviour("embed_negative_index")
def embed_negative_index(adapter, record):
    """Embedding lookup of ids [0, -1] (no special id): torch raises IndexError ('index out of
    range in self'), chainer wraps (-1 is the last row); an id past the last row raises
    IndexError in both.

    Only *whether* each raises is compared (refimpl's message names the ids' range)."""
    W = adapter.tensor(numpy.arange(12, dtype=numpy.float32).reshape(4, 3))
    y = raised(record, "negative.raised", lambda: functional_call(
        adapter, "embed_id", numpy.array([0, -1], numpy.int32), W))
    if y is not None:
        record("negative.y", y)
    raised(record, "past_end.raised", lambda: functional_call(
        adapter, "embed_id", numpy.array([0, 4], numpy.int32), W))


def _error_class(record, name, function):
    """Record the class name of what ``function()`` raised, or 'ok'."""
    try:
        function()
    except NotSupported:
        raise
    except Exception as error:  # noqa: BLE001 - the class is the behaviour under test
        record(name, type(error).__name__)
        return
    record(name, "ok")


@behaviour()
def normalization_error_inputs(adapter, record):
    """Bad arguments both frameworks refuse, by exception class: gamma of the wrong length
    (torch RuntimeError, chainer InvalidType), statistics of the wrong length, channels not
    divisible by the groups (RuntimeError / ValueError), float ids to an embedding
    (RuntimeError / InvalidType), a negative dropout ratio (ValueError), a 1-D input to batch
    normalisation. Layer normalisation's gamma of the wrong shape raises in both, compared
    only by *whether* (chainer's is NumPy's broadcasting ValueError: it has no check; refimpl
    raises its type check's class)."""
    ones = lambda *shape: adapter.tensor(numpy.ones(shape))  # noqa: E731
    calls = {
        "batch_normalization.gamma_length": lambda: functional_call(
            adapter, "batch_normalization", ones(2, 3), ones(2), ones(2)),
        "fixed_batch_normalization.mean_length": lambda: functional_call(
            adapter, "fixed_batch_normalization", ones(2, 3), ones(3), ones(3), numpy.ones(2),
            numpy.ones(3)),
        "group_normalization.indivisible": lambda: functional_call(
            adapter, "group_normalization", ones(2, 4, 3), 3, ones(4), ones(4)),
        "embed_id.float_ids": lambda: functional_call(
            adapter, "embed_id", numpy.array([0.0, 1.0]), ones(3, 2)),
        "dropout.negative_ratio": lambda: functional_call(adapter, "dropout", ones(3), -0.1,
                                                          True),
        "batch_normalization.1d": lambda: functional_call(
            adapter, "batch_normalization", ones(3), ones(3), ones(3)),
    }
    for name, call in calls.items():
        _error_class(record, name, call)
    raised(record, "layer_normalization.gamma_shape.raised", lambda: functional_call(
        adapter, "layer_normalization", ones(2, 3), ones(2), ones(2)))
