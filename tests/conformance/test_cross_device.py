"""The cross-device property without a GPU: its comparison runs with a second CPU adapter as
the side under test, passes where both sides agree and turns red where the 'device' side is
made wrong; on this machine its cuda cells are skips with the adapter's reason."""
import types

import numpy
import pytest

import refimpl
from conformance import frameworks, harness
from conformance.harness import Cell
from conformance.properties import test_cross_device as cross_device
from conformance.properties.test_cross_device import Side


def load(name):
    """A fresh adapter of framework ``name`` (its plugin's)."""
    return frameworks.get(name).adapter()


@pytest.fixture
def session():
    return harness.Session(["refimpl", "torch", "chainer"], ["cpu", "cuda"])


def run(session, cell, under_test):
    """The result record of ``cell`` with ``under_test`` as the device side."""
    module = types.SimpleNamespace(
        check_cell=lambda s, c, stats: cross_device.check_cell(s, c, stats, under_test=under_test))
    return harness.run_cell(module, session, cell)


def cell(prop, subject, framework, dtype="float32"):
    return Cell(f"cross_device.{prop}", subject, framework, "cuda", dtype)


def with_op(adapter, subject, function):
    """``adapter`` whose counterpart of ``subject`` is ``function`` (others unchanged)."""
    original = adapter.op
    adapter.op = lambda name: function if name == subject else original(name)
    return adapter


# --- cells ------------------------------------------------------------------------------

def test_cells_exist_only_for_devices_other_than_the_cpu():
    assert cross_device.cells(harness.Session(["refimpl"], ["cpu"])) == []
    cells = cross_device.cells(harness.Session(["refimpl", "torch"], ["cpu", "cuda"]))
    assert {c.device for c in cells} == {"cuda"}
    assert {c.property for c in cells} == set(cross_device.PROPERTIES)
    assert Cell("cross_device.forward", "argmax", "torch", "cuda", "float32") in cells
    assert Cell("cross_device.grad", "argmax", "torch", "cuda", "float32") not in cells
    assert Cell("cross_device.grad", "tanh", "refimpl", "cuda", "float16") in cells


def test_cuda_cells_skip_with_the_adapters_reason_where_there_is_no_gpu(session):
    reason = session.adapter("refimpl").device_reason("cuda")
    if reason is None:
        pytest.skip("this machine has a GPU for refimpl: the cuda cells run")
    record = harness.run_cell(cross_device, session, cell("forward", "tanh", "refimpl"))
    assert (record["outcome"], record["message"]) == ("skip", reason)


# --- cpu against cpu: green -------------------------------------------------------------

@pytest.mark.parametrize("subject", ["tanh", "add-scalar", "max-axis", "argmax", "getitem-advanced",
                                     "where", "split", "matmul", "log_softmax"])
@pytest.mark.parametrize("prop", ["forward", "grad"])
def test_cpu_against_a_second_cpu_adapter_passes(session, deterministic_profile, subject, prop):
    if prop == "grad" and subject == "argmax":
        pytest.skip("argmax has no gradient cells")
    record = run(session, cell(prop, subject, "refimpl"), Side(load("refimpl"), "cpu"))
    assert record["outcome"] == "pass", record["message"]
    assert record["examples"] > 0 and record["max_abs_err"] in (0.0, None), record  # None: ints
    assert record["oracles"]["refimpl 0.1.0 cpu"]["disagree"] == 0


@pytest.mark.parametrize("framework", ["torch", "chainer"])
def test_real_frameworks_cpu_against_cpu_pass(session, needs, deterministic_profile, framework):
    needs(framework)
    for prop in ("forward", "grad"):
        record = run(session, cell(prop, "sigmoid", framework), Side(load(framework), "cpu"))
        assert record["outcome"] == "pass", record["message"]


# --- a wrong 'device' side: red ---------------------------------------------------------

class WrongTanhBackward(refimpl.Function):
    """refimpl tanh whose derivative is 1.5 (1 - y**2)."""

    def forward(self, x):
        return numpy.tanh(x)

    def backward(self, gy):
        y = self.output()
        return gy * (1 - y * y) * 1.5


def wrong_tanh(x):
    return WrongTanhBackward()(x)


