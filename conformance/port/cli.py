"""``python -m conformance port SPEC``: run the port check a spec file describes
(``conformance.port.spec``), print the diagnosis, write the result as JSON.

Exit status: 0 the port passes (forward, gradients, and the optimizer step when the spec has
one); 1 it diverges (the diagnosis is printed); 2 a usage or spec error (one ``error:`` line
naming the field, never a traceback).
"""
import argparse
import json
import os
import sys
import textwrap
import warnings

from . import spec as spec_module
from .check import check
from .explain import diagnosis_lines
from .sides import PortError

EXIT_PASS, EXIT_DIVERGES, EXIT_INPUT = 0, 1, 2


def add_parser(commands):
    parser = commands.add_parser(
        "port", help="check that a model ported from one framework to another computes the same "
                     "(layer by layer, gradients, one optimizer step) and diagnose where not",
        description=__doc__.split("\n\n")[0].replace("``", "'"),
        epilog=textwrap.fill(" ".join(__doc__.split("\n\n")[1].split()), 88),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", metavar="SPEC", help="a TOML (.toml) or JSON spec file")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="write the result here (default: reports/port/<name>.json)")
    parser.add_argument("--no-json", action="store_true", help="write no result file")
    parser.add_argument("-q", "--quiet", action="store_true", help="print the verdict line only")
    parser.set_defaults(handler=run)
    return parser


def run(args):
    # chainer imports pkg_resources, whose deprecation warning would open the command's output
    # on every run (it says nothing about the port); only that one warning is silenced.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    try:
        spec = spec_module.load(args.spec)
        arguments = spec_module.arguments(spec)
        result = check(**arguments)
    except PortError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT
    if not args.quiet:
        print(render_text(result))
    else:
        print(verdict_line(result))
    if not args.no_json:
        path = args.json or os.path.join("reports", "port", f"{result['name'] or 'port'}.json")
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(result, handle, indent=1, default=_json_default, allow_nan=False)
        except OSError as error:
            print(f"error: --json: cannot write {path!r}: {error.strerror or error}", file=sys.stderr)
            return EXIT_INPUT
        print(f"result: {path}")
    return EXIT_PASS if result["verdict"] == "pass" else EXIT_DIVERGES


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def verdict_line(result):
    source, target = result["source"], result["target"]
    return (f"{result['name'] or 'port'}: {source['framework']} {source['version']} -> "
            f"{target['framework']} {target['version']} ({result['dtype']}): "
            f"{result['verdict'].upper()}")


def render_text(result):
    """The diagnosis in a few lines."""
    lines = [verdict_line(result)]
    compared = [row for row in result["layers"] if row.get("status") in ("ok", "diverges")]
    lines.append(f"  layers compared: {len(compared)} of {len(result['layers'])}; gradients: "
                 f"{len(result['gradients'])}; step: "
                 f"{'compared' if result['step'] else 'not compared'}")
    problems = [row for row in result["mapping"] if row.get("problem")] + \
               [dict(param, target=row["target"]) for row in result["mapping"]
                for param in row.get("params", []) if param.get("problem")]
    for row in problems[:5]:
        lines.append(f"  mapping: {row.get('target')} {row.get('role', '')}: {row['problem']}")
    lines += [f"  {line}" for line in diagnosis_lines(result["diagnosis"])]
    return "\n".join(lines)
