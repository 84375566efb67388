"""``python -m conformance compare BASE NEW``: the regression gate.

BASE and NEW are result files or directories of ``*.jsonl`` files. Prints regressions
(pass -> fail/error), cells that passed in BASE and are missing from NEW, fixes
(fail/error -> pass), changes explained by documented upstream defects (known issues, which
show only at some inputs: not regressions), new cells, removed cells, then other changes of
outcome; then the lines skipped while reading and whether each side's runs finished.

Exit status: 0 when nothing regressed; 1 on a regression or a missing cell (a cell that passed
in BASE and is absent from NEW, unless its subject is named by --removed or renamed by
--renames); 2 on a usage or input error (a bad flag, a path that does not exist, a file that
is not JSON lines of results, a side with no cell, an unreadable --renames file, an unwritable
--json); 3 when NEW holds an incomplete run (its footer says interrupted or crashed, a
conformance-result/2 run has no footer, or its file is named *.incomplete.jsonl or
*.partial.jsonl). Where several apply: 2, then 3, then 1. Legacy conformance-result/1 runs
have no footer: their completeness is unknown, which is said and does not fail the gate.
"""
import argparse
import json
import sys
import textwrap
import traceback

from .compare import compare, known_issue
from .load import LoadError, key_text, load
from .output import write_atomic
from .summary import _clean
from .text import terminal

EXIT_OK, EXIT_REGRESSION, EXIT_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3
HEADINGS = {
    "regressions": "REGRESSIONS (pass -> fail/error)",
    "missing": "MISSING (passed in BASE, absent from NEW; name deliberate removals with --removed or --renames)",
    "fixes": "fixes (fail/error -> pass)",
    "known": "known upstream defects (pass <-> fail by a documented known issue; not regressions)",
    "new": "new cells (only in NEW)",
    "removed": "removed cells (only in BASE: not passing there, or removed with --removed)",
    "changed": "other changes of outcome",
}


def _paragraphs(text):
    return "\n\n".join(textwrap.fill(" ".join(part.split()), 88) for part in text)


