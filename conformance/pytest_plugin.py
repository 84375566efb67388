"""pytest plugin of the property suites: ``pytest -p conformance.pytest_plugin conformance/properties``.

- parameterises every property test with its cells (``module.cells(session)``);
- loads the hypothesis profile (``--conformance-profile``);
- appends one JSON line per finished cell to ``--conformance-results`` (``O_APPEND``, one
  ``write`` per line: safe with several xdist workers, and a crash of a test process loses no
  finished cell, the kernel holds what it wrote; the runner syncs the file to disk once, with
  its footer, instead of once per line);
- appends a 'started' marker per cell to ``--conformance-progress`` (so the runner can name
  the cell a crashed process was running);
- writes the collected cells to ``--conformance-collected`` (one JSON file per process), so
  that the runner knows every cell that should have finished;
- with ``--conformance-only FILE``, runs only the node ids listed in FILE (the runner's
  restart after a crash);
- names each item's sibling cells among the selected ones (the same property, subject,
  device and dtype on the other frameworks), which share one hypothesis run
  (``conformance.siblings``); a record's ``duration_s`` is its share of that run;
- started by the runner, dies with it: the controller and every xdist worker get the
  parent-death signal (Linux; elsewhere a thread watching the parent pid).

``python -m conformance run`` drives it; see ``conformance/runner.py``.
"""
import json
import os

import pytest
from hypothesis import settings

from . import frameworks, harness, known_issues
from .checks import repro
from .recorder import dumps
from .siblings import SIBLINGS


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "conformance property suites")
    group.addoption("--conformance-frameworks", default=",".join(frameworks.names()),
                    help="comma-separated frameworks of the cells (default: every registered one)")
    group.addoption("--conformance-devices", default="cpu", help="comma-separated devices")
    group.addoption("--conformance-profile", default="dev", choices=sorted(harness.PROFILES),
                    help="hypothesis profile")
    group.addoption("--conformance-results", default=None, help="JSONL file cells are appended to")
    group.addoption("--conformance-progress", default=None, help="file of 'started' markers")
    group.addoption("--conformance-collected", default=None,
                    help="directory for the collected-cell lists (one file per process)")
    group.addoption("--conformance-only", default=None, help="file of node ids to run")


def _worker():
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _die_with_parent(config):
    """Started by the runner (``CONFORMANCE_RUNNER_PID``): die with the process that started
    this one, so that no pytest process outlives a killed run. The controller (started by the
    runner, which also arms this before exec) publishes its pid for its xdist workers."""
    runner_pid = os.environ.get("CONFORMANCE_RUNNER_PID")
    if not runner_pid:
        return
    from .runner import die_with_parent
    if hasattr(config, "workerinput"):
        controller = os.environ.get("CONFORMANCE_CONTROLLER_PID")
        if controller:
            die_with_parent(int(controller), "worker")
    else:
        os.environ["CONFORMANCE_CONTROLLER_PID"] = str(os.getpid())  # inherited by workers
        die_with_parent(int(runner_pid), "controller")


def pytest_configure(config):
    _die_with_parent(config)
    harness.register_profiles()
    settings.load_profile(f"conformance-{config.getoption('conformance_profile')}")
    frameworks = [f for f in config.getoption("conformance_frameworks").split(",") if f]
    devices = [d for d in config.getoption("conformance_devices").split(",") if d]
    config._conformance_session = harness.Session(frameworks, devices)
    progress = config.getoption("conformance_progress")
    if progress:
        SIBLINGS.on_shared = lambda cells: mark_shared(progress, config._conformance_nodeids,
                                                       cells)


def pytest_generate_tests(metafunc):
    if "cell" not in metafunc.fixturenames:
        return
    cells = metafunc.module.cells(metafunc.config._conformance_session)
    metafunc.parametrize("cell", cells, ids=[cell.id for cell in cells])


@pytest.fixture
def conformance_session(request):
    return request.config._conformance_session


@pytest.fixture
def cell_stats(request, cell):
    stats = harness.CellStats(cell)
    request.node._conformance_stats = stats
    # siblings are gathered through the module's check_cell (a module without one: alone)
    check_cell = getattr(request.module, "check_cell", None)
    siblings = getattr(request.config, "_conformance_siblings", {}).get(cell, ())
    SIBLINGS.begin(cell, check_cell, request.config._conformance_session,
                   siblings if check_cell is not None else ())
    yield stats
    SIBLINGS.end()


