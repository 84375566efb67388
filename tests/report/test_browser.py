"""The report in a real browser: headless Chromium loads the page from file://, runs its
script, and the DOM it dumps holds the matrix, an opened drill-down and the differences
table; a screenshot is saved.

Skips, with the reason, where no Chromium is installed (``scripts/install_chromium.sh``).
Environment: ``REPORT_BROWSER_RESULTS`` (result files or a directory; default the fixed real
cells in tests/report/data; reports/baseline for the README screenshot) and ``REPORT_SCREENSHOT`` (e.g.
``reports/screenshot.png``; default a temporary file).
"""
import os
import re
import shutil
import subprocess
import time

import pytest
from report_cells import BASELINE

from conformance.report import html
from conformance.report.analysis import analyse
from conformance.report.load import load

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio"]


def chromium():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


pytestmark = pytest.mark.skipif(
    chromium() is None, reason="no Chromium found (chromium, chromium-browser, google-chrome or "
                               "$CHROMIUM); install it with scripts/install_chromium.sh")


def run_chromium(tmp_path, *arguments):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *arguments],
                          check=False, capture_output=True, text=True, timeout=120)
    return done, time.perf_counter() - started


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    directory = tmp_path_factory.mktemp("browser")
    source = os.environ.get("REPORT_BROWSER_RESULTS", BASELINE)
    report = analyse(load([source]))
    path = directory / "index.html"
    path.write_text(html.render(report), encoding="utf-8")
    return directory, path, report


def first_drill_id(text):
    return re.search(r'<details class="drill st-\w+" id="(d-[0-9a-f]{12})"(?![^>]* open)', text).group(1)


def test_dom_after_scripts_has_matrix_drilldown_and_differences(page):
    directory, path, report = page
    target = first_drill_id(path.read_text(encoding="utf-8"))
    done, seconds = run_chromium(directory, "--dump-dom", f"{path.as_uri()}#{target}")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert 'data-js="ready"' in dom, "the report's script did not run"
    assert re.search(r'<div class="filters" id="filters">', dom), "the filter bar stayed hidden"
    assert "matrix rows shown" in dom
    assert dom.count('<tr class="row"') == len(report.matrix.rows()) > 0
    assert re.search(rf'<details class="drill st-\w+" id="{target}"[^>]* open=""', dom), \
        "the linked drill-down was not opened"
    assert '<table class="plain diff">' in dom
    assert dom.count("<tr data-filter") >= len(report.differences)
    assert re.search(r'<button type="button" class="copy">Copy</button>', dom)
    print(f"chromium dump-dom: {seconds:.2f} s for {path.stat().st_size / 1024:.0f} KiB")


def test_filter_from_the_address_hides_other_rows(page):
    directory, path, report = page
    rows = report.matrix.rows()
    wanted = rows[0].prop.lower()
    matching = sum(1 for row in rows if wanted in " ".join(
        [row.prop, row.subject] + [c.get("message") or "" for cs in row.entries.values() for c in cs]).lower())
    done, _ = run_chromium(directory, "--dump-dom", f"{path.as_uri()}?q={wanted}&state=pass,fail,error,skip")
    assert done.returncode == 0, done.stderr[-2000:]
    shown = re.findall(r'<tr class="row"(?! filtered-out)[^>]*>', done.stdout)
    hidden = re.findall(r'<tr class="row filtered-out"', done.stdout)
    assert len(shown) == matching and len(shown) + len(hidden) == len(rows)
    assert f"{matching} of {len(rows)} matrix rows shown" in done.stdout
    done, _ = run_chromium(directory, "--dump-dom", f"{path.as_uri()}?state=none")
    assert f"0 of {len(rows)} matrix rows shown" in done.stdout


def test_screenshot(page, tmp_path):
    directory, path, _ = page
    shot = tmp_path / "screenshot.png"
    done, seconds = run_chromium(directory, f"--screenshot={shot}", "--window-size=1400,1000",
                                 path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 1000)
    keep = os.environ.get("REPORT_SCREENSHOT")
    if keep:
        os.makedirs(os.path.dirname(os.path.abspath(keep)), exist_ok=True)
        shutil.copyfile(shot, keep)
    print(f"chromium screenshot: {seconds:.2f} s")
