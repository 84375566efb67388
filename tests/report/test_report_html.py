"""The HTML page: escaping, self-containment, links, and what each section shows."""
import re
from html.parser import HTMLParser

import pytest
from report_cells import BASELINE, cell, header, rich_run, write_jsonl

from conformance.report import html
from conformance.report.analysis import analyse
from conformance.report.load import load

HOSTILE = "<script>alert('x')</script>"


class Collector(HTMLParser):
    """Ids, local links, external references and the script/style/text of a page."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.external, self.scripts, self.stack = set(), [], [], [], []
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in ("br", "meta", "input", "line", "circle", "rect", "path"):
            self.stack.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            value = attrs.get(name)
            if value is None:
                continue
            if value.startswith("#"):
                self.links.append(value[1:])
            else:
                self.external.append(value)
        if tag == "script":
            self.scripts.append(attrs)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] not in ("script", "style"):
            self.text.append(data)


def parse(page):
    collector = Collector()
    collector.feed(page)
    return collector


@pytest.fixture
def rich_page(tmp_path):
    rich_run(tmp_path)
    return html.render(analyse(load([str(tmp_path)])))


def test_strings_from_results_are_escaped(tmp_path):
    records = [header(platform=HOSTILE, harness_commit="<b>c</b>"),
               cell(prop="grad.<i>x</i>", subject="<img src=x onerror=alert(1)>", version="<v>",
                    outcome="fail", message=HOSTILE, repro="print('</pre><script>')",
                    reproduce_blob="<blob>", oracle=HOSTILE),
               cell(subject="sk", outcome="skip", message=f"skip {HOSTILE}")]
    page = html.render(analyse(load([str(write_jsonl(tmp_path / "h.jsonl", records))])))
    assert HOSTILE not in page and "<img src=x" not in page and "<blob>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "print(&#x27;&lt;/pre&gt;&lt;script&gt;&#x27;)" in page
    collector = parse(page)
    assert len(collector.scripts) == 1          # only the report's own inline script
    assert collector.external == []             # and no <img src> got through
    text = "".join(collector.text)
    assert HOSTILE in text                      # the message is shown, as text


def test_page_is_self_contained(rich_page):
    collector = parse(rich_page)
    assert collector.external == []
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", rich_page)
    assert "@import" not in rich_page and "url(" not in rich_page
    assert all(not s.get("src") for s in collector.scripts)


def test_every_local_link_has_its_target(rich_page):
    collector = parse(rich_page)
    missing = sorted(set(collector.links) - collector.ids)
    assert missing == []
    assert len(collector.links) > 20


def test_sections_of_the_rich_page(rich_page):
    collector = parse(rich_page)
    for section in ("matrix", "differences", "versions", "charts", "details", "environment", "regressions"):
        assert section in collector.ids
    assert 'class="matrix"' in rich_page and 'class="drill st-fail"' in rich_page
    assert "torch 2.13.0 → 2.14.1" in rich_page and "chainer 5.4.0 → 7.8.1" in rich_page
    assert "output_grad_after_backward" in rich_page
    assert "no CUDA device" in rich_page                          # a skip reason
    assert "NVIDIA H100" in rich_page and "580.1" in rich_page    # environment from headers
    assert "truncated last line" in rich_page                     # the load warning
    assert rich_page.count('<svg class="chart"') == 2
    assert "min(max_abs_err / atol, max_rel_err / rtol)" in rich_page
    assert re.search(r'class="st-fail"[^>]*><a href="#d-[0-9a-f]{12}">✗ 1/2</a>', rich_page)
    assert "contradicted" in rich_page


def test_failing_drill_downs_start_open_and_passing_ones_closed(rich_page):
    opened = re.findall(r'<details class="drill st-(\w+)"[^>]*?( open)?>', rich_page)
    assert {state for state, is_open in opened if is_open} == {"fail", "error"}
    assert any(state == "pass" and not is_open for state, is_open in opened)


def test_real_baseline_page():
    page = html.render(analyse(load([BASELINE])))
    collector = parse(page)
    assert set(collector.links) <= collector.ids
    assert "Every cell that ran passed" in page
    assert page.count('<tr class="row"') == len({(c["property"], c["subject"])
                                                 for c in load([BASELINE]).cells})
    assert "proven" in page and "free_graph_after_backward" in page
    assert "one version of each" in page
    assert len(page) < 2_000_000


def test_fields_of_a_newer_harness_are_shown_and_area_only_properties_label_by_subject(tmp_path):
    oracles = {"refimpl float64": {"agree": 8, "disagree": 0}, "central differences": {"agree": 8, "disagree": 1}}
    records = [cell(prop="forward", subject="clip", outcome="fail", oracles=oracles,
                    tolerance_reason="float16 value: base", falsifying_example="Draw 1:\n  x=array(1.)")]
    page = html.render(analyse(load([str(write_jsonl(tmp_path / "n.jsonl", records))])))
    assert "<th>tolerance_reason</th><td>float16 value: base</td>" in page
    assert '<th>oracles</th><td><pre class="extra">{\n &quot;central differences&quot;: {' in page
    assert '<pre class="extra">Draw 1:\n  x=array(1.)</pre>' in page
    assert '<th scope="row"><span class="prop">clip</span></th>' in page


def test_without_its_script_the_page_hides_nothing_but_the_controls_that_need_it(rich_page):
    static = re.sub(r"<script>.*?</script>", "", rich_page, flags=re.DOTALL)
    # tags with a hidden attribute (attribute values, such as a field's doc in data-text, may
    # say "hidden" too: they are blanked before looking)
    hidden = [tag for tag in re.findall(r"<[^>]+>", static)
              if re.search(r"\shidden\b", re.sub(r'"[^"]*"', '""', tag))]
    assert hidden and all('id="filters"' in tag or 'class="copy"' in tag for tag in hidden)
    assert "filtered-out" not in re.sub(r"<style>.*?</style>", "", static, flags=re.DOTALL)
    collector = parse(static)
    assert {"matrix", "differences", "versions", "charts", "details", "environment"} <= collector.ids
    assert static.count('<details class="drill') == len(re.findall(r'<a href="#d-[0-9a-f]{12}">[✓✗!–]', static))


def test_known_upstream_defects_are_named_and_linked(tmp_path):
    from report_cells import cell, header, write_jsonl
    from conformance.__main__ import main
    issue = {"reason": "x ** 0 has a NaN gradient at 0 <b>", "link": "https://example.org/issue"}
    path = tmp_path / "r.jsonl"
    write_jsonl(path, [header(), cell(outcome="fail", message="nan vs 0.0", known_issue=issue),
                       cell(subject="exp")])
    out = tmp_path / "r.html"
    assert main(["report", "--results", str(path), "--out", str(out), "--no-baseline"]) == 0
    page = out.read_text()
    assert "1 failing (1 of them documented upstream defects)" in page
    assert 'known upstream defect</th><td>x ** 0 has a NaN gradient at 0 &lt;b&gt; <a href="https://example.org/issue">' in page
