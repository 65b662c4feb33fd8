"""Schemathesis hooks for the hardening run (loaded with ``SCHEMATHESIS_HOOKS=schemathesis_hooks``;
the webhook secret comes from ``HOOK_SECRET``):

* webhook requests are signed the way the server checks them, so the fuzzer reaches the
  webhook's logic instead of its 401;
* every other schema-valid upload carries a readable .txt file (random bytes named "file" are
  always refused by the loader), so uploads are really ingested, read back and deleted
  through the stateful links, with the generated ``doc_id`` kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from itertools import count
from typing import Any

import schemathesis

_nonce = count()


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.path == "/v1/documents" and case.method.upper() == "POST":
        _readable_upload(case, kwargs)
    else:
        _sign_webhook(case, kwargs)


def _readable_upload(case: Any, kwargs: dict[str, Any]) -> None:
    n = next(_nonce)
    meta = getattr(case, "meta", None)
    positive = meta is not None and meta.generation.mode.is_positive
    if not positive or n % 2 or not isinstance(case.body, dict):
        return
    text = f"Fuzz note {n}.\n\nThe Zeltrava depot moved {n + 7} crates of tin in 2024.\n"
    kwargs["files"] = {"file": (f"fuzz-{n}.txt", text.encode(), "text/plain")}
    if isinstance(case.body.get("doc_id"), str):
        kwargs["data"] = {"doc_id": case.body["doc_id"]}


def _sign_webhook(case: Any, kwargs: dict[str, Any]) -> None:
    names = {"X-Assistant-Timestamp", "X-Assistant-Signature"}
    if case.path != "/v1/hooks/ask" or not isinstance(case.body, dict) or \
            not names <= set(case.headers or {}):
        return  # a case without its signature headers tests exactly that: left unsigned
    # Serialized here (a nonce added: the same body twice would be a replay, 409), so the
    # signature covers exactly the bytes sent.
    raw = json.dumps({**case.body, "_fuzz": next(_nonce)}).encode()
    kwargs["data"] = raw
    timestamp = str(int(time.time()))
    mac = hmac.new(os.environ["HOOK_SECRET"].encode(), timestamp.encode() + b"." + raw,
                   hashlib.sha256).hexdigest()
    case.headers = {**(case.headers or {}), "Content-Type": "application/json",
                    "X-Assistant-Timestamp": timestamp, "X-Assistant-Signature": "v1=" + mac}
