"""Managing the library and the conversations in the chat page, in Debian's chromium against a
real server: documents (upload by picker and by drag and drop, open, delete), conversations
(search, rename, export, delete), the theme, touch sizes, the question box's place, suggested
questions, and an axe-core audit at desktop and phone sizes. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_web import ask, browser, web_server  # noqa: F401 - browser is a fixture
from test_web import shot as shot_as

from assistant.settings import Settings

if TYPE_CHECKING:
    from api_fixtures import LiveServer

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
NOTE_NAME = "orchard-survey-notes.txt"
NOTE = """Orchard Survey Notes 2031

Harvest
The Velmora orchard harvested 3,450 crates of quinces in 2031, according to its keeper.

Staff
The orchard employed 14 pickers during the 2031 season.
"""
NOTE_QUESTION = "How many crates of quinces did the Velmora orchard harvest in 2031?"


@pytest.fixture(scope="module")
def server(api_settings: Settings, embedder: Any,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from api_fixtures import copy_index

    settings = copy_index(api_settings, tmp_path_factory.mktemp("web-manage") / "data",
                          allow_anonymous_writes=True)
    live = web_server(settings, embedder)
    yield live
    live.stop()


def new_page(browser: Any, size: dict[str, Any], **extra: Any) -> Any:  # noqa: F811
    context = browser.new_context(**size, **extra)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    return pg


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:  # noqa: F811
    """A fresh page at desktop and at phone size: every flow must work on both."""
    pg = new_page(browser, request.param)
    yield pg
    pg.context.close()
    assert not pg.errors, pg.errors


def shot(pg: Any, name: str, full_page: bool = True) -> None:
    """A screenshot under test-artifacts/, named for the viewport too (phone-*, desktop-*)."""
    size = "phone" if pg.viewport_size["width"] <= 900 else "desktop"
    shot_as(pg, f"{size}-{name}", full_page=full_page)


def show_panel(pg: Any, panel: str) -> None:
    """Open the sidebar panel ``panel`` (a <details>): phones start with both closed."""
    if not pg.evaluate("id => document.getElementById(id).open", panel):
        pg.click(f"#{panel} > summary")
    pg.wait_for_function("id => document.getElementById(id).open", arg=panel)


def close_source(pg: Any) -> None:
    """Close the source pane where it covers the page (a phone), so the sidebar is reachable."""
    close = pg.locator("#source-close")
    if close.is_visible() and pg.viewport_size["width"] <= 900:
        close.click()


def documents_listed(pg: Any) -> list[str]:
    return [x for x in pg.locator("#document-list li").evaluate_all(
        "items => items.map(i => i.dataset.doc)")]


def confirm(pg: Any, name: str) -> None:
    dialog = pg.locator("#confirm-dialog")
    dialog.wait_for()
    assert pg.locator("#confirm-dialog[open]").count() == 1
    shot(pg, name, full_page=False)
    pg.click("#confirm-yes")
    pg.locator("#confirm-dialog[open]").wait_for(state="detached")


def test_document_upload_ask_cite_open_delete(server: LiveServer, page: Any,
                                              tmp_path: Path) -> None:
    page.goto(server.url + "/")
    show_panel(page, "documents")
    page.locator("#document-list li").first.wait_for()
    before = documents_listed(page)
    meta = page.locator("#document-list .doc-meta").first.inner_text()
    assert "chunks" in meta and any(ch.isdigit() for ch in meta)
    shot(page, "documents-panel", full_page=False)

    note = tmp_path / NOTE_NAME
    note.write_text(NOTE, encoding="utf-8")
    page.set_input_files("#file-input", str(note))
    page.locator("#upload-status", has_text="Added").wait_for()
    page.locator("#document-list li[data-doc='orchard-survey-notes']").wait_for()
    assert len(documents_listed(page)) == len(before) + 1
    shot(page, "document-uploaded", full_page=False)

    answer = ask(page, NOTE_QUESTION)
    assert "3,450 crates" in answer.inner_text()
    answer.locator(".answer-text button.cite").first.click()
    page.locator("#source-text mark").wait_for()
    assert "3,450 crates" in (page.locator("#source-text mark").text_content() or "")
    assert page.locator("#source-title").inner_text().strip() == "Orchard Survey Notes 2031"
    shot(page, "document-cited", full_page=False)

    close_source(page)
    show_panel(page, "documents")
    page.locator("#document-list li[data-doc='orchard-survey-notes'] .doc-open").click()
    # Function forms: an expression string would be eval'd on each poll, which the page's CSP
    # forbids.
    page.wait_for_function(
        "() => document.getElementById('source-text').textContent.includes('14 pickers')")
    assert page.locator("#source-text mark").count() == 0
    assert (page.locator("#source-text").text_content() or "").startswith("Orchard Survey")
    shot(page, "document-open", full_page=False)

    close_source(page)
    show_panel(page, "documents")
    page.locator("#document-list li[data-doc='orchard-survey-notes'] .doc-delete").click()
    confirm(page, "document-delete-confirm")
    page.locator("#upload-status", has_text="Deleted").wait_for()
    assert documents_listed(page) == before
    with server.client() as http:
        assert http.get("/v1/documents/orchard-survey-notes").status_code == 404


def test_dropped_file_the_server_refuses_is_explained(server: LiveServer, page: Any) -> None:
    page.goto(server.url + "/")
    show_panel(page, "documents")
    page.locator("#document-list li").first.wait_for()
    page.evaluate("""() => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array([0, 1, 2, 3])], "tool.exe",
                                {type: "application/octet-stream"}));
        const zone = document.getElementById("dropzone");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true,
                                                      cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true,
                                                  cancelable: true}));
    }""")
    status = page.locator("#upload-status.error")
    status.wait_for()
    with server.client() as http:
        expected = http.post("/v1/documents", files={"file": ("tool.exe", b"\0\1\2\3")})
    assert expected.status_code == 415
    assert status.inner_text() == "Not uploaded: " + expected.json()["error"]["message"]
    shot(page, "upload-refused", full_page=False)


def test_conversation_search_rename_export_delete(server: LiveServer, page: Any) -> None:
    page.goto(server.url + "/")
    ask(page, "What was global tungsten output in 2024?")
    first = page.evaluate("window.assistantUI.state.conversationId")
    page.click("#new-conversation")
    ask(page, "Who is bidding for the mine projects?")
    second = page.evaluate("window.assistantUI.state.conversationId")
    show_panel(page, "history")
    page.locator(f"#conversation-list button[data-id='{second}']").wait_for()

    page.fill("#conversation-search", "global tungsten output")
    assert page.locator(f"#conversation-list button[data-id='{first}']").is_visible()
    assert page.locator(f"#conversation-list button[data-id='{second}']").count() == 0
    page.fill("#conversation-search", "")

    page.click(f"#conversation-list button[data-id='{first}']")
    page.wait_for_function("id => window.assistantUI.state.conversationId === id", arg=first)
    page.click("#rename-conversation")
    page.fill("#rename-input", "Output figures")
    shot(page, "conversation-rename", full_page=False)
    page.press("#rename-input", "Enter")
    show_panel(page, "history")  # a phone folds the list away once a conversation is picked
    page.locator(f"#conversation-list button[data-id='{first}']",
                 has_text="Output figures").wait_for()
    assert page.locator("#conversation-title").inner_text() == "Output figures"
    with server.client() as http:
        assert http.get(f"/v1/conversations/{first}").json()["title"] == "Output figures"
        citation = http.get(f"/v1/conversations/{first}").json()["turns"][0]["answer"][
            "citations"][0]

    with page.expect_download() as markdown:
        page.click("#export-markdown")
    text = Path(markdown.value.path()).read_text(encoding="utf-8")
    assert markdown.value.suggested_filename == f"{first}.md"
    assert text.startswith("# Output figures\n") and f"\u201c{citation['quote']}\u201d" in text
    assert f"[{citation['id']}] **{citation['title']}**" in text
    with page.expect_download() as exported:
        page.click("#export-json")
    data = json.loads(Path(exported.value.path()).read_text(encoding="utf-8"))
    assert data["id"] == first and data["turns"][0]["answer"]["citations"][0] == citation

    page.click("#delete-conversation")
    confirm(page, "conversation-delete-confirm")
    page.locator(f"#conversation-list button[data-id='{first}']").wait_for(state="detached")
    assert page.evaluate("window.assistantUI.state.conversationId") is None
    assert page.locator("#thread .turn").count() == 0
    with server.client() as http:
        assert http.get(f"/v1/conversations/{first}").status_code == 404
        assert http.get(f"/v1/conversations/{second}").status_code == 200


def background(pg: Any) -> str:
    return str(pg.evaluate("getComputedStyle(document.body).backgroundColor"))


def test_theme_follows_the_system_and_the_toggle_is_remembered(server: LiveServer,
                                                               browser: Any) -> None:  # noqa: F811
    pg = new_page(browser, DESKTOP, color_scheme="dark")
    try:
        pg.goto(server.url + "/")
        dark = background(pg)
        assert pg.locator("#theme-toggle").inner_text() == "Light theme"
        ask(pg, "What was global tungsten output in 2024?")
        shot(pg, "theme-dark", full_page=False)
        pg.click("#theme-toggle")
        light = background(pg)
        assert light != dark and pg.evaluate("document.documentElement.dataset.theme") == "light"
        pg.reload()
        assert background(pg) == light, "the choice is remembered over the system's"
        shot(pg, "theme-light", full_page=False)
        pg.click("#theme-toggle")
        assert background(pg) == dark
    finally:
        pg.context.close()
    assert not pg.errors, pg.errors


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_question_box_never_covers_the_thread(server: LiveServer, browser: Any,  # noqa: F811
                                               size: dict[str, Any]) -> None:
    pg = new_page(browser, size)
    try:
        pg.goto(server.url + "/")
        for question in ("What was global tungsten output in 2024?", "And in 2023?",
                         "Who is bidding for the mine projects?"):
            answer = ask(pg, question)
            pg.wait_for_timeout(100)  # the conversation list and bar refresh after an answer
            last = pg.locator("#thread .turn").last.bounding_box()
            pane = pg.locator("#scroller").bounding_box()
            box = pg.locator("#ask-form").bounding_box()
            assert last and pane and box
            # The thread's visible area ends above the box, and the newest answer's end is in it.
            assert pane["y"] + pane["height"] <= box["y"] + 1, (pane, box)
            assert pane["y"] - 1 <= last["y"] + last["height"] <= pane["y"] + pane["height"] + 1
            assert answer.is_visible()
        name = "phone" if size is PHONE else "desktop"
        shot(pg, f"thread-above-input-{name}", full_page=False)
    finally:
        pg.context.close()


def test_touch_targets_are_44px(server: LiveServer, browser: Any) -> None:  # noqa: F811
    pg = new_page(browser, PHONE)
    try:
        pg.goto(server.url + "/")
        assert pg.evaluate("matchMedia('(pointer: coarse)').matches")
        ask(pg, "What was global tungsten output in 2024?")
        pg.click("#history summary")
        pg.click("#documents summary")
        small = pg.evaluate("""() => [...document.querySelectorAll(
                'button, summary, input, label.btn, textarea, a[href]')]
            .filter(e => e.offsetParent !== null && !e.closest('.visually-hidden'))
            .map(e => [e.id || e.className || e.tagName, e.getBoundingClientRect()])
            .filter(([, r]) => r.width > 0 && (r.width < 44 || r.height < 44))
            .map(([n, r]) => n + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))""")
        assert small == [], small
        shot(pg, "phone-touch-targets")
    finally:
        pg.context.close()


def test_suggested_questions_come_from_the_documents(server: LiveServer, page: Any) -> None:
    with server.client() as http:
        suggestions = http.get("/v1/suggestions").json()["suggestions"]
        titles = {d["title"] for d in http.get("/v1/documents").json()["documents"]}
    assert suggestions and {s["title"] for s in suggestions} <= titles
    page.goto(server.url + "/")
    buttons = page.locator("#suggestion-list button")
    buttons.first.wait_for()
    assert buttons.all_inner_texts() == [s["question"] for s in suggestions]
    placeholder = page.get_attribute("#question", "placeholder") or ""
    assert "?" not in placeholder, "no fixed example question"
    shot(page, "suggestions", full_page=False)
    buttons.first.click()
    page.locator("#thread .answer[aria-busy='false']").first.wait_for()
    assert page.locator("#thread .question").first.inner_text() == suggestions[0]["question"]
    assert page.locator("#suggestions").is_hidden()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_issue(server: LiveServer, browser: Any,  # noqa: F811
                                     size: dict[str, Any], scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    pg = new_page(browser, size, color_scheme=scheme)
    axe = Axe()
    try:
        pg.goto(server.url + "/")
        pg.locator("#suggestion-list button").first.wait_for()
        states = {"empty": axe.run(pg)}
        answer = ask(pg, "What was global tungsten output in 2024?")
        states["answered"] = axe.run(pg)
        answer.locator(".answer-text button.cite").first.click()
        pg.locator("#source-text mark").wait_for()
        states["source"] = axe.run(pg)
        pg.click("#source-close")
        pg.click("#delete-conversation")
        pg.locator("#confirm-dialog[open]").wait_for()
        states["dialog"] = axe.run(pg)
        pg.click("#confirm-no")
        bad = {name: [(v["id"], v["impact"], len(v["nodes"])) for v in result.response[
            "violations"] if v["impact"] in ("serious", "critical")]
               for name, result in states.items()}
        assert all(not found for found in bad.values()), bad
    finally:
        pg.context.close()
