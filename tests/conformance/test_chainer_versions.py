"""Version-dependent absences and policies of the chainer plugin (data only: no chainer
needed). Observed on chainer 5.4.0, 6.7.0 and 7.8.1 (tox envs chainer540, chainer670,
chainer781)."""
import pytest

from conformance import frameworks
from conformance.checks import layers
from conformance.subjects.core import Absent

CHAINER = frameworks.get("chainer")


@pytest.mark.parametrize("version", ["5.4.0", "6.7.0"])
@pytest.mark.parametrize("subject, name", [("adamw", "AdamW"), ("amsgrad", "AMSGrad"),
                                           ("adabound", "AdaBound"), ("amsbound", "AMSBound")])
def test_optimizers_added_in_chainer_7_are_absent_before_it(version, subject, name):
    reason = CHAINER.absent_optimizer(subject, version)
    assert reason and f"chainer {version} has no chainer.optimizers.{name}" in reason
    assert CHAINER.absent_optimizer(subject, "7.8.1") is None


@pytest.mark.parametrize("subject", ["sgd", "momentum_sgd", "adam", "rmsprop", "adagrad"])
def test_older_optimizers_are_present_in_every_version(subject):
    assert all(CHAINER.absent_optimizer(subject, v) is None for v in ("5.4.0", "6.7.0", "7.8.1"))


def test_the_binding_table_follows_the_installed_version():
    """The OPTIMIZERS table skips (Absent, with the reason) exactly what the installed chainer
    lacks; where chainer is not installed, nothing is marked absent by version."""
    installed = CHAINER.installed_version()
    for subject in ("adamw", "adam"):
        found = layers.binding(CHAINER, "OPTIMIZERS", subject)
        expected = CHAINER.absent_optimizer(subject, installed) if installed else None
        assert (found.reason if isinstance(found, Absent) else None) == expected


def test_a_bad_version_names_it():
    with pytest.raises(ValueError, match="version='seven'"):
        CHAINER.absent_optimizer("adamw", "seven")


def test_arctanh_is_absent_before_chainer_7(monkeypatch):
    """F.arctanh appeared in chainer 7: its cells skip with the reason on 5.4.0 and 6.7.0."""
    for version, absent in (("5.4.0", True), ("6.7.0", True), ("7.8.1", False)):
        monkeypatch.setattr(type(CHAINER), "installed_version", lambda self, v=version: v)
        reason = CHAINER.absent_op("arctanh")
        assert (reason is not None) is absent, (version, reason)
        if absent:
            assert f"chainer {version} has no chainer.functions.arctanh" in reason
        assert CHAINER.absent_op("tanh") is None
        assert (CHAINER.absent_op("relu6") is not None) is (version == "5.4.0")   # F.relu6: 6.x on
    assert CHAINER.absent_op("topk")                 # ops_absent still applies
