"""``python -m conformance compare BASE NEW``: the regression gate.

BASE and NEW are result files or directories of ``*.jsonl`` files. Prints regressions
(pass -> fail/error), fixes (fail/error -> pass), new cells, removed cells, then other
changes of outcome. Exit status: 1 on any regression, 0 otherwise, 2 on bad input (a
path that does not exist, a file that is not JSON lines of results, a side with no cell).
"""
import json
import os
import sys

from .compare import compare
from .load import LoadError, key_text, load

HEADINGS = {
    "regressions": "REGRESSIONS (pass -> fail/error)",
    "fixes": "fixes (fail/error -> pass)",
    "new": "new cells (only in NEW)",
    "removed": "removed cells (only in BASE)",
    "changed": "other changes of outcome",
}


def add_parser(commands):
    parser = commands.add_parser(
        "compare", help="compare two result sets; exit non-zero on regressions",
        description="The regression gate: compare two result sets cell by cell.",
        epilog=" ".join(__doc__.split("\n\n")[1].split()))
    parser.add_argument("base", metavar="BASE", help="baseline: a result file or a directory of them")
    parser.add_argument("new", metavar="NEW", help="new results: a result file or a directory of them")
    parser.add_argument("--json", metavar="OUT", help="also write the comparison as JSON to OUT")
    parser.add_argument("--ignore-version", action="store_true",
                        help="match cells whatever their framework version (e.g. torch 2.13.0 vs 2.14.1)")
    parser.add_argument("--limit", type=int, default=50, metavar="N",
                        help="cells listed per section (default 50; 0: all)")
    parser.set_defaults(handler=run)
    return parser


def _line(base, new):
    cell = new or base
    before = base["outcome"] if base else "-"
    after = new["outcome"] if new else "-"
    key = [cell["property"], cell["subject"], cell["framework"], cell["framework_version"],
           cell["device"], cell["dtype"]]
    if base and new and base["framework_version"] != new["framework_version"]:
        key[3] = f"{base['framework_version']}->{new['framework_version']}"
    text = f"  {before:>5} -> {after:<5} {key_text(tuple(key))}"
    message = cell.get("message")
    if message and (new is None or new["outcome"] != "pass"):
        first = message.strip().splitlines()[0] if message.strip() else ""
        text += f"\n      {first[:200]}"
    return text


def run(args):
    if args.limit < 0:
        print(f"error: --limit: must be >= 0, got {args.limit}", file=sys.stderr)
        return 2
    try:
        base = load([args.base], "BASE")
        new = load([args.new], "NEW")
    except LoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name, path, results in (("BASE", args.base, base), ("NEW", args.new, new)):
        if not results.cells:   # a run that died before its first cell must not pass the gate
            print(f"error: {name}: {path!r} holds no result cells", file=sys.stderr)
            return 2
    result = compare(base, new, ignore_version=args.ignore_version)
    for warning in base.warnings + new.warnings:
        print(f"warning: {warning}", file=sys.stderr)
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
                                  ("regressions", "fixes", "new", "removed", "changed", "unchanged")))
    if args.json:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump({"base": args.base, "new": args.new, **result.as_dict()}, handle, indent=2,
                          default=str)
                handle.write("\n")
        except OSError as error:
            print(f"error: --json: cannot write {args.json!r}: {error.strerror or error}", file=sys.stderr)
            return 2
    return 1 if result.regressions else 0
