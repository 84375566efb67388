"""Cells, and how a property runs one: hypothesis examples, oracles, statistics.

A *cell* is (property, subject, framework, device, dtype); its framework version is known
once the adapter is loaded. One pytest test item runs one cell: many hypothesis examples,
each compared with one or more oracles (sibling cells, the same property, subject, device and
dtype on other frameworks, share one hypothesis run: ``conformance.siblings``).
``CellStats`` counts them and keeps the largest errors; the pytest plugin
(``conformance.pytest_plugin``) turns it into one result record.

Outcomes: ``pass`` (every example agreed with every primary oracle; at least one example
compared), ``fail`` (a ``CellFailure``: an example disagreed), ``error`` (anything else: the
harness could not judge), ``skip`` (framework, device, op, dtype or feature absent: the
reason is the message).

Counting: ``examples`` are the examples hypothesis generated and the property evaluated
until its verdict; hypothesis stops at the first failing example and shrinks it, so
``failures`` is the number of distinct failing examples found (1 when the cell fails) and the
replays made while shrinking are not counted. The message, repro script and reproduce blob
describe the shrunk (minimal) failing example.
"""
import dataclasses
import os
import re
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from . import frameworks
from .frameworks import AdapterUnavailable, PluginError
from .recorder import SCHEMA, examples_scale
from .siblings import SIBLINGS

SKIP_EXCEPTION = pytest.skip.Exception

PROFILES = {
    # name: (max_examples, derandomize) -- deadlines are off everywhere (framework warm-up).
    "dev": (4, False),
    "ci": (25, True),
    "thorough": (200, False),
}


def register_profiles():
    """Register the hypothesis profiles ``dev``, ``ci`` and ``thorough``."""
    scale = examples_scale()
    for name, (max_examples, derandomize) in PROFILES.items():
        settings.register_profile(
            f"conformance-{name}", max_examples=max(1, round(max_examples * scale)),
            derandomize=derandomize,
            deadline=None, database=None, print_blob=True, report_multiple_bugs=False,
            # no 'explain' phase: it re-ran a failing example hundreds of times to annotate it
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                   HealthCheck.data_too_large, HealthCheck.large_base_example])


class CellFailure(AssertionError):
    """An example disagreed with an oracle (the cell fails)."""


class HarnessError(RuntimeError):
    """The harness cannot judge an example (e.g. the oracle itself raised): an error cell."""


@dataclasses.dataclass(frozen=True)
class Cell:
    """One cell of the result matrix (its framework version comes with the adapter)."""

    property: str
    subject: str
    framework: str
    device: str
    dtype: str

    @property
    def id(self):
        return f"{self.property}-{self.subject}-{self.framework}-{self.device}-{self.dtype}"

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass
class OracleCount:
    agree: int = 0
    disagree: int = 0
    not_applicable: int = 0


class CellStats:
    """What one cell saw over its examples (filled in by the property, read by the plugin)."""

    def __init__(self, cell):
        self.cell = cell
        self.examples = 0
        self.failures = 0
        self.max_abs_err = None
        self.max_rel_err = None
        self.tolerance = None  # the primary tolerance (tolerances.Tolerance)
        self.oracles = {}
        self.message = None
        self.repro = None
        self.version = None
        self.semantics = None
        self.extra = {}
        self.seconds_shift = 0.0  # time moved between the cells of a shared run (siblings)
        self._searching = True
        self._problems = []

    # --- one example ----------------------------------------------------------------------
    def begin_example(self):
        self._problems = []
        if self._searching:
            self.examples += 1

    def problem(self, text):
        """Record a disagreement of the current example."""
        self._problems.append(text)

    def oracle(self, name, agrees):
        """Count an oracle's opinion: True (agrees), False, or None (not applicable)."""
        count = self.oracles.setdefault(name, OracleCount())
        if agrees is None:
            count.not_applicable += 1
        elif agrees:
            count.agree += 1
        else:
            count.disagree += 1

    def errors(self, max_abs, max_rel):
        self.max_abs_err = max_abs if self.max_abs_err is None else max(self.max_abs_err, max_abs)
        self.max_rel_err = max_rel if self.max_rel_err is None else max(self.max_rel_err, max_rel)

    def end_example(self, describe, repro=None):
        """Finish the example: raise ``CellFailure`` if it disagreed. ``describe()`` gives the
        call's description; ``repro()`` a standalone script (built only for failures)."""
        if not self._problems:
            return
        if self._searching:
            self.failures += 1
            self._searching = False
        where = describe()
        self.message = "; ".join(self._problems) + f" [{where}]"
        try:
            self.repro = repro() if repro is not None else None
        except Exception as error:  # noqa: BLE001 - a broken repro must not hide the failure
            self.repro = f"# the repro script could not be built: {type(error).__name__}: {error}"
        raise CellFailure(self.message)

    def as_fields(self):
        fields = {
            "examples": self.examples, "failures": self.failures,
            "max_abs_err": self.max_abs_err, "max_rel_err": self.max_rel_err,
            "atol": self.tolerance.atol if self.tolerance else None,
            "rtol": self.tolerance.rtol if self.tolerance else None,
            "tolerance_reason": self.tolerance.reason if self.tolerance else None,
            "oracles": {name: dataclasses.asdict(count) for name, count in self.oracles.items()},
            "message": self.message, "repro": self.repro,
        }
        if self.semantics is not None:
            fields["semantics"] = self.semantics
        fields.update(self.extra)
        return fields


