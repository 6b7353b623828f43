"""``nianbao serve`` in a real headless Chromium: the page follows the YAML by itself.

A serve child process previews a one-report repository; Chromium, driven through the
DevTools protocol, opens the report's page.  Then the test only edits the YAML and
watches the DOM: a changed figure appears, a broken file turns the page into its
diagnostics, and the fix brings the report back, without the test ever reloading the
page (a marker set in the page is gone each time, so the page reloaded itself).
Skipped when ``chromium`` is not on PATH.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .serving import Chromium, ServeProcess, wait_until, write_report
from .support import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt install chromium)"),
    pytest.mark.skipif(sys.platform == "win32", reason="stops serve with SIGINT"),
]

MARK = "window.__nianbao_test = 'still here'"
MARKED = "window.__nianbao_test === 'still here'"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # the config search stops here
    write_report(repo, 1234)
    return repo


@pytest.fixture
def served(repo: Path) -> Iterator[ServeProcess]:
    with ServeProcess(repo) as serve:
        serve.started()
        yield serve
        assert serve.stop() == 130, serve.text()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    chromium = Chromium(tmp_path / "profile")
    try:
        yield chromium
    finally:
        chromium.close()


def text(browser: Chromium, tab: str) -> str:
    return str(browser.evaluate(tab, "document.body ? document.body.innerText : ''") or "")


def reloaded_showing(browser: Chromium, tab: str, wanted: str, what: str) -> str:
    """Wait until the page reloaded by itself (marker gone) and shows ``wanted``."""

    def shown() -> str | None:
        if browser.evaluate(tab, MARKED) is not False:
            return None  # not reloaded yet, or navigating
        page = text(browser, tab)
        return page if wanted in page else None

    page = wait_until(shown, what)
    browser.evaluate(tab, MARK)
    return page


def test_page_follows_edits_breakage_and_fix(
    repo: Path, served: ServeProcess, browser: Chromium
) -> None:
    """Edit a figure, break the YAML, fix it: the open page shows each state by itself."""
    source = repo / "reports" / "test-agency" / "2022.yaml"
    tab = browser.open(served.url + "test-agency/2022.html")
    wait_until(lambda: "1234" in text(browser, tab), "the report's first version")
    wait_until(lambda: browser.evaluate(tab, "typeof EventSource") == "function", "scripts")
    browser.evaluate(tab, MARK)

    write_report(repo, 4321)
    page = reloaded_showing(browser, tab, "4321", "the edited figure")
    assert "1234" not in page

    write_report(repo, '"<b>一千</b>"')
    page = reloaded_showing(browser, tab, "SCHEMA-TYPE", "the diagnostics of the broken file")
    assert "reports/test-agency/2022.yaml:6:14" in page
    assert "表二 › 行政许可" in page
    assert "应为" in page and "实为" in page and "提示" in page
    assert "<b>一千</b>" in page  # shown as text: escaped, not markup
    assert browser.evaluate(tab, "document.querySelector('#nianbao-diagnostics b')") is None

    write_report(repo, 5678)
    page = reloaded_showing(browser, tab, "5678", "the report after the fix")
    assert "SCHEMA-TYPE" not in page
    assert source.read_text(encoding="utf-8").count("5678") == 1
