"""The chat web UI, driven in Debian's chromium by Playwright against a real uvicorn server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assistant.app import create_app
from assistant.index.loaded import IndexHolder
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.web import mount_web

if TYPE_CHECKING:
    from api_fixtures import LiveServer

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TUNGSTEN = "What was global tungsten output in 2024?"
HOSTILE_TEXT = """Zorblax Bismuth Mine Annual Note

The Zorblax mine in Nevada produced 4,200 tons of bismuth in 2023 \
<script>window.__pwned=1</script> according to its operator.
The operator also reported <img src=x onerror="window.__pwned=1"> new drilling at the site.
"""


def web_server(settings: Settings, embedder: Any) -> LiveServer:
    from api_fixtures import LiveServer  # the plugin, loaded by pytest_plugins

    app = create_app(settings, Assistant(settings, IndexHolder(settings, embedder)))
    mount_web(app, settings)  # a no-op once create_app does it itself
    return LiveServer(app).start()


@pytest.fixture(scope="module")
def server(api_settings: Settings, embedder: Any,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from api_fixtures import copy_index

    settings = copy_index(api_settings, tmp_path_factory.mktemp("web") / "data")
    live = web_server(settings, embedder)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def hostile_server(embedder: Any,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from api_fixtures import CORPUS

    from assistant.ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("web-hostile")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "zz-hostile.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    settings = Settings(data_dir=root / "data", api_keys=[], allow_anonymous_writes=False,
                        cors_origins=[])
    report = ingest([corpus], settings, embedder=embedder)
    assert not report.errors
    live = web_server(settings, embedder)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(60_000)
    yield pg
    context.close()
    assert not errors, errors


def shot(pg: Any, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def assert_in_view(pg: Any, selector: str) -> None:
    """The element is scrolled into the window (and into its scrolling pane)."""
    assert pg.locator(selector).is_visible()
    inside = pg.evaluate("""s => {
        const r = document.querySelector(s).getBoundingClientRect();
        const box = document.getElementById('source-text').getBoundingClientRect();
        return r.top >= Math.max(0, box.top) - 1 && r.top < Math.min(innerHeight, box.bottom);
    }""", selector)
    debug = pg.evaluate("""s => JSON.stringify([document.querySelector(s).getBoundingClientRect(),
        document.getElementById('source-text').getBoundingClientRect(),
        document.getElementById('source-pane').getBoundingClientRect(), innerHeight,
        document.getElementById('source-text').scrollTop, scrollY])""", selector)
    assert inside, f"{selector} is not scrolled into view {debug}"


def ask(pg: Any, question: str) -> Any:
    """Type a question, press Enter, and return the finished answer's locator."""
    before = pg.locator("#thread .answer[aria-busy='false']").count()
    pg.fill("#question", question)
    pg.press("#question", "Enter")
    answers = pg.locator("#thread .answer[aria-busy='false']")
    answers.nth(before).wait_for()
    return answers.nth(before)


def contract_answer(live: LiveServer, question: str) -> dict[str, Any]:
    with live.client() as http:
        response = http.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def test_page_and_assets_served(server: LiveServer) -> None:
    with server.client() as http:
        icon = http.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert icon.content.startswith(b"<svg")
        page = http.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert '<textarea id="question"' in page.text
        assert http.get("/static/app.js").status_code == 200
        assert http.get("/static/app.css").status_code == 200
        assert http.get("/static/nope.js").status_code == 404


def test_answer_streams_with_chips_numbers_and_source(server: LiveServer, page: Any) -> None:
    expected = contract_answer(server, TUNGSTEN)
    citation = expected["citations"][0]
    page.goto(server.url + "/")
    answer = ask(page, TUNGSTEN)
    assert "81,000 tons" in answer.locator(".answer-text").inner_text()
    assert not answer.evaluate("e => e.classList.contains('refusal')")
    number = answer.locator(".num", has_text="81,000 tons").first
    assert number.get_attribute("data-status") == "verified"
    assert "verified" in (number.get_attribute("title") or "")
    chip = answer.locator(".answer-text button.cite").first
    assert chip.inner_text() == str(citation["id"])
    chip.click()
    mark = page.locator("#source-text mark")
    mark.wait_for()
    assert mark.text_content() == citation["quote"]
    assert page.locator("#source-title").inner_text().strip() == citation["title"]
    assert page.locator("#source-warning").is_hidden()
    # The three nodes join back to the document's whole text.
    with server.client() as http:
        text = http.get(f"/v1/documents/{citation['doc_id']}/text").text
    assert page.locator("#source-text").text_content() == text
    assert page.evaluate("document.activeElement.id") == "source-title"
    assert_in_view(page, "#source-text mark")
    shot(page, "answer-with-source", full_page=False)
    page.keyboard.press("Escape")
    assert page.locator("#source-pane").is_hidden()


