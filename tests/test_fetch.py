"""Ingest from a URL: fetched from a loopback server only (ASSISTANT_FETCH_ALLOW names it),
read by the same loaders as an upload, and refused — before any connection — when the address
is not public, the body too large or the content of a kind no loader reads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from assistant.errors import FetchError, TooLargeError, UnsupportedFileError
from assistant.ingest.fetch import fetch, fetch_policy, file_name
from assistant.settings import Settings

pytest_plugins = ["api_fixtures"]

PAGE = (b"<html><head><title>Quarry Notice</title></head><body><h1>Quarry Notice</h1>"
        b"<p>The Ashby quarry shipped 8,400 tonnes of gravel in 2025, its most since 2019.</p>"
        b"<p>Its operator, Marlow Aggregates, plans a second crusher.</p></body></html>")
ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/notice.html": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE),
    "/moved": (302, {"Location": "/notice.html"}, b""),
    "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
    "/big.txt": (200, {"Content-Type": "text/plain"}, b"gravel " * 400),
    "/logo.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n"),
    "/gone": (404, {"Content-Type": "text/plain"}, b"not here"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        status, headers, body = ROUTES.get(self.path, (404, {}, b""))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """A loopback HTTP server; the only address these tests send traffic to."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Recording(httpx.BaseTransport):
    """Records what would be sent and sends nothing."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<p>x</p>")


def _numeric(host: str, port: int) -> list[str]:
    """Numeric hosts resolve to themselves; no name is looked up (no DNS traffic)."""
    import ipaddress

    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return []


def test_fetches_from_an_allowed_loopback_server(origin: str) -> None:
    settings = Settings(fetch_allow=["127.0.0.1"])
    fetched = fetch(f"{origin}/notice.html", settings)
    assert fetched.name == "notice.html" and fetched.data == PAGE
    moved = fetch(f"{origin}/moved", settings)  # a redirect is followed, and checked again
    assert moved.data == PAGE and moved.url.endswith("/notice.html")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x.html",  # loopback, not allowed by default
    "http://10.0.0.8/report.pdf",  # private
    "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
    "http://[::ffff:127.0.0.1]/x",  # loopback in IPv6 clothing
    "http://2130706433/x",  # 127.0.0.1 as one number
    "ftp://example.org/x.txt",  # not http(s)
    "http://user:pw@127.0.0.1/x",  # credentials in the URL
    "http://no-such-host.invalid/x",  # does not resolve
])
def test_refused_before_any_connection(url: str) -> None:
    recording = Recording()
    policy = fetch_policy(Settings(), resolve=_numeric, transport=recording)
    with pytest.raises(FetchError) as caught:
        fetch(url, Settings(), policy)
    assert not recording.requests
    assert "url" in caught.value.message


def test_a_redirect_to_a_private_address_is_refused(origin: str) -> None:
    with pytest.raises(FetchError, match="169.254.169.254.*link-local.*ASSISTANT_FETCH_ALLOW"):
        fetch(f"{origin}/to-metadata", Settings(fetch_allow=["127.0.0.1"]))


def test_size_type_and_status_are_checked(origin: str) -> None:
    settings = Settings(fetch_allow=["127.0.0.1"], max_upload_bytes=1024)
    with pytest.raises(TooLargeError, match="1024"):
        fetch(f"{origin}/big.txt", settings)
    with pytest.raises(UnsupportedFileError, match="image/png"):
        fetch(f"{origin}/logo.png", settings)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(f"{origin}/gone", settings)


def test_file_names_come_from_the_path_and_the_content_type() -> None:
    assert file_name(httpx.URL("https://a.example/reports/q3.aspx"), "text/html") == "q3.html"
    assert file_name(httpx.URL("https://a.example/"), "application/pdf") == "a.example.pdf"
    with pytest.raises(UnsupportedFileError):
        file_name(httpx.URL("https://a.example/x"), "")


def test_the_api_fetches_a_document_and_answers_from_it(origin: str, api_settings: Any,
                                                         embedder: Any, tmp_path: Any) -> None:
    from api_fixtures import copy_index, served

    settings = copy_index(api_settings, tmp_path / "data", api_keys=["k-fetch"],
                          fetch_allow=["127.0.0.1"])
    for live in served(settings, embedder):
        with live.client() as http:
            key = {"Authorization": "Bearer k-fetch"}
            refused = http.post("/v1/fetch", json={"url": "ftp://example.org/a.txt"},
                                headers=key)
            assert refused.status_code == 400  # the schema's pattern, before anything is fetched
            anonymous = http.post("/v1/fetch", json={"url": f"{origin}/notice.html"})
            assert anonymous.status_code == 401
            added = http.post("/v1/fetch", json={"url": f"{origin}/notice.html"},
                              headers=key)
            assert added.status_code == 201, added.text
            assert added.json()["doc_id"] == "notice" and added.json()["added"] == ["notice"]
            again = http.post("/v1/fetch", json={"url": f"{origin}/notice.html"},
                              headers=key)
            assert again.status_code == 200 and not again.json()["changed"]
            gone = http.post("/v1/fetch", json={"url": f"{origin}/gone"}, headers=key)
            assert gone.status_code == 400 and gone.json()["error"]["code"] == "fetch_failed"
            answer = http.post("/v1/ask", headers=key, json={
                "question": "How much gravel did the Ashby quarry ship in 2025?"}).json()
            assert not answer["refused"] and "8,400 tonnes" in answer["answer"]
            assert {c["doc_id"] for c in answer["citations"]} == {"notice"}
