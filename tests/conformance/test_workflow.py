"""The CI workflow (.github/workflows/conformance.yml) passes a linter: GitHub's workflow JSON
schema (as vendored by the ``check-jsonschema`` package, a dev dependency: scripts/bootstrap.sh,
pyproject's ``dev`` extra), plus the checks a schema cannot make: every ``needs`` names a job,
the matrix is exactly the tox envs labelled ``matrix``, each env job uploads its result file,
the merge job gates on ``compare`` against the committed baseline, and the scheduled job runs
the newest torch (unpinned). The self-tests show each check can fail."""
import configparser
import copy
import importlib.resources
import io
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "conformance.yml"

check_jsonschema = pytest.importorskip(
    "check_jsonschema", reason="the workflow linter (pip package check-jsonschema, which vendors "
                               "GitHub's workflow schema) is not installed: scripts/bootstrap.sh "
                               "installs it")
from jsonschema import Draft7Validator  # noqa: E402 - after the skip
from ruamel.yaml import YAML  # noqa: E402 - a dependency of check-jsonschema


def load_yaml(text):
    """YAML 1.2 (GitHub's reading: ``on`` stays a string key, never True)."""
    return json.loads(json.dumps(YAML(typ="safe", pure=True).load(io.StringIO(text))))


def workflow():
    return load_yaml(WORKFLOW.read_text())


def schema_errors(document):
    schema = json.loads(importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
                        .joinpath("github-workflows.json").read_text())
    return sorted(f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                  for error in Draft7Validator(schema).iter_errors(document))


def tox_matrix_envs():
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tox.ini")
    return {section.split(":", 1)[1] for section in config.sections()
            if section.startswith("testenv:")
            and "matrix" in config[section].get("labels", "").replace(",", " ").split()}


def tox_envs():
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tox.ini")
    return {section.split(":", 1)[1] for section in config.sections() if section.startswith("testenv:")}


def problems(document):
    """What the schema cannot see; [] when the workflow is right."""
    found = []
    jobs = document.get("jobs", {})
    for name, job in jobs.items():
        needs = job.get("needs", [])
        for need in [needs] if isinstance(needs, str) else needs:
            if need not in jobs:
                found.append(f"job {name}: needs unknown job {need!r}")
        if "timeout-minutes" not in job:
            found.append(f"job {name}: no timeout-minutes")
    env_job = jobs.get("env", {})
    matrix = set(env_job.get("strategy", {}).get("matrix", {}).get("env", []))
    if not tox_matrix_envs() <= matrix:
        found.append(f"matrix lacks tox envs {sorted(tox_matrix_envs() - matrix)}")
    if not matrix <= tox_envs():
        found.append(f"matrix names envs tox.ini lacks: {sorted(matrix - tox_envs())}")
    steps = env_job.get("steps", [])
    if not any("tox -e ${{ matrix.env }}" in step.get("run", "") for step in steps):
        found.append("env job does not run tox -e ${{ matrix.env }}")
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    if not any("${{ matrix.env }}" in s.get("with", {}).get("name", "")
               and s.get("with", {}).get("if-no-files-found") == "error" for s in uploads):
        found.append("env job does not upload its result file per env (if-no-files-found: error)")
    merge = jobs.get("report", {})
    if "env" not in ([merge.get("needs")] if isinstance(merge.get("needs"), str) else merge.get("needs", [])):
        found.append("report job does not wait for the env jobs")
    runs = " ".join(step.get("run", "") for step in merge.get("steps", []))
    if "conformance report" not in runs or not re.search(r"conformance compare reports/baseline\b", runs):
        found.append("report job does not merge the results and compare them with reports/baseline")
    crons = [entry.get("cron", "") for entry in (document.get("on") or {}).get("schedule", [])]
    if not crons or not all(len(cron.split()) == 5 for cron in crons):
        found.append(f"no valid schedule cron: {crons}")
    newest = " ".join(step.get("run", "") for step in jobs.get("newest", {}).get("steps", []))
    if not re.search(r"pip install torch\s", newest):
        found.append("the scheduled job does not install torch unpinned")
    return found


def test_workflow_matches_githubs_schema():
    assert schema_errors(workflow()) == []


def test_workflow_jobs_fit_tox_and_the_gate():
    assert problems(workflow()) == []


def test_the_schema_check_fails_on_a_broken_workflow():
    broken = copy.deepcopy(workflow())
    del broken["jobs"]["env"]["runs-on"]
    broken["jobs"]["report"]["step"] = broken["jobs"]["report"].pop("steps")   # misspelt key
    errors = schema_errors(broken)
    assert errors and any("runs-on" in error for error in errors), errors
    assert schema_errors({"name": "x"}) != []           # no `on`, no `jobs`


def test_the_job_checks_fail_on_a_wrong_workflow():
    wrong = copy.deepcopy(workflow())
    wrong["jobs"]["env"]["strategy"]["matrix"]["env"].remove("chainer540")
    wrong["jobs"]["env"]["strategy"]["matrix"]["env"].append("torch9999")
    wrong["jobs"]["report"]["needs"] = "nonexistent"
    wrong["on"]["schedule"] = [{"cron": "every monday"}]
    found = "\n".join(problems(wrong))
    for text in ("lacks tox envs ['chainer540']", "tox.ini lacks: ['torch9999']",
                 "needs unknown job 'nonexistent'", "does not wait for the env jobs", "no valid schedule cron"):
        assert text in found, found