def test_follow_up_stays_in_the_thread(server: LiveServer, page: Any) -> None:
    page.goto(server.url + "/")
    ask(page, TUNGSTEN)
    first_id = page.evaluate("window.assistantUI.state.conversationId")
    assert first_id
    ask(page, "And in 2023?")
    assert page.locator("#thread .turn").count() == 2
    assert page.evaluate("window.assistantUI.state.conversationId") == first_id
    assert page.evaluate("window.assistantUI.state.turns") == 2
    with server.client() as http:
        turns = http.get(f"/v1/conversations/{first_id}").json()["turns"]
    assert len(turns) == 2
    if turns[1]["standalone_question"].strip().lower() != "and in 2023?":
        searched = page.locator("#thread .turn").nth(1).locator(".searched")
        assert searched.inner_text() == "searched: " + turns[1]["standalone_question"]
    # The conversation is listed; a new one empties the thread; loading it brings it back.
    page.locator(f"#conversation-list button[data-id='{first_id}']").wait_for()
    page.click("#new-conversation")
    assert page.locator("#thread .turn").count() == 0
    assert page.evaluate("window.assistantUI.state.conversationId") is None
    page.click(f"#conversation-list button[data-id='{first_id}']")
    page.locator("#thread .turn").nth(1).wait_for()
    assert page.locator("#thread .turn").count() == 2
    assert page.evaluate("window.assistantUI.state.conversationId") == first_id


def test_refusal_is_styled_as_a_refusal(server: LiveServer, page: Any) -> None:
    page.goto(server.url + "/")
    answer = ask(page, "Who is the CEO of Almonty Industries?")
    assert answer.evaluate("e => e.classList.contains('refusal')")
    assert "No answer from the sources" in answer.inner_text()
    assert answer.locator(".answer-text .num").count() == 0
    shot(page, "refusal")


def test_hostile_document_runs_nothing(hostile_server: LiveServer, page: Any) -> None:
    question = "How much bismuth did the Zorblax mine produce in 2023?"
    expected = contract_answer(hostile_server, question)
    citation = next(c for c in expected["citations"] if "Zorblax" in c["title"])
    page.goto(hostile_server.url + "/")
    answer = ask(page, question)
    chip = answer.locator(f".answer-text button.cite[data-citation='{citation['id']}']").first
    chip.click()
    page.locator("#source-text mark").wait_for()
    assert page.locator("#source-text mark").text_content() == citation["quote"]
    source_text = page.locator("#source-text").text_content() or ""
    assert "<script>window.__pwned=1</script>" in source_text
    assert '<img src=x onerror="window.__pwned=1">' in source_text
    assert page.locator("#source-text script, #source-text img").count() == 0
    assert page.locator("#thread script, #thread img").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    shot(page, "hostile")


