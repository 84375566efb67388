"""``python -m conformance report``: result files -> HTML report, JSON summary, JUnit XML, CTRF.

With no arguments it reads ``reports/results/`` and writes ``reports/index.html``,
``reports/summary.json``, ``reports/junit.xml`` and ``reports/ctrf.json``; when any output is
named, only the named outputs are written. ``reports/baseline/`` (when it exists) is the
baseline the report lists regressions against.

Exit status: 0 when every cell that ran passed (failing cells explained by a documented
upstream defect, in the framework plugins' known_issues.toml, do not count unless --strict)
and nothing regressed against the baseline; 1 when a cell fails or errors, or a cell regressed (pass ->
fail/error) against the baseline; 2 on a usage or input error (a bad flag, a result path that
does not exist or holds no result file, a file that is not JSON lines of results, an output
that cannot be written); 3 when a run is
incomplete (its footer says interrupted or crashed, a conformance-result/2 run has no footer,
or its file is named *.incomplete.jsonl or *.partial.jsonl). Where several apply: 2, then 3,
then 1. The outputs are written whatever the status (but 2), each one atomically. Skipped
lines (not JSON, invalid, of an unknown schema version or kind) are listed, not fatal.
"""
import argparse
import os
import sys
import textwrap
import time
import traceback

from . import analysis as analysis_module
from . import ctrf, html, junit, port, summary
from .load import LoadError, load
from .output import write_atomic
from .text import terminal

DEFAULT_RESULTS = os.path.join("reports", "results")
DEFAULT_BASELINE = os.path.join("reports", "baseline")
DEFAULT_OUTPUTS = {
    "out": os.path.join("reports", "index.html"),
    "json": os.path.join("reports", "summary.json"),
    "junit": os.path.join("reports", "junit.xml"),
    "ctrf": os.path.join("reports", "ctrf.json"),
}
RENDERERS = {"out": html.chunks, "json": summary.render, "junit": junit.chunks, "ctrf": ctrf.chunks}
EXIT_OK, EXIT_FAILING, EXIT_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3


