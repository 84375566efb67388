"""A conv.shape repro makes its tensors on the cell's device (a cuda cell's repro run on the
CPU would not reproduce a GPU-only behaviour, as torch 2.11's CUDA conv2d accepting a
dilation of 0 for a depthwise 1x1 kernel)."""
import subprocess
import sys

import numpy
import pytest

from conformance.checks import repro


def script(framework, device):
    return repro.shape_script(
        title="test", framework=framework, subject="conv2d",
        policy="torch" if framework == "refimpl" else framework,
        inputs={"x": numpy.ones((1, 2, 3, 3)), "W": numpy.ones((2, 1, 1, 1))},
        kwargs={"stride": 1, "pad": 0, "dilation": 1, "groups": 2}, expected_shape=(1, 2, 3, 3),
        device=device)


@pytest.mark.parametrize("framework", ["refimpl", "torch", "chainer"])
def test_the_script_names_the_device_and_runs_on_the_cpu(framework, needs):
    if framework != "refimpl":
        needs(framework)
    assert "DEVICE = 'cuda'" in script(framework, "cuda")
    done = subprocess.run([sys.executable, "-c", script(framework, "cpu")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "shape (1, 2, 3, 3)" in done.stdout