def test_phone_viewport(server: LiveServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        pg.goto(server.url + "/")
        assert pg.locator("#question").is_visible()
        answer = ask(pg, TUNGSTEN)
        assert answer.is_visible()
        assert "81,000 tons" in answer.inner_text()
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways: {width}px"
        box = pg.locator("#question").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        shot(pg, "phone")
        answer.locator(".answer-text button.cite").first.click()
        pg.locator("#source-text mark").wait_for()
        pane = pg.locator("#source-pane").bounding_box()
        assert pane is not None and pane["width"] <= 375
        assert_in_view(pg, "#source-text mark")
        shot(pg, "phone-source", full_page=False)
        pg.click("#source-close")
        assert pg.locator("#question").is_visible()
    finally:
        context.close()


def test_feedback_is_recorded(server: LiveServer, page: Any) -> None:
    page.goto(server.url + "/")
    answer = ask(page, TUNGSTEN)
    conversation_id = page.evaluate("window.assistantUI.state.conversationId")
    answer.locator("button.vote-down").click()
    page.locator("button.vote-down[aria-pressed='true']").wait_for()
    with server.client() as http:
        rows = http.get("/v1/feedback/export").json()
        metrics = http.get("/metrics").text
    assert any(r["conversation_id"] == conversation_id and r["turn"] == 1
               and r["rating"] == "down" for r in rows)
    assert 'assistant_feedback_total{rating="down"}' in metrics


def test_feedback_api_checks_input(server: LiveServer) -> None:
    with server.client() as http:
        assert http.post("/v1/feedback", json={"conversation_id": "c_nope", "turn": 1,
                                               "rating": "up"}).status_code == 404
        bad = http.post("/v1/feedback", json={"conversation_id": "x", "turn": 1,
                                              "rating": "meh"})
        assert bad.status_code == 422 and "error" in bad.json()


def test_api_key_prompt(api_settings: Settings, embedder: Any, browser: Any,
                        tmp_path: Path) -> None:
    from api_fixtures import copy_index

    settings = copy_index(api_settings, tmp_path / "data", api_keys=["sekret"])
    live = web_server(settings, embedder)
    context = browser.new_context()
    try:
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(live.url + "/")
        pg.locator("#auth-form").wait_for()  # listing conversations already needed a key
        # Every request the page made got a 401: one prompt, in the page's words (no headers
        # to type, no Markdown backticks), said once.
        message = pg.locator("#auth-message").inner_text()
        assert message == "This server needs an API key. Enter yours to continue."
        assert pg.locator("#auth-form").count() == 1
        pg.fill("#question", TUNGSTEN)
        pg.press("#question", "Enter")
        pg.fill("#api-key", "sekret")
        pg.click("#auth-form button[type=submit]")
        pg.locator("#thread .answer[aria-busy='false']").first.wait_for()
        assert "81,000 tons" in pg.locator("#thread .answer").first.inner_text()
        assert pg.evaluate("localStorage.getItem('assistant.apiKey')") == "sekret"
        # The queued requests ran again with the key: the lists are filled.
        pg.locator("#document-list li").first.wait_for()
        pg.locator("#conversation-list button").first.wait_for()
        assert pg.locator("#auth-form").is_hidden()
    finally:
        context.close()
        live.stop()


def test_stream_failure_falls_back_and_copy(server: LiveServer, browser: Any) -> None:
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    try:
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.route("**/v1/ask/stream", lambda route: route.abort())
        pg.goto(server.url + "/")
        pg.fill("#question", "first line")
        pg.press("#question", "Shift+Enter")
        assert pg.input_value("#question") == "first line\n"
        assert pg.locator("#thread .turn").count() == 0
        answer = ask(pg, TUNGSTEN)
        assert "81,000 tons" in answer.inner_text()
        answer.locator("button.copy").click()
        pg.locator(".actions .note", has_text="Copied.").wait_for()
        copied = pg.evaluate("navigator.clipboard.readText()")
        assert "81,000 tons [1]" in copied and "In 2024, the global tungsten output" in copied
    finally:
        context.close()


def test_api_docs_render_with_no_network(server: LiveServer, browser: Any) -> None:
    """/docs (Swagger UI) and /redoc come from the server's own assets: with every request to
    another origin refused, both still render every route."""
    context = browser.new_context()
    elsewhere: list[str] = []

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    try:
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(server.url + "/docs")
        pg.locator(".swagger-ui .opblock-summary-path[data-path='/v1/chat/completions']").wait_for()
        with server.client() as http:
            spec = http.get("/openapi.json").json()
        operations = sum(len(item) for item in spec["paths"].values())
        assert pg.locator(".swagger-ui .opblock").count() == operations
        shot(pg, "docs-offline", full_page=False)
        pg.goto(server.url + "/redoc")
        pg.get_by_text("/v1/models/{model_id}").first.wait_for(state="attached")
        shot(pg, "redoc-offline", full_page=False)
    finally:
        context.close()
    assert elsewhere == [], f"the docs asked another origin: {elsewhere}"