def test_a_wrong_tanh_backward_on_the_device_side_turns_exactly_its_grad_cells_red(
        session, deterministic_profile):
    device_side = Side(with_op(load("refimpl"), "tanh", wrong_tanh), "cpu")
    results = {c: run(session, c, device_side) for c in [
        cell("grad", "tanh", "refimpl"), cell("grad", "tanh", "refimpl", "float64"),
        cell("forward", "tanh", "refimpl"), cell("grad", "sigmoid", "refimpl")]}
    outcomes = {c.property + " " + c.subject + " " + c.dtype: r["outcome"]
                for c, r in results.items()}
    assert outcomes == {"cross_device.grad tanh float32": "fail",
                        "cross_device.grad tanh float64": "fail",
                        "cross_device.forward tanh float32": "pass",
                        "cross_device.grad sigmoid float32": "pass"}, outcomes
    verdict = results[cell("grad", "tanh", "refimpl")]["message"]
    assert "vs refimpl 0.1.0 cpu" in verdict and "cpu vs cpu" in verdict, verdict
    script = results[cell("grad", "tanh", "refimpl")]["repro"]
    assert "GRAD_OUTPUTS" in script and "its own cpu values" in script


def test_a_wrong_torch_tanh_backward_on_the_device_side_is_seen(session, needs,
                                                                 deterministic_profile):
    needs("torch")
    torch = pytest.importorskip("torch")

    class WrongTanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = torch.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * (1 - y * y) * 1.5

    # ops are called with keywords; Function.apply takes none before torch 2.13
    device_side = Side(with_op(load("torch"), "tanh", lambda x: WrongTanh.apply(x)), "cpu")
    assert run(session, cell("grad", "tanh", "torch"), device_side)["outcome"] == "fail"
    record = run(session, cell("forward", "tanh", "torch"), device_side)
    assert record["outcome"] == "pass", record["message"]


def test_another_output_dtype_on_the_device_side_is_a_failure(session, deterministic_profile):
    import refimpl.functions as F
    device_side = Side(with_op(load("refimpl"), "exp", lambda x: F.exp(F.cast(x, "float64"))),
                       "cpu")
    record = run(session, cell("forward", "exp", "refimpl"), device_side)
    assert record["outcome"] == "fail" and "output dtypes" in record["message"], record


def test_raising_on_one_side_only_is_a_failure(session, deterministic_profile):
    def raises(x):
        raise RuntimeError("no kernel for this device")

    record = run(session, cell("forward", "sin", "refimpl"),
                 Side(with_op(load("refimpl"), "sin", raises), "cpu"))
    assert record["outcome"] == "fail", record
    assert "RuntimeError: no kernel for this device vs cpu: no exception" in record["message"]


def test_constants_go_to_the_device_side(session, deterministic_profile):
    """Index arrays and masks pass through ``Adapter.constant`` on the device side."""
    seen = []
    adapter = load("refimpl")
    original = adapter.constant

    def constant(value, device="cpu"):
        seen.append(device)
        return original(value, device)

    adapter.constant = constant
    device_side = Side(adapter, "cpu")
    assert run(session, cell("forward", "where", "refimpl"), device_side)["outcome"] == "pass"
    assert seen and set(seen) == {"cpu"}


# --- adapters on devices ------------------------------------------------------------------

def test_cuda_versions_and_gpu_header_without_nvidia_smi(monkeypatch):
    from conformance.frameworks import base
    assert base.cuda_version(12040) == "12.4" and base.cuda_version(13000) == "13.0"
    assert base.cuda_version(None) is None
    monkeypatch.setattr(base.shutil, "which", lambda name: None)
    assert base.nvidia_smi() == {}
    assert base.gpu_info("NVIDIA H100", cuda_runtime="13.0", cuda_driver="13.0") == {
        "model": "NVIDIA H100", "driver": "CUDA driver API 13.0", "cuda_runtime": "13.0",
        "cuda_driver": "13.0"}


def test_constants_stay_host_arrays_on_the_cpu():
    adapter = load("refimpl")
    key = (numpy.array([0, 1]), slice(None), None, [numpy.array([True])])
    converted = adapter.constant(key, "cpu")
    assert converted[0] is key[0] and converted[1:3] == key[1:3]
    assert converted[3][0] is key[3][0]


def test_chainer_cuda_reason_names_chainers_own_error(session, needs):
    needs("chainer")
    reason = session.adapter("chainer").device_reason("cuda")
    if reason is None:
        pytest.skip("chainer sees a GPU here")
    assert "chainer.backends.cuda.available is False" in reason and "cupy 7.x" in reason, reason
