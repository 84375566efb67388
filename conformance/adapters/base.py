"""Transitional re-exports (see ``conformance.adapters``)."""
from ..checks.observations import Observation, Raised, attempt, compare, observe  # noqa: F401
from ..frameworks.base import (Adapter, AdapterUnavailable, NotSupported, cpu_model,  # noqa: F401
                               cuda_version, gpu_info, nvidia_smi)


def semantics_for(framework, version):
    """The refimpl policy that models ``framework`` at ``version`` (its plugin says)."""
    from ..frameworks import get
    return get(framework).policy_for(version)
