"""Every page reachable from the navigation, crawled as every demo role (and anonymously) in
Japanese: no raw code, no English-only sentence, no UTC timestamp, no over-long decimal.

The crawl follows every same-origin link (GET only; downloads, the API, static files, the
language switch and logout are skipped) from ``/`` and from the navigation of each page, and
checks the visible text of each HTML page (``<code>``, ``.mono``, scripts and styles are not
prose). It also posts the public estimator once per kind, since its result is a page too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urldefrag
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from jcredit.domain.projects.estimate import INPUTS as ESTIMATE_INPUTS
from tests.e2e.support import demo_client
from tests.e2e.support import web_log_in as log_in

ROLES = (None, "admin", "auditor", "midori", "hinoki", "shoji", "taiyo", "shinsa", "iinkai")
SKIPPED_PREFIXES = ("/api/", "/static/", "/lang/", "/logout")
SKIPPED_SUFFIXES = (".pdf", ".csv", ".json", ".jsonl", ".txt")
MAX_PAGES = 400
# Error pages no link leads to: another organisation's account and notice, records that do
# not exist, pages of other roles, a path that is no page.
ERROR_PAGES = ("/accounts/H-0000009-1", "/invalidations/1/notice", "/projects/JCP-999999",
               "/invalidations/999", "/methodologies/XX-000", "/journal", "/agenda", "/queue",
               "/no-such-page", "/issuances/999")

# Upper-case words that are names, not codes: units, schemes, standards, file types.
ALLOWED_CAPS = {
    "RE100", "CDP", "SBT", "SBTI", "FIT", "FIP", "PDF", "CSV", "API", "JST", "JSON", "HTML",
    "UTF", "SHA", "CO2", "JCM", "GHG", "LPG", "LNG", "PCS", "IOT", "MRV", "DMRV", "STEP0",
    "ISBN", "URL", "HTTP", "HTTPS", "NDC", "SCOPE", "EV", "PHEV", "OK", "TCO2",
    "SHIFT", "ASSET",  # 環境省 SHIFT/ASSET事業, a programme's name
}
CODE = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?![\w-])")
# An English word has a lower-case letter (RE100, CDP, SBT are names, checked as codes).
WORD = r"(?=[A-Za-z']*[a-z])[A-Za-z][A-Za-z']+"
ENGLISH_RUN = re.compile(rf"(?<![\w-]){WORD}(?:[ ,;:]+{WORD}){{2,}}")
UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|[+-]00:00\b|\bUTC\b")
LONG_DECIMAL = re.compile(r"(?<![\w.])\d[\d,]*\.\d{4,}")
# t("key") shows the key itself when the catalog lacks it: a snake_case word on a page.
MESSAGE_KEY = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")


class VisibleText(HTMLParser):
    """The text a reader sees and the links. Not prose: <code>, <var> (a symbol in a
    formula), .mono (numbers, hashes, sources), .user-text (what an organisation wrote
    itself, e.g. a case's title and summary: its own words, English names included),
    scripts, styles, and an element marked ``lang`` other than Japanese (a deliberate
    English name beside the Japanese one)."""

    HIDDEN = frozenset({"script", "style", "code", "var", "pre", "template", "title"})
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                      "meta", "source", "track", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") and "download" not in values:
            self.links.append(str(values["href"]))
        if tag in self.VOID:
            return
        classes = str(values.get("class") or "").split()
        foreign = values.get("lang") not in (None, "ja") and tag != "html"
        hidden = (tag in self.HIDDEN or "mono" in classes or "user-text" in classes
                  or foreign
                  or (bool(self.stack) and self.stack[-1]))
        self.stack.append(hidden)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def problems_in(text: str) -> list[str]:
    """What a Japanese reader should not see in ``text``."""
    found = [f"raw code {m!r}" for m in CODE.findall(text)
             if len(m) >= 4 and m not in ALLOWED_CAPS]
    found += [f"English {m!r}" for m in ENGLISH_RUN.findall(text)]
    found += [f"UTC time {m!r}" for m in UTC_TIME.findall(text)]
    found += [f"long decimal {m!r}" for m in LONG_DECIMAL.findall(text)]
    found += [f"untranslated key {m!r}" for m in MESSAGE_KEY.findall(text)]
    return found


def crawlable(href: str) -> str | None:
    """The path of a link the crawl follows, or None."""
    url, _ = urldefrag(href)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path
    if not path.startswith("/") or path.startswith(SKIPPED_PREFIXES) or path.endswith(
            SKIPPED_SUFFIXES):
        return None
    return f"{path}?{parts.query}" if parts.query else path


def crawl(client: TestClient) -> Iterator[tuple[str, int, str]]:
    """Each page reached from ``/`` (and each of ERROR_PAGES): path, status, visible text."""
    queue, seen = ["/", *ERROR_PAGES], {"/", *ERROR_PAGES}
    while queue:
        path = queue.pop(0)
        response = client.get(path)
        assert response.status_code < 500, f"{path}: {response.status_code}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = VisibleText()
        parser.feed(response.text)
        yield path, response.status_code, parser.text
        for href in parser.links:
            target = crawlable(href)
            if target and target not in seen and len(seen) < MAX_PAGES:
                seen.add(target)
                queue.append(target)


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        yield test_client


def test_problems_in_finds_what_a_reader_should_not_see() -> None:
    assert problems_in("2026年12月1日 19:30 · 42.78 t-CO2 · RE100 · EN-R-002 · 岐阜県") == []
    assert problems_in("区分: RENEWABLE_POWER") == ["raw code 'RENEWABLE_POWER'"]
    assert problems_in("状態 HOLDING") == ["raw code 'HOLDING'"]
    assert problems_in("You may not do this") == ["English 'You may not do this'"]
    assert problems_in("CDP SBT RE100") == []
    assert problems_in("エラー error_help_404") == ["untranslated key 'error_help_404'"]
    assert problems_in("2026-12-01T10:30:09.944695+00:00")[0].startswith("UTC time")
    assert problems_in("42.78363157894736842105263157 t/年") == [
        "long decimal '42.78363157894736842105263157'"]


def test_visible_text_skips_code_and_mono_and_collects_links() -> None:
    parser = VisibleText()
    parser.feed('<p>見える<br><span class="mono">HIDDEN_CODE</span><code>NOT SHOWN HERE</code>'
                '<var>EM_BL</var><span lang="en">English name here</span>'
                '<a href="/a">リンク</a><a href="/x.pdf" download>PDF</a></p>')
    assert parser.text == "見える リンク PDF"
    assert parser.links == ["/a"]


@pytest.mark.parametrize("username", ROLES)
def test_every_page_in_japanese_has_no_raw_code_english_utc_or_long_decimal(
        client: TestClient, username: str | None) -> None:
    client.cookies.set("lang", "ja")
    if username:
        log_in(client, username)
    pages = {}
    found = []
    for path, status, text in crawl(client):
        pages[path] = status
        found += [f"{path}: {problem}" for problem in problems_in(text)]
    assert len(pages) >= (4 if username is None else 6), pages
    assert not found, "\n".join(sorted(set(found)))


def test_every_estimate_result_in_japanese_reads_as_japanese(client: TestClient) -> None:
    client.cookies.set("lang", "ja")
    found = []
    for kind, specs in ESTIMATE_INPUTS.items():
        values = {s.name: str(s.default) for s in specs if s.default is not None}
        values |= {s.name: "0.8765" if s.name.endswith(("share", "efficiency")) else "123.4567"
                   for s in specs if s.default is None and s.kind != "choice"}
        values |= {s.name: s.choices[0] for s in specs if s.default is None and s.choices}
        response = client.post("/estimate", data={"kind": kind, **values})
        assert response.status_code == 200, (kind, response.text[:500])
        parser = VisibleText()
        parser.feed(response.text)
        assert 'id="result"' in response.text, kind
        found += [f"{kind}: {problem}" for problem in problems_in(parser.text)]
    assert not found, "\n".join(sorted(set(found)))