def add_parser(commands):
    parser = commands.add_parser(
        "report", help="turn result files into an HTML report, a JSON summary, JUnit XML and CTRF JSON",
        description="Turn result files into one self-contained HTML report, a JSON summary, "
                    "JUnit XML and CTRF JSON.",
        epilog="\n\n".join(textwrap.fill(" ".join(part.split()), 88) for part in __doc__.split("\n\n")[1:3]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", action="extend", nargs="+", metavar="PATH",
                        help=f"result files, directories of *.jsonl files or glob patterns "
                             f"(quoted, e.g. 'runs/*/*.jsonl'; '**' spans directories); several "
                             f"after one --results, or --results repeated, are merged into one "
                             f"report (default: {DEFAULT_RESULTS})")
    parser.add_argument("--out", metavar="FILE.html", help="the HTML report to write")
    parser.add_argument("--json", metavar="FILE", help="the JSON summary to write")
    parser.add_argument("--junit", metavar="FILE", help="the JUnit XML to write")
    parser.add_argument("--ctrf", metavar="FILE", help="the CTRF JSON to write")
    parser.add_argument("--baseline", action="append", metavar="PATH",
                        help=f"result file(s) or directory to list regressions against "
                             f"(default: {DEFAULT_BASELINE} when it exists)")
    parser.add_argument("--no-baseline", action="store_true", help="do not compare with a baseline")
    parser.add_argument("--ignore-version", action="store_true",
                        help="match baseline cells whatever their framework version")
    parser.add_argument("--strict", action="store_true",
                        help="failing cells explained by a documented upstream defect count too (exit 1)")
    parser.add_argument("--port", action="append", metavar="PATH",
                        help="port check results (JSON files or directories of them) for the "
                             "port section (default: reports/port when it exists)")
    parser.add_argument("--title", default="Autograd conformance report", help="the page title")
    parser.set_defaults(handler=run)
    return parser


def outputs_of(args):
    """{output kind: path}: the named ones, or all four defaults when none is named."""
    named = {kind: getattr(args, kind) for kind in DEFAULT_OUTPUTS if getattr(args, kind)}
    return named or dict(DEFAULT_OUTPUTS)


def baseline_paths(args):
    if args.no_baseline:
        return []
    if args.baseline:
        return list(args.baseline)
    return [DEFAULT_BASELINE] if os.path.isdir(DEFAULT_BASELINE) else []


def run(args):
    """The ``report`` command; never a traceback for bad input (an internal error prints its
    traceback and exits 2, not 1, so that it is never read as 'cells failed')."""
    try:
        return _run(args)
    except Exception:   # a bug: say so, keep the traceback for the report of it
        print("error: internal error in `conformance report` (a bug; the traceback follows):",
              file=sys.stderr)
        traceback.print_exc()
        return EXIT_INPUT


def _run(args):
    started = time.perf_counter()
    result_paths = args.results or [DEFAULT_RESULTS]
    try:
        results = load(result_paths, "--results")
        baselines = baseline_paths(args)
        baseline = load(baselines, "--baseline", slim=True) if baselines else None
    except LoadError as error:
        print(f"error: {terminal(error)}", file=sys.stderr)
        return EXIT_INPUT
    report = analysis_module.analyse(results, baseline, baselines, ignore_version=args.ignore_version)
    port.attach(report, args.port)   # issue 18: port check results, when there are any
    for warning in report.port_warnings:
        print(f"warning: {terminal(warning)}", file=sys.stderr)
    for kind, path in outputs_of(args).items():
        chunks = html.chunks(report, args.title) if kind == "out" else RENDERERS[kind](report)
        try:
            size = write_atomic(path, chunks)
        except (OSError, ValueError) as error:   # ValueError: e.g. a NUL in the path
            why = getattr(error, "strerror", None) or error
            print(f"error: --{kind}: cannot write {path!r}: {terminal(why)}", file=sys.stderr)
            return EXIT_INPUT
        print(f"{kind:>5}: {path} ({size / 1024:.1f} KiB)")
    totals = report.totals()
    print(f"{totals.cells} cells from {len(results.files)} file(s), {len(results.runs)} run(s): "
          + ", ".join(f"{totals[o]} {o}" for o in ("pass", "fail", "error", "skip"))
          + f"; {time.perf_counter() - started:.2f} s")
    if not results.cells:
        print(f"warning: no result cells in {', '.join(result_paths)}: the report is empty", file=sys.stderr)
    for warning in results.warnings[:20]:
        print(f"warning: {terminal(warning)}", file=sys.stderr)
    if results.warning_count > 20:
        print(f"warning: ... and {results.warning_count - 20} more (see the report)", file=sys.stderr)
    if results.skipped_total:
        print(f"{results.skipped_total} line(s) skipped: "
              + ", ".join(f"{count} {category}" for category, count in sorted(results.skipped_counts.items())))
    return verdict(report, baselines, args.strict)


def verdict(report, baselines, strict=False):
    """Print why, and return the exit status (3 incomplete, 1 failing or regressed, 0)."""
    status = EXIT_OK
    failing = report.failing(strict)
    if failing:
        known = sum(1 for cell in report.cells if cell["outcome"] == "fail" and report.known(cell))
        note = f"; {known} more explained by documented upstream defects" if known and not strict else ""
        print(f"{len(failing)} failing or erroring cell(s){note}")
        status = EXIT_FAILING
    elif report.baseline is None or not report.baseline.regressions:
        known = sum(1 for cell in report.cells if report.known(cell))
        if known:
            print(f"{known} failing cell(s), each explained by a documented upstream defect "
                  f"(not counted; --strict counts them)")
    if report.baseline is not None:
        if report.baseline.regressions:
            print(f"{len(report.baseline.regressions)} regression(s) against {', '.join(baselines)}; "
                  f"see `python -m conformance compare`")
            status = EXIT_FAILING
        if report.baseline.missing:
            print(f"{len(report.baseline.missing)} cell(s) that passed in the baseline are missing "
                  f"(`compare` fails on them; the report lists them)")
    for run in report.unknown_runs[:5]:
        print(f"note: {terminal(run.describe())}")
    incomplete = report.incomplete_runs
    for run in incomplete:
        print(f"incomplete: {terminal(run.describe())}", file=sys.stderr)
    if incomplete:
        print(f"exit {EXIT_INCOMPLETE}: {len(incomplete)} incomplete run(s)", file=sys.stderr)
        return EXIT_INCOMPLETE
    return status
