"""Slack: the Events API at ``POST /slack/events`` and Socket Mode, both on slack_bolt.

One bolt ``App`` (``build_slack_app``) serves both transports:

* ``app_mention`` events and direct messages (``message`` events with ``channel_type: im``,
  not from a bot, without a subtype) are acknowledged at once and answered in a bolt listener
  thread (``process_before_response=False``), in the message's thread: ``thread_ts`` is the
  event's ``thread_ts`` or, for a new thread, its ``ts``.
* One Slack thread is one conversation: ``slack:TEAM:CHANNEL:THREAD_TS`` maps to a conversation
  id in ``BotState``, so a follow-up in the thread is rewritten from the earlier turns.
* Slack re-sends an event it thinks was not acknowledged (``X-Slack-Retry-Num``, the same
  ``event_id``); a global middleware records every ``event_id`` in SQLite and acknowledges a
  repeat without answering it again, across restarts and worker processes.
* ``/ask QUESTION`` answers ephemerally (only the asker sees it); ``/ask public QUESTION``
  answers in the channel. Both through the command's ``response_url`` (``respond``).

Before bolt sees an HTTP request, the route rejects an oversized body (413), a bad or stale
signature (401, checked with slack_sdk's ``SignatureVerifier``: v0 HMAC-SHA256 over
``v0:{timestamp}:{body}``, five minutes of clock skew, a timestamp of at most 12 digits), a
replay of a request already received (acknowledged with an empty 200 but not answered: its
signature is remembered) and then a malformed
body (400: not JSON, or text with a lone surrogate), so nothing unverified is parsed and
nothing malformed gets a reply. A conversation a Slack thread starts is owned by
``slack:TEAM:USER``, the person who started it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool

from ..conversation.store import Caller
from ..errors import AssistantError
from ..settings import Settings
from ..text.unicode import unicode_problem
from .render import escape_mrkdwn, render_blocks, render_error_blocks, render_fallback
from .threads import AssistantProvider, BotState

log = logging.getLogger("assistant.bots.slack")

SLACK_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
ASK_COMMAND = "/ask"
PUBLIC_PREFIX = "public "
USAGE = (
    f"Ask a question about the sources, e.g. `{ASK_COMMAND} How much copper did the Example mine "
    f"produce in 2023?` Only you see the answer; `{ASK_COMMAND} public …` answers in the channel."
)
_MENTION = re.compile(r"<[@!][^>]*>")  # user mentions and <!here>-style specials
_LINK = re.compile(r"<([^>|]+)\|([^>]*)>|<([^>]+)>")  # <url|label>, <#C123|name>, <url>
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # bounded: int() of 400 digits overflows the clock maths


class BodyTooLarge(Exception):
    pass


def slack_missing(settings: Settings) -> str | None:
    """Why the Events API cannot run with ``settings``, or None when it can."""
    missing = [name for name, value in (
        ("ASSISTANT_SLACK_SIGNING_SECRET", settings.slack_signing_secret),
        ("ASSISTANT_SLACK_BOT_TOKEN", settings.slack_bot_token),
    ) if not value]
    if not missing:
        return None
    return (f"Slack is not configured on this server ({' and '.join(missing)} unset); "
            "set ASSISTANT_SLACK_SIGNING_SECRET and ASSISTANT_SLACK_BOT_TOKEN (see docs/slack.md)")


def slack_web_client(settings: Settings) -> WebClient:
    """A Web API client with the bot token, aimed at ``settings.slack_api_url`` if set."""
    base_url = settings.slack_api_url or SLACK_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(token=settings.slack_bot_token, base_url=base_url)


def question_from_slack(text: str) -> str:
    """The question in a Slack message: mentions dropped, links to their labels, unescaped."""
    text = _MENTION.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1) or m.group(3) or "", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def thread_key(team: str | None, channel: str, thread_ts: str) -> str:
    """The ``BotState`` key of a Slack thread."""
    return f"slack:{team or '-'}:{channel}:{thread_ts}"


def asker_of(team: Any, user: Any) -> str:
    """The owner name of a conversation a Slack user starts."""
    return f"slack:{team or '-'}:{user or '-'}"


class SlackAnswerer:
    """Answers one Slack question in its conversation; shared by every listener."""

    def __init__(self, assistant_provider: AssistantProvider, state: BotState) -> None:
        self.assistant_provider = assistant_provider
        self.state = state

    def answer(self, question: str, key: str | None,
               asker: str = "slack") -> tuple[str, list[dict[str, Any]]]:
        """(fallback text, blocks) answering ``question`` in thread ``key`` (None: no thread);
        ``asker`` (``slack:TEAM:USER``) owns a conversation it starts."""
        if not question:
            return USAGE, render_error_blocks(USAGE)
        caller = Caller(asker, admin=True)  # the bot continues the threads it maps
        try:
            assistant = self.assistant_provider()
            if key is None:
                answer = assistant.ask(question, caller=caller)
            else:
                with self.state.thread_lock(key):
                    conversation_id = self.state.conversation_for(
                        key, assistant.conversations.new_id
                    )
                    answer = assistant.ask(question, conversation_id, caller=caller, start=True)
        except AssistantError as exc:
            return escape_mrkdwn(exc.message), render_error_blocks(exc.message)
        except Exception:
            log.exception("answering a Slack question failed")
            message = "Sorry, something went wrong on the server; the details are in its log."
            return message, render_error_blocks(message)
        return render_fallback(answer), render_blocks(answer)


def build_slack_app(settings: Settings, assistant_provider: AssistantProvider, state: BotState,
                    *, socket_mode: bool = False) -> App:
    """The bolt ``App`` with the bot's listeners.

    Args:
        settings: the bot token (and, over HTTP, the signing secret) and ``slack_api_url``.
        assistant_provider: returns the shared ``Assistant`` when a question comes.
        state: thread -> conversation mapping and seen event ids.
        socket_mode: for ``assistant slack``: no signing secret (Slack's socket is the trust).

    Returns:
        The app; it calls no Slack API until the first event (``auth.test``, once).
    """
    answerer = SlackAnswerer(assistant_provider, state)
    bolt = App(
        client=slack_web_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not socket_mode,
        # auth.test on the first event instead of at start-up: the HTTP app starts offline.
        token_verification_enabled=False,
        process_before_response=False,  # ack first, answer in bolt's listener threads
        listener_executor=ThreadPoolExecutor(max_workers=8, thread_name_prefix="slack-answer"),
    )

    _drop_repeated_events(bolt, state)
    _answer_messages(bolt, answerer)
    _answer_ask_command(bolt, answerer)
    return bolt


def _drop_repeated_events(bolt: App, state: BotState) -> None:
    @bolt.middleware
    def drop_repeated_events(body: dict[str, Any], next: Callable[[], Any]) -> Any:
        """Slack retries (X-Slack-Retry-Num) repeat the event_id: acknowledge, do not answer."""
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if isinstance(event_id, str) and event_id and not state.first_sighting(event_id):
            log.info("ignoring repeated Slack event %s", event_id)
            return BoltResponse(status=200, body="")
        return next()


def _answer_messages(bolt: App, answerer: SlackAnswerer) -> None:
    def reply_in_thread(event: dict[str, Any], team: str | None, client: WebClient) -> None:
        channel = event["channel"]
        thread_ts = event.get("thread_ts") or event["ts"]
        question = question_from_slack(event.get("text") or "")
        text, blocks = answerer.answer(question, thread_key(team, channel, thread_ts),
                                       asker_of(team, event.get("user")))
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
                                unfurl_links=False, unfurl_media=False)

    @bolt.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        """A mention in a channel: answer in its thread."""
        reply_in_thread(event, body.get("team_id") or event.get("team"), client)

    @bolt.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        """A direct message from a person: answer in its thread; anything else is ignored."""
        if (event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id")
                or "ts" not in event):
            return
        reply_in_thread(event, body.get("team_id") or event.get("team"), client)


def _answer_ask_command(bolt: App, answerer: SlackAnswerer) -> None:
    @bolt.command(ASK_COMMAND)
    def on_ask(ack: Callable[..., Any], command: dict[str, Any],
               respond: Callable[..., Any]) -> None:
        """``/ask QUESTION`` (ephemeral) or ``/ask public QUESTION`` (in the channel)."""
        text = (command.get("text") or "").strip()
        public = text.lower().startswith(PUBLIC_PREFIX)
        if public:
            text = text[len(PUBLIC_PREFIX):]
        question = question_from_slack(text)
        if not question:
            ack(response_type="ephemeral", text=USAGE)
            return
        ack()
        reply, blocks = answerer.answer(question, None,
                                        asker_of(command.get("team_id"), command.get("user_id")))
        respond(text=reply, blocks=blocks,
                response_type="in_channel" if public else "ephemeral",
                replace_original=False)


def _read_limited(limit: int) -> Callable[[Request], Any]:
    async def read(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    return read


def _error(status: int, code: str, message: str) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}}).encode("ascii")
    return Response(body, status_code=status, media_type="application/json")


def _malformed(body: bytes, content_type: str) -> str | None:
    """Why bolt could not parse ``body`` (the same rules as its ``parse_body``), or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    payload: str | None = None
    if content_type.split(";")[0].strip().lower() == "application/json" or \
            text.lstrip().startswith("{"):
        payload = text
    elif "payload" in text:
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
    if payload is None:
        return None
    try:
        parsed = json.loads(payload)
    except ValueError as exc:
        return f"the body is not valid JSON ({exc})"
    if not isinstance(parsed, dict):
        return "the body is not a JSON object"
    return _text_problem(parsed)


def _text_problem(value: Any) -> str | None:
    """Why some string in a parsed body is not well-formed Unicode, or None."""
    if isinstance(value, str):
        return unicode_problem(value, "a text in the body")
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        problem = _text_problem(key) or _text_problem(item)
        if problem:
            return problem
    return None


def _signed(verifier: SignatureVerifier, body: bytes, request: Request) -> bool:
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    if not _TIMESTAMP.fullmatch(timestamp):
        return False
    try:
        return verifier.is_valid_request(body, dict(request.headers))
    except (ValueError, OverflowError):
        return False


def slack_router(settings: Settings, assistant_provider: AssistantProvider,
                 state: BotState) -> APIRouter:
    """The ``POST /slack/events`` route (Events API, slash commands, interactivity)."""
    router = APIRouter(tags=["bots"])
    missing = slack_missing(settings)
    bolt = verifier = None
    if not missing and settings.slack_signing_secret:
        bolt = build_slack_app(settings, assistant_provider, state)
        verifier = SignatureVerifier(settings.slack_signing_secret)
    read_body = _read_limited(settings.max_body_bytes)

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        """Slack's Events API, slash commands and interactivity (signed by Slack)."""
        if bolt is None or verifier is None:
            return _error(503, "slack_not_configured", missing or "Slack is not configured")
        try:
            body = await read_body(request)
        except BodyTooLarge:
            return _error(413, "payload_too_large",
                          f"request body is over {settings.max_body_bytes} bytes "
                          "(ASSISTANT_MAX_BODY_BYTES)")
        if not _signed(verifier, body, request):
            return _error(401, "unauthorized",
                          "bad or missing Slack signature, or a timestamp over 5 minutes old; "
                          "check ASSISTANT_SLACK_SIGNING_SECRET")
        signature = request.headers.get("x-slack-signature", "")
        if not await run_in_threadpool(state.first_sighting, f"slack-signature:{signature}"):
            log.info("ignoring a replayed Slack request")  # acknowledged, not answered again
            return Response(status_code=200)
        problem = _malformed(body, request.headers.get("content-type", ""))
        if problem:
            return _error(400, "bad_request", f"{problem}; nothing was answered")
        # bolt's dispatch blocks until the listener acks (and calls auth.test once): keep it
        # off the event loop. The FastAPI adapter's own handle() would run it on the loop.
        bolt_response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return router
