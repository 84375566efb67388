"""Known upstream defects: one TOML file per framework, named by its plugin
(``Plugin.known_issues_file``).

Each ``[[issue]]`` names the framework ``versions`` it applies to, the cells it explains
(``properties``, where ``"*"`` means any, and ``subjects``; optional ``dtypes``), text the failing cell's message must
contain (``message_contains``: all of them), the ``reason`` and a ``link``. A failing cell
that matches carries ``known_issue`` (reason and link) in its record; the cell stays ``fail``.
``python -m conformance run`` exits 0 when every failing cell is a known issue, unless
``--strict``.

A known issue only explains the failing example hypothesis shrank to: another defect in
the same cell would shrink to its own example, whose message must match too.
"""
import functools
import os
import tomllib

REQUIRED = ("versions", "properties", "subjects", "reason", "link")


@functools.lru_cache(maxsize=None)
def issues(framework):
    """The known issues of ``framework`` (a list of dicts); [] when it has no file or no
    plugin is registered under that name here."""
    from .frameworks import PluginError, get
    try:
        path = get(framework).known_issues_file
    except PluginError:
        return []
    if not path or not os.path.exists(path):
        return []
    with open(path, "rb") as handle:
        entries = tomllib.load(handle).get("issue", [])
    for index, entry in enumerate(entries):
        missing = [key for key in REQUIRED if not entry.get(key)]
        if missing:
            raise ValueError(f"{path}: issue {index} lacks {missing}")
        if not str(entry["link"]).startswith("https://"):
            raise ValueError(f"{path}: issue {index} link={entry['link']!r} is not a URL")
    return entries


def match(record):
    """The known issue explaining a failing result record, as {'reason', 'link'}, or None."""
    if record.get("outcome") != "fail":
        return None
    message = record.get("message") or ""
    for entry in issues(record["framework"]):
        if (str(record.get("framework_version")) in entry["versions"]
                and ("*" in entry["properties"] or record["property"] in entry["properties"])
                and record["subject"] in entry["subjects"]
                and record["dtype"] in entry.get("dtypes", [record["dtype"]])
                and all(text in message for text in entry.get("message_contains", []))):
            return {"reason": " ".join(entry["reason"].split()), "link": entry["link"]}
    return None