def add_parser(commands):
    parts = __doc__.split("\n\n")
    parser = commands.add_parser(
        "compare", help="compare two result sets; exit non-zero on regressions",
        description="The regression gate: compare two result sets cell by cell.",
        epilog=_paragraphs(parts[1:3]), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", metavar="BASE", help="baseline: a result file or a directory of them")
    parser.add_argument("new", metavar="NEW", help="new results: a result file or a directory of them")
    parser.add_argument("--json", metavar="OUT", help="also write the comparison as JSON to OUT")
    parser.add_argument("--ignore-version", action="store_true",
                        help="match cells whatever their framework version (e.g. 2.13.0 vs 2.14.1 of one framework)")
    parser.add_argument("--removed", action="append", default=[], metavar="SUBJECT",
                        help="a subject deliberately removed: its missing cells are not a failure (repeatable)")
    parser.add_argument("--renames", metavar="FILE",
                        help="subjects renamed, one 'old -> new' per line (# comments): a BASE cell is "
                             "matched under its new name")
    parser.add_argument("--strict", action="store_true",
                        help="a pass -> fail explained by a documented known issue is a regression too")
    parser.add_argument("--limit", type=int, default=50, metavar="N",
                        help="cells listed per section (default 50; 0: all)")
    parser.set_defaults(handler=run)
    return parser


def read_renames(path):
    """{old: new} from a file of ``old -> new`` lines; raises LoadError naming file:line."""
    renames = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                parts = [part.strip() for part in text.split("->")]
                if len(parts) != 2 or not all(parts):
                    raise LoadError(f"--renames: {path}:{number}: expected 'old -> new', got {text[:200]!r}")
                old, new = parts
                if old in renames and renames[old] != new:
                    raise LoadError(f"--renames: {path}:{number}: {old!r} is renamed twice")
                renames[old] = new
    except OSError as error:
        raise LoadError(f"--renames: cannot read {path!r}: {error.strerror or error}") from None
    except ValueError as error:   # a NUL in the path
        if isinstance(error, LoadError):
            raise
        raise LoadError(f"--renames: cannot read {path!r}: {error}") from None
    return renames


def _line(base, new):
    cell = new or base
    before = base["outcome"] if base else "-"
    after = new["outcome"] if new else "-"
    key = [cell["property"], cell["subject"], cell["framework"], cell["framework_version"],
           cell["device"], cell["dtype"]]
    if base and new and base["framework_version"] != new["framework_version"]:
        key[3] = f"{base['framework_version']}->{new['framework_version']}"
    if base and base.get("_renamed_from") is not None:
        key[1] = f"{base['_renamed_from']}->{key[1]}"
    text = f"  {before:>5} -> {after:<5} {key_text(tuple(key))}"
    issue = (known_issue(new) if new else None) or (known_issue(base) if base else None)
    if issue:
        text += f"\n      known issue: {str(issue.get('reason') or '')[:200]} {issue.get('link') or ''}"
    message = cell.get("message")
    if message and (new is None or new["outcome"] != "pass"):
        first = message.strip().splitlines()[0] if message.strip() else ""
        text += f"\n      {first[:200]}"
    return terminal(text)


def run(args):
    """The ``compare`` command; never a traceback for bad input (an internal error prints its
    traceback and exits 2, never 0 or 1)."""
    try:
        return _run(args)
    except Exception:   # a bug: say so, keep the traceback for the report of it
        print("error: internal error in `conformance compare` (a bug; the traceback follows):",
              file=sys.stderr)
        traceback.print_exc()
        return EXIT_INPUT


def _run(args):
    if args.limit < 0:
        print(f"error: --limit: must be >= 0, got {args.limit}", file=sys.stderr)
        return EXIT_INPUT
    try:
        renames = read_renames(args.renames) if args.renames else {}
        base = load([args.base], "BASE", slim=True)
        new = load([args.new], "NEW", slim=True)
    except LoadError as error:
        print(f"error: {terminal(error)}", file=sys.stderr)
        return EXIT_INPUT
    for name, path, results in (("BASE", args.base, base), ("NEW", args.new, new)):
        if not results.cells:   # a run that died before its first cell must not pass the gate
            if name == "NEW" and results.incomplete_runs():
                continue        # compared as it is, then exit 3 below
            print(f"error: {name}: {path!r} holds no result cells", file=sys.stderr)
            return EXIT_INPUT
    result = compare(base, new, ignore_version=args.ignore_version, removed=args.removed,
                     renames=renames, strict=args.strict)
    for side, results in (("BASE", base), ("NEW", new)):
        for warning in results.warnings:
            print(f"warning: {side}: {terminal(warning)}", file=sys.stderr)
        if results.warning_count > len(results.warnings):
            print(f"warning: {side}: ... and {results.warning_count - len(results.warnings)} more",
                  file=sys.stderr)
    for unused in result.unused:
        print(f"warning: {terminal(unused)}: no such subject in BASE", file=sys.stderr)
    for section, heading in HEADINGS.items():
        pairs = getattr(result, section)
        if not pairs:
            continue
        print(f"{heading}: {len(pairs)}")
        shown = pairs if args.limit == 0 else pairs[:args.limit]
        for base_cell, new_cell in shown:
            print(_line(base_cell, new_cell))
        if len(shown) < len(pairs):
            print(f"  ... and {len(pairs) - len(shown)} more")
    counts = result.as_dict()["counts"]
    print("summary: " + ", ".join(f"{counts[name]} {name}" for name in
                                  ("regressions", "missing", "fixes", "known", "new", "removed",
                                   "changed", "unchanged")))
    for side, results in (("BASE", base), ("NEW", new)):
        if results.skipped_total:
            print(f"{side}: {results.skipped_total} line(s) skipped while reading ("
                  + ", ".join(f"{count} {category}" for category, count in sorted(results.skipped_counts.items()))
                  + "; listed above)")
    status = EXIT_REGRESSION if result.failed else EXIT_OK
    for run_ in base.incomplete_runs():
        print(f"warning: BASE is incomplete: {terminal(run_.describe())}", file=sys.stderr)
    unknown = new.unknown_runs()
    if unknown:
        print(f"NEW: completeness unknown for {len(unknown)} run(s) (legacy conformance-result/1 "
              f"records have no footer); not a failure")
    incomplete = new.incomplete_runs()
    for run_ in incomplete:
        print(f"NEW is incomplete: {terminal(run_.describe())}", file=sys.stderr)
    if incomplete:
        status = EXIT_INCOMPLETE
    if args.json:
        document = {"base": args.base, "new": args.new, "exit_status": status,
                    "completeness": {side: {"status": results.completeness(),
                                            "runs": [{"source": r.source, "status": r.status,
                                                      "planned": r.planned, "finished": r.finished,
                                                      "reason": r.reason} for r in results.runs]}
                                     for side, results in (("base", base), ("new", new))},
                    "skipped": {side: {"count": results.skipped_total,
                                       "lines": [str(s) for s in results.skipped]}
                                for side, results in (("base", base), ("new", new))},
                    **result.as_dict()}
        try:
            write_atomic(args.json, json.dumps(_clean(document), indent=2, allow_nan=False) + "\n")
        except (OSError, ValueError) as error:
            why = getattr(error, "strerror", None) or error
            print(f"error: --json: cannot write {args.json!r}: {terminal(why)}", file=sys.stderr)
            return EXIT_INPUT
    if status == EXIT_INCOMPLETE:
        print(f"exit {EXIT_INCOMPLETE}: NEW holds {len(incomplete)} incomplete run(s): the gate cannot "
              f"pass an unfinished run", file=sys.stderr)
    elif status == EXIT_REGRESSION:
        print(f"exit {EXIT_REGRESSION}: {len(result.regressions)} regression(s), {len(result.missing)} "
              f"missing cell(s)", file=sys.stderr)
    return status
