"""Fixtures for the harness's own tests: a Session over the installed frameworks and a
deterministic hypothesis profile (derandomized, enough examples that a wrong gradient meets a
non-zero output gradient), restored afterwards."""
import pytest
from hypothesis import settings

from conformance import harness


@pytest.fixture
def session():
    return harness.Session(["refimpl", "torch", "chainer"], ["cpu"])


@pytest.fixture
def deterministic_profile():
    harness.register_profiles()
    previous = settings.get_current_profile_name()
    settings.register_profile("conformance-selftest", parent=settings.get_profile("conformance-ci"),
                              max_examples=12, derandomize=True)
    settings.load_profile("conformance-selftest")
    yield
    settings.load_profile(previous)


@pytest.fixture
def needs(session):
    """``needs('torch', 'chainer')`` skips the test (with the reason) unless they load."""
    def require(*frameworks):
        for framework in frameworks:
            adapter = session.adapter(framework)
            if isinstance(adapter, str):
                pytest.skip(adapter)
    return require
