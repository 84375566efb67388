"""Initializers (``refimpl.initializers``) checked *in distribution*.

Without the frameworks: each refimpl initializer against its exact distribution (one-sample
Kolmogorov-Smirnov statistic). With them: against the values torch's and chainer's own
initializers and layers produce (two-sample KS), both with mean and standard-deviation
bounds. Also seeding, shapes, dtypes, fans and argument errors.

The KS statistic is written with NumPy (scipy may be absent). Thresholds: the asymptotic
critical value at significance ``ALPHA``; the seeds are fixed, so each test is deterministic.
``test_ks_check_detects_a_ten_percent_scale_error`` shows the check can fail: a draw 10% too
wide is rejected.
"""
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import refimpl
from refimpl import initializers as I
from framework_imports import import_chainer as _import_chainer, import_torch as _import_torch

N_DRAWS = 40000  # values per sample; the KS check then detects a 10% scale error
ALPHA = 1e-4  # significance of each KS check


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------

def ks_statistic(a, b):
    """Two-sample Kolmogorov-Smirnov statistic ``max |F_a(z) - F_b(z)|``."""
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / a.size
    cdf_b = np.searchsorted(b, points, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def ks_one_sample(values, cdf):
    """One-sample KS statistic of ``values`` against the distribution function ``cdf``."""
    values = np.sort(np.ravel(values).astype(np.float64))
    n = values.size
    model = cdf(values)
    return float(max(np.max(np.arange(1, n + 1) / n - model), np.max(model - np.arange(n) / n)))


def ks_critical(n, m=None):
    """Asymptotic KS critical value at ``ALPHA`` for samples of n (and m) values."""
    c = math.sqrt(-math.log(ALPHA / 2) / 2)
    return c * (math.sqrt((n + m) / (n * m)) if m else 1 / math.sqrt(n))


_erf = np.vectorize(math.erf)


def uniform_cdf(bound):
    return lambda x: np.clip((x + bound) / (2 * bound), 0.0, 1.0)


def normal_cdf(std):
    return lambda x: 0.5 * (1 + _erf(x / (std * math.sqrt(2))))


def check_moments(values, family, scale):
    """Mean and std of ``values`` within 5 standard errors of the distribution's.

    Standard error of the mean: sigma / sqrt(N). Of the sample std: sigma * sqrt((kurtosis - 1)
    / (4 N)), kurtosis 9/5 for a uniform and 3 for a normal distribution. Five standard errors
    make a false failure (with these fixed seeds: none) a 1-in-a-million event.
    """
    values = np.ravel(values).astype(np.float64)
    sigma = scale / math.sqrt(3) if family == "uniform" else scale
    kurtosis = 1.8 if family == "uniform" else 3.0
    n = values.size
    assert abs(values.mean()) <= 5 * sigma / math.sqrt(n), (values.mean(), sigma)
    assert abs(values.std() / sigma - 1) <= 5 * math.sqrt((kurtosis - 1) / (4 * n)), \
        (values.std(), sigma)
    if family == "uniform":
        # float32 rounding may land on the bound itself; with N draws the largest |value| is
        # within 1e-3 * bound of it unless something is off (probability (1 - 5e-4) ** N).
        assert np.max(np.abs(values)) <= scale * (1 + 1e-6)
        assert np.max(np.abs(values)) >= scale * (1 - 1e-3)


def test_ks_statistic_on_known_samples():
    assert ks_statistic([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 0.0
    assert ks_statistic([1.0, 2.0], [3.0, 4.0]) == 1.0
    assert ks_statistic([1.0, 2.0, 3.0], [1.5, 2.5, 3.5]) == pytest.approx(1 / 3)
    assert ks_one_sample(np.array([0.5]), uniform_cdf(1.0)) == pytest.approx(0.75)


# --------------------------------------------------------------------------------------
# refimpl against the exact distributions
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """A refimpl draw of ``shape`` and the distribution it must follow."""
    name: str
    draw: Callable
    shape: tuple
    family: str  # 'uniform' (scale = bound) or 'normal' (scale = std)
    scale: float


CASES = [
    Case("kaiming_uniform a=sqrt5 (Linear)", I.kaiming_uniform, (400, 100), "uniform", 0.1),
    Case("kaiming_uniform a=sqrt5 (Conv)", I.kaiming_uniform, (160, 10, 5, 5), "uniform",
         1 / math.sqrt(250)),
    Case("kaiming_uniform relu fan_out",
         lambda s, rng: I.kaiming_uniform(s, a=0, mode="fan_out", nonlinearity="relu", rng=rng),
         (400, 100), "uniform", math.sqrt(3) * math.sqrt(2) / 20),
    Case("kaiming_normal relu", lambda s, rng: I.kaiming_normal(s, nonlinearity="relu", rng=rng),
         (400, 100), "normal", math.sqrt(2) / 10),
    Case("lecun_normal", I.lecun_normal, (400, 100), "normal", 0.1),
    Case("lecun_normal scale=2 (Conv)", lambda s, rng: I.lecun_normal(s, scale=2.0, rng=rng),
         (160, 10, 5, 5), "normal", 2 / math.sqrt(250)),
    Case("lecun_uniform", I.lecun_uniform, (400, 100), "uniform", math.sqrt(3 / 100)),
    Case("glorot_uniform", I.glorot_uniform, (400, 100), "uniform", math.sqrt(6 / 500)),
    Case("glorot_normal", I.glorot_normal, (400, 100), "normal", math.sqrt(2 / 500)),
    Case("he_normal", I.he_normal, (400, 100), "normal", math.sqrt(2 / 100)),
    Case("he_normal fan_out", lambda s, rng: I.he_normal(s, fan_option="fan_out", rng=rng),
         (400, 100), "normal", math.sqrt(2 / 400)),
    Case("he_uniform", I.he_uniform, (400, 100), "uniform", math.sqrt(6 / 100)),
    Case("normal std=0.3", lambda s, rng: I.normal(s, 0.3, rng=rng), (N_DRAWS,), "normal", 0.3),
    Case("uniform scale=0.05", lambda s, rng: I.uniform(s, 0.05, rng=rng), (N_DRAWS,), "uniform",
         0.05),
    Case("fan_in_uniform fan_in=50", lambda s, rng: I.fan_in_uniform(s, 50, rng=rng), (N_DRAWS,),
         "uniform", 1 / math.sqrt(50)),
    Case("rnn_uniform hidden=80", lambda s, rng: I.rnn_uniform(s, 80, rng=rng), (N_DRAWS,),
         "uniform", 1 / math.sqrt(80)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_refimpl_draws_follow_the_stated_distribution(case):
    values = case.draw(case.shape, rng=np.random.default_rng(12345))
    assert values.shape == case.shape and values.dtype == np.float32
    cdf = uniform_cdf(case.scale) if case.family == "uniform" else normal_cdf(case.scale)
    assert ks_one_sample(values, cdf) <= ks_critical(values.size)
    check_moments(values, case.family, case.scale)


# --------------------------------------------------------------------------------------
# Seeds, shapes, dtypes, fans, errors
# --------------------------------------------------------------------------------------

def test_seeds_reproduce_and_generators_advance():
    a = I.lecun_normal((3, 4), rng=7)
    np.testing.assert_array_equal(a, I.lecun_normal((3, 4), rng=7))
    np.testing.assert_array_equal(a, I.lecun_normal((3, 4), rng=np.random.default_rng(7)))
    assert not np.array_equal(a, I.lecun_normal((3, 4), rng=8))
    generator = np.random.default_rng(7)
    first, second = I.kaiming_uniform((3, 4), rng=generator), I.kaiming_uniform((3, 4), rng=generator)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes_and_xp(dtype):
    for values in (I.glorot_uniform((3, 4), dtype=dtype, rng=0), I.he_normal((3, 4), dtype=dtype,
                                                                              rng=0, xp=np)):
        assert values.dtype == dtype and values.shape == (3, 4) and isinstance(values, np.ndarray)


def test_cupy_arrays_hold_the_same_values_as_numpy():
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (no GPU on this machine)")
    try:
        on_gpu = I.lecun_normal((3, 4), rng=3, xp=cupy)
    except Exception as error:  # pragma: no cover - CUDA runtime problems
        pytest.skip(f"CuPy cannot allocate: {error!r}")
    np.testing.assert_array_equal(cupy.asnumpy(on_gpu), I.lecun_normal((3, 4), rng=3))


def test_constants():
    np.testing.assert_array_equal(I.constant((2, 3), 0.5), np.full((2, 3), 0.5, np.float32))
    assert I.zeros(3).dtype == np.float32 and not I.zeros(3).any()
    np.testing.assert_array_equal(I.ones((2,), dtype=np.int64), [1, 1])


def test_fans_as_both_frameworks_compute_them():
    assert I.fans((400, 100)) == (100, 400)
    assert I.fans((32, 4, 3, 3)) == (36, 288)  # Conv2d(16, 32, 3, groups=4): in/groups * kh * kw
    assert I.fans((8, 2, 3, 3, 3)) == (54, 216)
    for shape in ((5,), ()):
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            I.fans(shape)


def test_empty_shapes_give_empty_arrays():
    assert I.kaiming_uniform((0, 3)).shape == (0, 3)
    assert I.lecun_normal((4, 0, 3, 3)).shape == (4, 0, 3, 3)


@pytest.mark.parametrize("call, error, message", [
    (lambda: I.kaiming_uniform((5,)), ValueError, "fewer than 2 dimensions"),
    (lambda: I.kaiming_uniform((3, 4), mode="fan_avg"), ValueError, "mode must be 'fan_in'"),
    (lambda: I.he_normal((3, 4), fan_option="in"), ValueError, "fan_option must be"),
    (lambda: I.kaiming_uniform((3, 4), nonlinearity="gelu"), ValueError, "Unsupported nonlinearity"),
    (lambda: I.lecun_normal((3, -4)), ValueError, "shape must be a tuple of non-negative ints"),
    (lambda: I.lecun_normal((3, 4), dtype=np.int32), ValueError, "floating-point dtype"),
    (lambda: I.lecun_normal((3, 4), scale=-1.0), ValueError, "scale must be a finite number"),
    (lambda: I.normal((3,), float("nan")), ValueError, "std must be a finite number"),
    (lambda: I.uniform((3,), 0.1, rng="seed"), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: I.uniform((3,), 0.1, rng=True), TypeError, "rng must be"),
    (lambda: I.fan_in_uniform((3,), -2), ValueError, "fan_in must be an int >= 0"),
    (lambda: I.rnn_uniform((3,), 2.5), ValueError, "hidden_size must be an int >= 0"),
])
def test_argument_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_zero_fan_in_bias_and_zero_hidden_size_give_zeros_as_torch():
    assert not I.fan_in_uniform((4,), 0, rng=0).any()
    assert not I.rnn_uniform((4,), 0, rng=0).any()


def test_defaults_follow_the_policy():
    torch_weight = I.default_weight((400, 100), "torch", rng=1)
    assert np.max(np.abs(torch_weight)) <= 0.1
    chainer_weight = I.default_weight((400, 100), "chainer", rng=1)
    assert np.max(np.abs(chainer_weight)) > 0.3  # a normal with std 0.1 exceeds 3 sigma here
    assert not I.default_bias((5,), 100, "chainer").any()
    torch_bias = I.default_bias((N_DRAWS,), 100, "torch", rng=2)
    check_moments(torch_bias, "uniform", 0.1)
    with refimpl.semantics("chainer"):  # None means the active policy
        assert not I.default_bias((5,), 100).any()
        np.testing.assert_array_equal(I.default_weight((3, 4), rng=5), I.lecun_normal((3, 4), rng=5))
    np.testing.assert_array_equal(I.default_weight((3, 4), rng=5), I.kaiming_uniform((3, 4), rng=5))


def test_chainer_lstm_bias_interleaves_the_forget_gate():
    np.testing.assert_array_equal(I.chainer_lstm_bias(2), [0, 0, 1, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(I.chainer_lstm_bias(1, bias=0.5, forget_bias=2.0),
                                  [0.5, 0.5, 2.0, 0.5])


# --------------------------------------------------------------------------------------
# The real frameworks
# --------------------------------------------------------------------------------------


def _torch_values(torch, make):
    """``make(torch)`` (a tensor or a module's parameters) as one flat float64 array."""
    torch.manual_seed(2024)
    with torch.no_grad():
        result = make(torch)
    tensors = result if isinstance(result, (list, tuple)) else [result]
    return np.concatenate([t.detach().numpy().ravel() for t in tensors]).astype(np.float64)


@dataclass(frozen=True)
class FrameworkCase:
    """A framework's initializer or layer default and refimpl's counterpart."""
    name: str
    framework_values: Callable  # (module) -> flat array
    refimpl_draw: Callable  # (rng) -> array
    family: str
    scale: float


TORCH_CASES = [
    FrameworkCase("nn.Linear(100, 400).weight",
                  lambda t: _torch_values(t, lambda t: t.nn.Linear(100, 400).weight),
                  lambda rng: I.default_weight((400, 100), "torch", rng), "uniform", 0.1),
    FrameworkCase("nn.Linear(50, 40000).bias",
                  lambda t: _torch_values(t, lambda t: t.nn.Linear(50, N_DRAWS).bias),
                  lambda rng: I.default_bias((N_DRAWS,), 50, "torch", rng), "uniform",
                  1 / math.sqrt(50)),
    FrameworkCase("nn.Conv2d(20, 160, 5, groups=2).weight",
                  lambda t: _torch_values(t, lambda t: t.nn.Conv2d(20, 160, 5, groups=2).weight),
                  lambda rng: I.default_weight((160, 10, 5, 5), "torch", rng), "uniform",
                  1 / math.sqrt(250)),
    FrameworkCase("nn.Conv2d(4, 40000, 3, groups=2).bias",
                  lambda t: _torch_values(t, lambda t: t.nn.Conv2d(4, N_DRAWS, 3, groups=2).bias),
                  lambda rng: I.default_bias((N_DRAWS,), 2 * 3 * 3, "torch", rng), "uniform",
                  1 / math.sqrt(18)),
    FrameworkCase("nn.LSTM(50, 80) parameters",
                  lambda t: _torch_values(t, lambda t: list(t.nn.LSTM(50, 80).parameters())),
                  lambda rng: I.rnn_uniform((4 * 80 * (50 + 80 + 2),), 80, rng=rng), "uniform",
                  1 / math.sqrt(80)),
    FrameworkCase("init.xavier_uniform_",
                  lambda t: _torch_values(t, lambda t: t.nn.init.xavier_uniform_(t.empty(400, 100))),
                  lambda rng: I.glorot_uniform((400, 100), rng=rng), "uniform", math.sqrt(6 / 500)),
    FrameworkCase("init.xavier_normal_",
                  lambda t: _torch_values(t, lambda t: t.nn.init.xavier_normal_(t.empty(400, 100))),
                  lambda rng: I.glorot_normal((400, 100), rng=rng), "normal", math.sqrt(2 / 500)),
    FrameworkCase("init.kaiming_normal_(relu)",
                  lambda t: _torch_values(t, lambda t: t.nn.init.kaiming_normal_(
                      t.empty(400, 100), nonlinearity="relu")),
                  lambda rng: I.he_normal((400, 100), rng=rng), "normal", math.sqrt(2 / 100)),
    FrameworkCase("init.kaiming_uniform_(relu)",
                  lambda t: _torch_values(t, lambda t: t.nn.init.kaiming_uniform_(
                      t.empty(400, 100), nonlinearity="relu")),
                  lambda rng: I.he_uniform((400, 100), rng=rng), "uniform", math.sqrt(6 / 100)),
    FrameworkCase("init.kaiming_uniform_(a=0.3, fan_out)",
                  lambda t: _torch_values(t, lambda t: t.nn.init.kaiming_uniform_(
                      t.empty(400, 100), a=0.3, mode="fan_out")),
                  lambda rng: I.kaiming_uniform((400, 100), a=0.3, mode="fan_out", rng=rng),
                  "uniform", math.sqrt(3) * math.sqrt(2 / 1.09) / 20),
]


def _chainer_link_values(chainer, make):
    """A chainer link's array, seeded through NumPy's global generator (links use it)."""
    np.random.seed(2024)
    return np.ravel(make(chainer)).astype(np.float64)


def _chainer_initializer_values(chainer, initializer_class, shape, **kwargs):
    array = np.empty(shape, dtype=np.float32)
    initializer_class(rng=np.random.RandomState(2024), **kwargs)(array)
    return array.ravel().astype(np.float64)


def _chainer_init(name, shape, **kwargs):
    return lambda c: _chainer_initializer_values(c, getattr(c.initializers, name), shape, **kwargs)


CHAINER_CASES = [
    FrameworkCase("L.Linear(100, 400).W",
                  lambda c: _chainer_link_values(c, lambda c: c.links.Linear(100, 400).W.array),
                  lambda rng: I.default_weight((400, 100), "chainer", rng), "normal", 0.1),
    FrameworkCase("L.Convolution2D(20, 160, 5, groups=2).W",
                  lambda c: _chainer_link_values(c, lambda c: c.links.Convolution2D(
                      20, 160, 5, groups=2).W.array),
                  lambda rng: I.default_weight((160, 10, 5, 5), "chainer", rng), "normal",
                  1 / math.sqrt(250)),
    FrameworkCase("L.LSTM(64, 100).upward.W",
                  lambda c: _chainer_link_values(c, lambda c: c.links.LSTM(64, 100).upward.W.array),
                  lambda rng: I.lecun_normal((400, 64), rng=rng), "normal", 1 / 8),
    FrameworkCase("L.LSTM(64, 100).lateral.W",
                  lambda c: _chainer_link_values(c, lambda c: c.links.LSTM(64, 100).lateral.W.array),
                  lambda rng: I.lecun_normal((400, 100), rng=rng), "normal", 0.1),
    FrameworkCase("LeCunNormal(scale=2)", _chainer_init("LeCunNormal", (400, 100), scale=2.0),
                  lambda rng: I.lecun_normal((400, 100), scale=2.0, rng=rng), "normal", 0.2),
    FrameworkCase("LeCunUniform", _chainer_init("LeCunUniform", (400, 100)),
                  lambda rng: I.lecun_uniform((400, 100), rng=rng), "uniform", math.sqrt(0.03)),
    FrameworkCase("GlorotUniform", _chainer_init("GlorotUniform", (400, 100)),
                  lambda rng: I.glorot_uniform((400, 100), rng=rng), "uniform", math.sqrt(6 / 500)),
    FrameworkCase("GlorotNormal", _chainer_init("GlorotNormal", (400, 100)),
                  lambda rng: I.glorot_normal((400, 100), rng=rng), "normal", math.sqrt(2 / 500)),
    FrameworkCase("HeNormal(fan_option='fan_out')",
                  _chainer_init("HeNormal", (400, 100), fan_option="fan_out"),
                  lambda rng: I.he_normal((400, 100), fan_option="fan_out", rng=rng), "normal",
                  math.sqrt(2 / 400)),
    FrameworkCase("HeUniform", _chainer_init("HeUniform", (400, 100)),
                  lambda rng: I.he_uniform((400, 100), rng=rng), "uniform", math.sqrt(0.06)),
    FrameworkCase("Normal(scale=0.3)", _chainer_init("Normal", (N_DRAWS,), scale=0.3),
                  lambda rng: I.normal((N_DRAWS,), 0.3, rng=rng), "normal", 0.3),
    FrameworkCase("Uniform(scale=0.05)", _chainer_init("Uniform", (N_DRAWS,), scale=0.05),
                  lambda rng: I.uniform((N_DRAWS,), 0.05, rng=rng), "uniform", 0.05),
]


def _compare_in_distribution(case, framework_values):
    refimpl_values = np.ravel(case.refimpl_draw(np.random.default_rng(99))).astype(np.float64)
    statistic = ks_statistic(refimpl_values, framework_values)
    critical = ks_critical(refimpl_values.size, framework_values.size)
    assert statistic <= critical, f"{case.name}: KS {statistic:.4f} > {critical:.4f}"
    check_moments(refimpl_values, case.family, case.scale)
    check_moments(framework_values, case.family, case.scale)


@pytest.mark.frameworks
@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda case: case.name)
def test_matches_torch_in_distribution(case):
    _compare_in_distribution(case, case.framework_values(_import_torch()))


@pytest.mark.frameworks
@pytest.mark.parametrize("case", CHAINER_CASES, ids=lambda case: case.name)
def test_matches_chainer_in_distribution(case):
    _compare_in_distribution(case, case.framework_values(_import_chainer()))


@pytest.mark.frameworks
def test_ks_check_detects_a_ten_percent_scale_error():
    """The comparison above can fail: refimpl's draws made 10% wider are rejected."""
    torch, chainer = _import_torch(), _import_chainer()
    for case, values in ((TORCH_CASES[0], TORCH_CASES[0].framework_values(torch)),
                         (CHAINER_CASES[0], CHAINER_CASES[0].framework_values(chainer))):
        wider = 1.1 * np.ravel(case.refimpl_draw(np.random.default_rng(99)))
        assert ks_statistic(wider, values) > ks_critical(wider.size, values.size), case.name


@pytest.mark.frameworks
def test_chainer_layer_biases_are_exact():
    chainer = _import_chainer()
    np.testing.assert_array_equal(chainer.links.Linear(4, 3).b.array,
                                  I.default_bias((3,), 4, "chainer"))
    np.testing.assert_array_equal(chainer.links.LSTM(3, 5).upward.b.array, I.chainer_lstm_bias(5))
    assert chainer.links.LSTM(3, 5).lateral.b is None


@pytest.mark.frameworks
def test_gains_and_fans_match_torch():
    torch = _import_torch()
    for nonlinearity, param in (("linear", None), ("conv2d", None), ("sigmoid", None),
                                ("tanh", None), ("relu", None), ("selu", None),
                                ("leaky_relu", None), ("leaky_relu", math.sqrt(5))):
        assert I.calculate_gain(nonlinearity, param) == pytest.approx(
            torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)
    for shape in ((400, 100), (32, 4, 3, 3), (8, 2, 3, 3, 3)):
        assert I.fans(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    with pytest.raises(ValueError):
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(5))
