"""``python -m conformance report``: result files -> HTML report, JSON summary, JUnit XML, CTRF.

With no arguments it reads ``reports/results/`` and writes ``reports/index.html``,
``reports/summary.json``, ``reports/junit.xml`` and ``reports/ctrf.json``; when any output is
named, only the named outputs are written. ``reports/baseline/`` (when it exists) is the
baseline the report lists regressions against.
"""
import os
import sys
import time

from . import analysis as analysis_module
from . import ctrf, html, junit, summary
from .load import LoadError, load

DEFAULT_RESULTS = os.path.join("reports", "results")
DEFAULT_BASELINE = os.path.join("reports", "baseline")
DEFAULT_OUTPUTS = {
    "out": os.path.join("reports", "index.html"),
    "json": os.path.join("reports", "summary.json"),
    "junit": os.path.join("reports", "junit.xml"),
    "ctrf": os.path.join("reports", "ctrf.json"),
}
RENDERERS = {"out": html.render, "json": summary.render, "junit": junit.render, "ctrf": ctrf.render}


def add_parser(commands):
    parser = commands.add_parser(
        "report", help="turn result files into an HTML report, a JSON summary, JUnit XML and CTRF JSON",
        description="Turn result files into one self-contained HTML report, a JSON summary, "
                    "JUnit XML and CTRF JSON.",
        epilog=" ".join(__doc__.split("\n\n")[1].split()))
    parser.add_argument("--results", action="append", metavar="PATH",
                        help=f"a result file or a directory of *.jsonl files; repeat for more "
                             f"(default: {DEFAULT_RESULTS})")
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
    started = time.perf_counter()
    result_paths = args.results or [DEFAULT_RESULTS]
    try:
        results = load(result_paths, "--results")
        baselines = baseline_paths(args)
        baseline = load(baselines, "--baseline") if baselines else None
    except LoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = analysis_module.analyse(results, baseline, baselines, ignore_version=args.ignore_version)
    for kind, path in outputs_of(args).items():
        text = html.render(report, args.title) if kind == "out" else RENDERERS[kind](report)
        try:
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            print(f"error: --{kind}: cannot write {path!r}: {error.strerror or error}", file=sys.stderr)
            return 2
        print(f"{kind:>5}: {path} ({len(text.encode('utf-8')) / 1024:.1f} KiB)")
    totals = report.totals()
    print(f"{totals.cells} cells from {len(results.files)} file(s), {len(results.runs)} run(s): "
          + ", ".join(f"{totals[o]} {o}" for o in ("pass", "fail", "error", "skip"))
          + f"; {time.perf_counter() - started:.2f} s")
    if not results.cells:
        print(f"warning: no result cells in {', '.join(result_paths)}: the report is empty", file=sys.stderr)
    for warning in results.warnings[:20]:
        print(f"warning: {warning}", file=sys.stderr)
    if len(results.warnings) > 20:
        print(f"warning: ... and {len(results.warnings) - 20} more (see the report)", file=sys.stderr)
    if report.baseline is not None and report.baseline.regressions:
        print(f"{len(report.baseline.regressions)} regression(s) against {', '.join(baselines)}; "
              f"see `python -m conformance compare`")
    return 0