def run_examples(stats, strategy, check):
    """Run ``check(data, value, stats)`` on hypothesis examples of ``strategy`` under the
    loaded profile. ``check`` calls ``stats.begin_example()`` ... ``stats.end_example()``.
    In a pytest item, the cell's siblings on the other frameworks share its hypothesis run
    (``conformance.siblings``): the cell may take the record of an earlier one instead."""
    shared = SIBLINGS.gather_or_adopt(stats, strategy, check)
    if shared is True or (shared is not None and SIBLINGS.run(
            shared, lambda each: _examples(strategy, each, stats))):
        return
    _examples(strategy, check, stats)


def _examples(strategy, check, stats):
    # hypothesis' derandomized seed comes from this function's source: keep it as it is
    @given(data=st.data())
    def property_examples(data):
        check(data, data.draw(strategy, label="sample"), stats)

    property_examples()


# --- frameworks of a session ------------------------------------------------------------

class Session:
    """The frameworks and devices of a run, adapters loaded once per process."""

    def __init__(self, frameworks, devices):
        self.frameworks = tuple(frameworks)
        self.devices = tuple(devices)
        self._adapters = {}
        self._references = {}

    def adapter(self, framework):
        """The adapter, or the reason (a string) it is unavailable."""
        if framework not in self._adapters:
            try:
                plugin = frameworks.get(framework)
                # the reference's cells use its oracle's adapter (one object: checks.shared
                # keys calls by adapter)
                self._adapters[framework] = (self.reference(plugin.default_policy)
                                             if plugin.reference else plugin.adapter())
            except (AdapterUnavailable, PluginError) as reason:
                self._adapters[framework] = str(reason)
        return self._adapters[framework]

    def plugin(self, framework):
        return frameworks.get(framework)

    def is_reference(self, framework):
        """Whether ``framework`` is the executable specification (refimpl)."""
        return frameworks.get(framework).reference

    def policy_name(self, framework):
        """The refimpl policy modelling ``framework`` (the reference's own cells run under
        its ``default_policy``)."""
        plugin = frameworks.get(framework)
        if plugin.reference:
            return plugin.default_policy
        return plugin.policy_for(self.adapter(framework).version)

    def reference(self, policy):
        """refimpl under ``policy`` (the oracle)."""
        if policy not in self._references:
            self._references[policy] = frameworks.reference().adapter(semantics=policy)
        return self._references[policy]

    def others(self, framework):
        """The loaded real frameworks other than ``framework`` (cross-framework oracles)."""
        result = []
        for name in self.frameworks:
            if name == framework or self.is_reference(name):
                continue
            adapter = self.adapter(name)
            if not isinstance(adapter, str):
                result.append(adapter)
        return result

    def unavailable(self, cell):
        """Why ``cell`` cannot run here (framework or device absent), or None."""
        adapter = self.adapter(cell.framework)
        if isinstance(adapter, str):
            return adapter
        return adapter.device_reason(cell.device)


def session_from_environment():
    """A Session from the CONFORMANCE_FRAMEWORKS / CONFORMANCE_DEVICES variables (as set by
    the pytest plugin), for tests run without the runner."""
    names = os.environ.get("CONFORMANCE_FRAMEWORKS")
    names = names.split(",") if names else frameworks.usable()
    devices = os.environ.get("CONFORMANCE_DEVICES", "cpu").split(",")
    return Session([f for f in names if f], [d for d in devices if d])


# --- cells as result records ---------------------------------------------------------------

BLOB = re.compile(r"@reproduce_failure\((?P<args>[^)]*)\)")


def reproduce_blob(exception):
    """The ``@reproduce_failure(...)`` decorator hypothesis attached to ``exception``, or None."""
    for note in getattr(exception, "__notes__", ()) or ():
        match = BLOB.search(note)
        if match:
            return match.group(0)
    return None


def falsifying_example(exception):
    notes = [n for n in (getattr(exception, "__notes__", ()) or ()) if "reproduce_failure" not in n]
    return "\n".join(notes) or None


def verdict(exception, stats):
    """(outcome, message) of a finished cell: ``exception`` is what its test raised (None)."""
    if exception is None:
        if stats.examples == 0:
            return "error", "the cell compared nothing (no example ran)"
        return "pass", None
    if isinstance(exception, SKIP_EXCEPTION):
        return "skip", getattr(exception, "msg", None) or str(exception)
    if isinstance(exception, CellFailure):
        return "fail", stats.message or str(exception)
    text = " ".join(f"{type(exception).__name__}: {exception}".split())
    return "error", text[:2000]


def cell_record(cell, stats, outcome, message, duration, exception=None, version=None):
    """The result record of a cell (DESIGN schema ``conformance-result/1``)."""
    record = {"schema": SCHEMA, "kind": "cell", **cell.as_dict(),
              "framework_version": stats.version or version, "outcome": outcome}
    record.update(stats.as_fields())
    record["message"] = message
    if outcome != "fail":
        record["repro"] = None
    record["reproduce_blob"] = reproduce_blob(exception) if outcome == "fail" else None
    if outcome == "fail":
        record["falsifying_example"] = falsifying_example(exception)
    record["duration_s"] = round(duration, 6)
    return record


def run_cell(module, session, cell):
    """Run ``cell`` of property ``module`` in this process; returns its result record. It
    shares no call's result with a cell run before (``checks.shared``): a test may have
    patched a framework since."""
    from .checks.shared import SHARED
    SHARED.forget()
    stats = CellStats(cell)
    started = time.perf_counter()
    exception = None
    try:
        module.check_cell(session, cell, stats)
    except BaseException as error:  # noqa: BLE001 - pytest's skip is a BaseException
        if isinstance(error, KeyboardInterrupt):
            raise
        exception = error
    outcome, message = verdict(exception, stats)
    adapter = session.adapter(cell.framework)
    version = None if isinstance(adapter, str) else adapter.version
    return cell_record(cell, stats, outcome, message, time.perf_counter() - started, exception,
                       version)
