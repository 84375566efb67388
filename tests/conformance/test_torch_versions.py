"""Version-dependent absences of the torch plugin (data only: no torch needed). Observed on
torch 2.9.1, 2.13.0, 2.14.1 and 2.15.0 (tox envs torch291, torch2130, torch2141, torch2150)."""
import pytest

from conformance import frameworks

TORCH = frameworks.get("torch")


@pytest.mark.parametrize("version", ["2.9.1", "2.12.0"])
def test_grid_sample_double_backward_is_absent_before_2_13(version):
    reason = TORCH.absent_gradgrad("grid_sample", version)
    assert reason and f"torch {version} has no double backward through F.grid_sample" in reason


@pytest.mark.parametrize("version", ["2.13.0", "2.14.1", "2.15.0"])
def test_grid_sample_double_backward_is_present_from_2_13(version):
    assert TORCH.absent_gradgrad("grid_sample", version) is None


def test_unversioned_absences_hold_in_every_version():
    for version in ("2.9.1", "2.13.0", "2.15.0"):
        assert "multi_margin_loss_backward" in TORCH.absent_gradgrad("multi_margin_loss", version)
        assert TORCH.absent_gradgrad("tanh", version) is None


def test_a_bad_version_names_it():
    with pytest.raises(ValueError, match="version='two'"):
        TORCH.absent_gradgrad("grid_sample", "two")
