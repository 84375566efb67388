"""Verify refimpl's semantics policies against the real frameworks, one cell per case.

For every behaviour case (``conformance.behaviours``) that applies to a framework, the case
runs on the framework and on refimpl (the reference plugin) under the policy modelling that
framework's version; the two observations are compared (``checks.observations.compare``).
Outcomes:

- pass: they agree;
- fail: they differ (the message lists every difference);
- error: the case itself broke on the real framework (an exception it did not record with
  ``attempt``: a case must record the exceptions it expects, so this is never a pass), or
  the harness failed;
- skip: the framework is not installed, or one side cannot express the case (the reason).
"""
import time
import traceback

from . import behaviours, frameworks
from .checks.observations import compare, observe
from .frameworks.base import AdapterUnavailable, NotSupported
from .recorder import SCHEMA, header

DEVICE = "cpu"
DTYPE = "float32"
RTOL = ATOL = 1e-6


def select_cases(names=None):
    """The cases called ``names`` (all when None); unknown names raise ValueError."""
    if not names:
        return list(behaviours.CASES)
    known = behaviours.by_name()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown case(s) {unknown}; known: {sorted(known)}")
    return [known[name] for name in names]


def _cell(case, framework, version, semantics, outcome, message, duration, observed=None):
    return {
        "schema": SCHEMA,
        "kind": "cell",
        "property": f"semantics.{case.name}",
        "subject": case.subject,
        "policy_fields": list(case.fields),
        "seed_note": case.seed,
        "framework": framework,
        "framework_version": version,
        "semantics": semantics,
        "device": DEVICE,
        "dtype": DTYPE,
        "outcome": outcome,
        "examples": 0 if outcome == "skip" else 1,
        "failures": 0 if outcome in ("pass", "skip") else 1,
        "max_abs_err": None,
        "max_rel_err": None,
        "atol": ATOL,
        "rtol": RTOL,
        "message": message,
        "repro": f"python -m conformance verify-semantics --frameworks {framework} --cases {case.name}",
        "reproduce_blob": None,
        "duration_s": round(duration, 6),
        "observed": observed,
    }


def skip_cell(case, framework, reason, version=None, semantics=None):
    return _cell(case, framework, version, semantics, "skip", reason, 0.0)


def load(name):
    """The adapter of framework ``name``; ``AdapterUnavailable`` when it cannot be used."""
    return frameworks.get(name).adapter()


def run_case(case, adapter, reference=None):
    """One cell: ``case`` on ``adapter`` (a real framework) and on refimpl (``reference``,
    by default refimpl under ``adapter``'s policy), compared."""
    reference = reference or frameworks.reference().adapter(adapter.semantics)
    started = time.perf_counter()

    def cell(outcome, message, observed=None):
        return _cell(case, adapter.name, adapter.version, reference.semantics, outcome, message,
                     time.perf_counter() - started, observed)

    try:
        expected = observe(case.run, adapter)
    except NotSupported as reason:
        return cell("skip", f"not supported by {adapter.name}: {reason}")
    except Exception:  # noqa: BLE001 - a harness bug becomes an error cell, not a crash
        return cell("error", "harness error: " + traceback.format_exc(limit=5))
    try:
        actual = observe(case.run, reference)
    except NotSupported as reason:
        return cell("skip", f"not supported by {reference.name}: {reason}",
                    {"framework": expected.to_json(), reference.name: None})
    except Exception:  # noqa: BLE001
        return cell("error", "harness error: " + traceback.format_exc(limit=5))
    observed = {"framework": expected.to_json(), reference.name: actual.to_json()}
    if expected.exception is not None:
        cls, message = expected.exception
        return cell("error", f"case raised on {adapter.name} {adapter.version} without recording it: "
                             f"{cls}: {message}", observed)
    differences = compare(expected, actual, rtol=RTOL, atol=ATOL)
    if differences:
        return cell("fail", "; ".join(differences), observed)
    return cell("pass", None, observed)


def load_adapters(names):
    """{name: adapter or the reason it is unavailable (a string)}."""
    loaded = {}
    for name in names:
        try:
            loaded[name] = load(name)
        except AdapterUnavailable as reason:
            loaded[name] = str(reason)
    return loaded


def verify(names, recorder, case_names=None, on_cell=None):
    """Run every applicable case on each of the frameworks ``names``; write a header and one
    cell per (case, framework) to ``recorder``; returns the cells. ``on_cell(cell)`` is called
    as each cell finishes."""
    cases = select_cases(case_names)
    plugins = {name: frameworks.get(name) for name in names}  # PluginError: unknown name
    adapters = load_adapters(names)
    versions = {name: (a.version if not isinstance(a, str) else None) for name, a in adapters.items()}
    unavailable = {name: a for name, a in adapters.items() if isinstance(a, str)}
    oracle = frameworks.reference()
    recorder.write(header("semantics", versions, **{
        "unavailable": unavailable, oracle.name: oracle.installed_version(),
        "cases": [case.name for case in cases]}))
    cells = []
    for name, adapter in adapters.items():
        reference = None if isinstance(adapter, str) else oracle.adapter(adapter.semantics)
        for case in cases:
            if not case.applies_to(plugins[name]):
                continue
            if isinstance(adapter, str):
                cell = skip_cell(case, name, adapter)
            else:
                cell = run_case(case, adapter, reference)
            recorder.write(cell)
            cells.append(cell)
            if on_cell is not None:
                on_cell(cell)
    return cells


def summarize(cells):
    """{(framework, version): {outcome: count}}."""
    summary = {}
    for cell in cells:
        counts = summary.setdefault((cell["framework"], cell["framework_version"]),
                                    {"pass": 0, "fail": 0, "error": 0, "skip": 0})
        counts[cell["outcome"]] += 1
    return summary
