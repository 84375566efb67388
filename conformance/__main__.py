"""Command line: ``python -m conformance <command>``.

Commands: ``verify-semantics`` (refimpl's policies vs the real frameworks). Planned:
``run`` (property suites), ``report`` (HTML/JSON/JUnit from result files), ``compare``
(regression gate between two result sets).
"""
import argparse
import importlib
import signal
import sys

# Commands implemented in their own modules: each exposes ``add_parser(commands)``, which adds
# its subparser and sets ``handler``. A module that does not exist yet gets a placeholder.
DELEGATED = {
    "run": ("conformance.runner", "run the property suites (hypothesis) and record cells"),
    "report": ("conformance.report.cli", "turn result files into an HTML report, a JSON summary, "
                                         "JUnit XML and CTRF JSON"),
    "compare": ("conformance.report.compare_cli", "compare two result sets; exit non-zero on regressions"),
    "port": ("conformance.port.cli", "check a model port layer by layer (issue 18)"),
}


def _split(text):
    return [part.strip() for part in text.split(",") if part.strip()]


def _outcome_label(cell):
    return cell["outcome"].upper()


def verify_semantics(args):
    from . import verify
    from .recorder import Recorder

    rows = []

    def show(cell):
        rows.append(cell)
        if not args.quiet:
            print(f"{cell['property'][len('semantics.'):]:<44} {cell['subject']:<34} "
                  f"{cell['framework']:<8} {_outcome_label(cell)}", flush=True)
            if cell["outcome"] != "pass" and cell["message"] and args.verbose:
                print(f"    {cell['message']}", flush=True)

    if not args.quiet:
        print(f"{'case':<44} {'field':<34} {'framework':<8} outcome")
    try:
        recorder = Recorder(args.out, append=args.append)
    except OSError as error:
        print(f"error: --out={args.out!r}: {error.strerror or error}", file=sys.stderr)
        return 2
    try:
        with recorder:
            try:
                cells = verify.verify(_split(args.frameworks), recorder,
                                      _split(args.cases or ""), on_cell=show)
            except KeyboardInterrupt as stop:
                _footer(recorder, "interrupted", f"{stop.args[0] if stop.args else 'SIGINT'}")
                raise
            except BaseException as error:
                _footer(recorder, "crashed", f"{type(error).__name__}: {error}")
                raise
            _footer(recorder, "complete")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems = [cell for cell in cells if cell["outcome"] in ("fail", "error")]
    if problems and not args.verbose:
        from . import frameworks
        oracle = frameworks.reference().name
        print("\nfailures:")
        for cell in problems:
            print(f"- {cell['property']} [{cell['framework']} {cell['framework_version']}, "
                  f"{oracle} semantics {cell['semantics']}] {cell['outcome'].upper()}: {cell['message']}")
    print("\nsummary:")
    for (framework, version), counts in verify.summarize(cells).items():
        print(f"  {framework} {version or '(unavailable)'}: " +
              ", ".join(f"{counts[k]} {k}" for k in ("pass", "fail", "error", "skip")))
    skips = {cell["message"] for cell in cells if cell["outcome"] == "skip"}
    for reason in sorted(skips):
        print(f"  skipped: {reason}")
    if args.out:
        print(f"results: {args.out}")
    return 1 if problems else 0


def _footer(recorder, status, reason=None):
    """The footer of the verify-semantics run in ``recorder`` (none before its header)."""
    from .recorder import footer
    headers = [r for r in recorder.records if r.get("kind") == "header"]
    if headers:
        cells = sum(1 for r in recorder.records if r.get("kind") == "cell")
        planned = cells if status == "complete" else max(cells, headers[-1].get("planned") or 0)
        recorder.write(footer(headers[-1].get("run_id"), status, planned, cells, reason))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    from . import frameworks
    others = [name for name in frameworks.names() if not frameworks.get(name).reference]
    semantics = commands.add_parser(
        "verify-semantics", help=f"check {frameworks.reference().name}'s semantics policies "
                                 f"against {' / '.join(others)}")
    semantics.add_argument("--frameworks", default=",".join(others),
                           help=f"comma-separated: {', '.join(others)} (default: all of them)")
    semantics.add_argument("--out", default=None, help="JSON-lines result file to write")
    semantics.add_argument("--append", action="store_true", help="append to --out instead of replacing it")
    semantics.add_argument("--cases", default=None, help="comma-separated case names (default: all)")
    semantics.add_argument("-v", "--verbose", action="store_true", help="print messages under each row")
    semantics.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    semantics.set_defaults(handler=verify_semantics)

    for name, (module_name, text) in DELEGATED.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if not module_name.startswith(error.name or "\0"):
                raise
            planned = commands.add_parser(name, help=f"(not implemented yet) {text}")
            planned.set_defaults(handler=lambda args, name=name, text=text: _planned(name, text))
        else:
            module.add_parser(commands)

    args = parser.parse_args(argv)
    return args.handler(args)


def _planned(name, text):
    print(f"'{name}' is not implemented yet: {text}", file=sys.stderr)
    return 2


def _interrupt(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


if __name__ == "__main__":
    # SIGINT and SIGTERM stop a command with one line and exit status 3 (``run`` handles them
    # itself: it stops pytest and writes its footer first), never a traceback.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        status = main()
    except KeyboardInterrupt as stop:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(f"interrupted ({stop.args[0] if stop.args else 'SIGINT'})", file=sys.stderr)
        status = 3
    sys.exit(status)
