"""Transitional: repro writing now lives in ``conformance.checks.repro``."""
from .checks.repro import BODIES, COMMON, FOOTER, literal, scenario_script, script  # noqa: F401