def pytest_collection_modifyitems(session, config, items):
    """Deselect items that are not cells (a module with no cells here, e.g. the self-test
    without its variable) and, with --conformance-only, cells not listed."""
    wanted = None
    only = config.getoption("conformance_only")
    if only:
        with open(only, encoding="utf-8") as handle:
            wanted = {line.strip() for line in handle if line.strip()}

    def keep(item):
        return _cell_of(item) is not None and (wanted is None or item.nodeid in wanted)

    selected = [item for item in items if keep(item)]
    deselected = [item for item in items if not keep(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected
    config._conformance_siblings = siblings_of(_cell_of(item) for item in selected)
    config._conformance_nodeids = {_cell_of(item): item.nodeid for item in selected}


def siblings_of(cells):
    """{cell: the selected cells of its property, subject, device and dtype, in order}: the
    cells that may share its hypothesis run (``conformance.siblings``)."""
    groups = {}
    for cell in cells:
        groups.setdefault((cell.property, cell.subject, cell.device, cell.dtype), []).append(cell)
    return {cell: tuple(group) for group in groups.values() for cell in group}


def _cell_of(item):
    callspec = getattr(item, "callspec", None)
    cell = callspec.params.get("cell") if callspec is not None else None
    return cell if isinstance(cell, harness.Cell) else None


def pytest_collection_finish(session):
    directory = session.config.getoption("conformance_collected")
    if not directory:
        return
    cells = [{"nodeid": item.nodeid, **cell.as_dict()}
             for item in session.items if (cell := _cell_of(item)) is not None]
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"collected-{_worker()}-{os.getpid()}.json")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(cells, handle)
    os.replace(path + ".tmp", path)


def append_line(path, text):
    """Append one line with a single write (safe across processes; a process that dies later
    loses nothing it wrote). No fsync per line: that guards only against the machine itself
    going down, and cost ~2 ms per cell and marker; the runner syncs the result file once."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (text + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def mark_shared(progress, nodeids, cells):
    """'started' markers for the cells of a hypothesis run about to be shared (each naming
    the others, ``shared_with``): a process that dies during it may be checking any of them.
    A cell alone (``cells`` of one) gets a plain marker again."""
    names = [nodeids[cell] for cell in cells]
    for name in names:
        append_line(progress, json.dumps({"started": name, "worker": _worker(), "pid": os.getpid(),
                                          "shared_with": [other for other in names
                                                          if other != name]}))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """Mark the cell as started, in the process that runs it (not the xdist controller)."""
    progress = item.config.getoption("conformance_progress")
    if progress:
        append_line(progress, json.dumps({"started": item.nodeid, "worker": _worker(),
                                          "pid": os.getpid()}))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    cell = _cell_of(item)
    if cell is None or getattr(item, "_conformance_written", False):
        return
    if call.when == "call" or (call.when == "setup" and (report.skipped or report.failed)):
        item._conformance_written = True
        record = make_record(item, cell, call)
        results = item.config.getoption("conformance_results")
        if results:
            append_line(results, dumps(record))


def drawn_where(item, cell, record):
    """``repro.provenance``'s arguments for a failing cell: the profile, the hypothesis seed,
    the frameworks of the run, the cell and the draws."""
    config = item.config
    profile = config.getoption("conformance_profile")
    derandomized = harness.PROFILES[profile][1]
    seed = None if derandomized else config.getoption("hypothesis_seed", None)
    drawn = "\n".join(line for line in (record.get("falsifying_example") or "").splitlines()
                      if line.startswith("Draw "))
    return {"profile": profile, "seed": seed, "derandomized": derandomized, "cell_id": cell.id,
            "drawn": drawn or None,
            "frameworks": [f for f in config.getoption("conformance_frameworks").split(",") if f]}


def make_record(item, cell, call):
    """The result record of a finished cell from pytest's call information."""
    stats = getattr(item, "_conformance_stats", None) or harness.CellStats(cell)
    exception = call.excinfo.value if call.excinfo is not None else None
    outcome, message = harness.verdict(exception, stats)
    session = item.config._conformance_session
    adapter = session.adapter(cell.framework)
    version = None if isinstance(adapter, str) else adapter.version
    # a shared run's time is moved to the siblings that stayed in it (never below 0: pytest's
    # clock and the shared run's are not one)
    record = harness.cell_record(cell, stats, outcome, message,
                                 max(0.0, call.stop - call.start + stats.seconds_shift),
                                 exception, version)
    record["nodeid"] = item.nodeid
    if isinstance(record.get("repro"), str):  # where the failing input came from (issue 15)
        record["repro"] = repro.with_provenance(record["repro"], **drawn_where(item, cell, record))
    issue = known_issues.match(record)
    if issue is not None:
        record["known_issue"] = issue
    return record
