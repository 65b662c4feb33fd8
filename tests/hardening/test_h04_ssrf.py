"""Issue 17, item 4: a webhook callback goes only to a checked public address.

No test here sends traffic anywhere but loopback: numeric hosts and ``localhost`` resolve
without a network, hostnames go through a resolver the test supplies, and the HTTP transport
is one that records requests instead of connecting. Real delivery is exercised only on
127.0.0.1 with the allow-list naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hardening_helpers import (
    QUESTION,
    Recorder,
    RecordingTransport,
    bots_settings,
    hook_headers,
)

from assistant.bots.callbacks import CallbackPolicy, address_problem, deliver, resolve_target
from assistant.errors import CallbackURLError
from assistant.settings import Settings

pytest_plugins = ["api_fixtures"]

REFUSED = [
    "http://127.0.0.1/cb", "http://localhost/cb", "http://0.0.0.0/cb", "http://2130706433/cb",
    "http://127.1/cb", "http://0x7f.1/cb", "http://017700000001/cb", "http://[::1]/cb",
    "http://[::ffff:127.0.0.1]/cb", "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/cb", "http://172.16.5.4/cb", "http://192.168.1.1/cb", "http://[fe80::1]/cb",
    "http://[fc00::1]/cb", "http://224.0.0.1/cb", "http://[ff02::1]/cb", "http://100.64.0.1/cb",
    "http://[64:ff9b::a00:1]/cb", "http://[2002:a00:1::]/cb", "http://240.0.0.1/cb",
]


def resolver(table: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


@pytest.mark.parametrize("url", REFUSED)
def test_loopback_private_link_local_and_reserved_addresses_are_refused(url: str) -> None:
    transport = RecordingTransport()
    policy = CallbackPolicy(transport=transport)
    with pytest.raises(CallbackURLError, match="refused"):
        resolve_target(url, policy)
    assert deliver(url, {"x": 1}, "s", policy, backoff_s=0) is False
    assert transport.requests == []  # refused before any connection


def test_the_resolved_address_is_checked_not_the_name() -> None:
    transport = RecordingTransport()
    names = {"hooks.example": ["10.0.0.7"], "mixed.example": ["93.184.216.34", "192.168.0.9"],
             "meta.example": ["169.254.169.254"], "six.example": ["fd00::5"]}
    policy = CallbackPolicy(resolve=resolver(names), transport=transport)
    for host in names:
        with pytest.raises(CallbackURLError, match="refused"):
            resolve_target(f"https://{host}/cb", policy)
        assert deliver(f"https://{host}/cb", {"x": 1}, "s", policy, backoff_s=0) is False
    assert transport.requests == []


def test_a_public_address_is_called_pinned_to_the_checked_address() -> None:
    transport = RecordingTransport()
    policy = CallbackPolicy(resolve=resolver({"hooks.example": ["93.184.216.34"]}),
                            transport=transport)
    assert deliver("https://hooks.example:8443/cb?x=1", {"x": 1}, "s", policy) is True
    (request,) = transport.requests  # recorded, not sent: no traffic leaves the machine
    assert request.url.host == "93.184.216.34" and request.url.port == 8443
    assert request.url.path == "/cb" and request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.example:8443"
    assert request.extensions["sni_hostname"] == "hooks.example"


def test_a_name_that_changes_to_a_private_address_is_refused_at_delivery() -> None:
    answers = iter([["93.184.216.34"], ["10.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])
    transport = RecordingTransport()
    policy = CallbackPolicy(resolve=lambda host, port: next(answers), transport=transport)
    resolve_target("http://rebind.example/cb", policy)  # checked when the request came
    assert deliver("http://rebind.example/cb", {"x": 1}, "s", policy) is False
    assert transport.requests == []


def test_redirects_are_not_followed() -> None:
    transport = RecordingTransport(status=302, location="http://169.254.169.254/")
    policy = CallbackPolicy(resolve=resolver({"hooks.example": ["93.184.216.34"]}),
                            transport=transport)
    assert deliver("http://hooks.example/cb", {"x": 1}, "s", policy, backoff_s=0) is False
    assert [r.url.host for r in transport.requests] == ["93.184.216.34"]  # once, no follow


def test_the_allow_list_opens_named_networks_only() -> None:
    allow = CallbackPolicy.from_settings(
        Settings(hook_callback_allow=["127.0.0.1/32", "10.1.0.0/16"])).allow
    assert address_problem("127.0.0.1", allow) is None
    assert address_problem("::ffff:127.0.0.1", allow) is None  # the same address, mapped
    assert address_problem("10.1.2.3", allow) is None
    assert address_problem("127.0.0.2", allow) is not None
    assert address_problem("10.2.0.1", allow) is not None
    assert address_problem("::1", allow) is not None


# -- through the real app ------------------------------------------------------------------


@pytest.fixture(scope="module")
def receiver() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.stop()


def _post(http: httpx.Client, callback_url: str) -> httpx.Response:
    body = json.dumps({"text": QUESTION, "user": "U1", "callback_url": callback_url}).encode()
    return http.post("/v1/hooks/ask", content=body, headers=hook_headers(body))


@pytest.mark.slow
def test_the_webhook_refuses_them_at_once_and_delivers_only_where_allowed(
        api_settings: Any, start_server: Any, receiver: Recorder, tmp_path: Any) -> None:
    closed = start_server(bots_settings(api_settings, tmp_path / "closed", receiver))
    with closed.client() as http:
        own_api = closed.url + "/v1/ask"
        for url in [*REFUSED[:12], own_api, receiver.url + "/cb"]:
            response = _post(http, url)
            assert response.status_code == 400, (url, response.text)
            error = response.json()["error"]
            assert error["code"] == "bad_callback_url" and "ASSISTANT_HOOK_CALLBACK_ALLOW" in \
                error["message"]
    assert receiver.paths() == []  # nothing was delivered anywhere
    allowed = start_server(bots_settings(api_settings, tmp_path / "open", receiver,
                                         hook_callback_allow=["127.0.0.1/32"]))
    with allowed.client() as http:
        assert _post(http, receiver.url + "/cb").status_code == 202
        assert _post(http, "http://10.0.0.1/cb").status_code == 400  # only what is named
    receiver.wait_for("/cb")
    assert "[1]" in receiver.bodies("/cb")[0]["answer"]
