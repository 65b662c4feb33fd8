"""Ask a suite's questions and score the answers: in process against a data dir, or over HTTP.

The two backends give the scorer the same things: the contract answer object, the text of a
cited document (for quote fidelity), the numerals of the sources (for fabricated numbers) and,
in process only, the retrieval ranking (for recall@k and MRR).
"""

from __future__ import annotations

import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from ..errors import AssistantError, EvalError, InputError, ThresholdsError
from ..settings import Settings
from .crossfit import CrossFit
from .judge import numeral_values
from .metrics import (
    HIGHER_IS_BETTER,
    RECALL_KS,
    Summary,
    TurnScore,
    score_turn,
    summarise,
    summarise_by_tag,
)
from .suite import Item, Suite

if TYPE_CHECKING:
    from ..index.embeddings import Embedder

RETRIEVAL_DEPTH = max(RECALL_KS)


class TurnFailed(Exception):
    """Asking one question failed; the turn is scored as failed and the run goes on."""


class Backend(Protocol):
    """Where answers come from."""

    mode: str

    def ask(self, question: str, conversation_id: str | None) -> dict[str, Any]: ...

    def begin_item(self, suite: Suite, item: Item) -> None: ...

    def document_text(self, doc_id: str) -> str | None: ...

    def source_values(self) -> frozenset[Decimal] | None: ...

    def ranked_chunks(self, question: str) -> list[str] | None: ...

    def close(self) -> None: ...


class LocalBackend:
    """In process: the real ``Assistant`` over ``settings.data_dir``.

    Conversations are kept in a temporary store, so evaluating leaves the data dir's own
    conversations untouched.
    """

    mode = "in-process"

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 cross_fit: CrossFit | None = None) -> None:
        from ..conversation.store import ConversationStore
        from ..index.loaded import IndexHolder
        from ..service import Assistant

        self.settings = settings
        self._tmp = tempfile.TemporaryDirectory(prefix="assistant-eval-")
        store = ConversationStore(Path(self._tmp.name) / "conversations.sqlite")

        class _EvalAssistant(Assistant):
            @property
            def conversations(self) -> ConversationStore:
                return store

        self.assistant = _EvalAssistant(settings, IndexHolder(settings, embedder))
        self.cross_fit = cross_fit
        self._values: frozenset[Decimal] | None = None
        try:
            self.assistant.warm()
        except AssistantError as exc:
            self.close()
            raise EvalError(exc.message) from None

    def begin_item(self, suite: Suite, item: Item) -> None:
        """With a cross-fit, switch to the selector of the item's fold."""
        if self.cross_fit is not None:
            self.assistant.selector = self.cross_fit.selector(suite.path, item.id)

    def ask(self, question: str, conversation_id: str | None) -> dict[str, Any]:
        from ..contract import AskResponse

        try:
            answer = self.assistant.ask(question, conversation_id)
            return AskResponse.from_answer(answer).model_dump(mode="json")
        except InputError as exc:
            raise TurnFailed(exc.message) from None

    def document_text(self, doc_id: str) -> str | None:
        doc = self.assistant.holder.get().documents.get(doc_id)
        return doc.text if doc else None

    def source_values(self) -> frozenset[Decimal] | None:
        if self._values is None:
            docs = self.assistant.holder.get().documents.values()
            self._values = numeral_values(d.text for d in docs)
        return self._values

    def ranked_chunks(self, question: str) -> list[str] | None:
        from ..retrieve.hybrid import retrieve

        holder = self.assistant.holder
        result = retrieve(
            holder.get(), holder.embedder, question, top_k_hits=RETRIEVAL_DEPTH,
            candidates=max(self.settings.candidates, RETRIEVAL_DEPTH), rrf_k=self.settings.rrf_k,
        )
        return [h.chunk.text for h in result.hits]

    def close(self) -> None:
        self._tmp.cleanup()


class HttpBackend:
    """Against a running server: ``POST /v1/ask`` and ``GET /v1/documents/{id}/text``.

    Retrieval is not visible over HTTP (recall@k and MRR are n/a). Fabricated numbers are checked
    against every document ``GET /v1/documents`` lists, or, when the server cannot list them,
    against the documents each answer cites.
    """

    mode = "http"

    def __init__(self, url: str, timeout_s: float = 120.0, api_key: str | None = None,
                 ready_timeout_s: float = 300.0, client: Any = None) -> None:
        import httpx

        self.url = url.rstrip("/")
        self._httpx = httpx
        headers = {"X-API-Key": api_key} if api_key else {}
        self.client = client or httpx.Client(base_url=self.url, timeout=timeout_s,
                                             headers=headers)
        self._texts: dict[str, str | None] = {}
        self._values: frozenset[Decimal] | None = None
        self._listed = False
        self.wait_ready(ready_timeout_s)

    def _error(self, response: Any) -> str:
        try:
            body = response.json()
            message = body["error"]["message"]
            code = body["error"].get("code", "")
            return f"HTTP {response.status_code} {code}: {message}".replace("  ", " ")
        except (ValueError, KeyError, TypeError, AttributeError):
            return f"HTTP {response.status_code}: {response.text[:200]}"

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self.client.request(method, path, **kwargs)
        except self._httpx.TimeoutException:
            raise TurnFailed(f"{method} {path} timed out") from None
        except self._httpx.HTTPError as exc:
            raise EvalError(f"cannot reach {self.url} ({exc}); is the server running? "
                            "Start it with `assistant serve`, or drop --url") from None

    def wait_ready(self, timeout_s: float) -> None:
        """Wait while ``GET /readyz`` says the server is starting (a server without the route
        is taken as ready); a server that cannot become ready stops the run."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                response = self._request("GET", "/readyz")
            except TurnFailed:
                response = None
            if response is not None and response.status_code != 503:
                if response.status_code == 401:
                    raise EvalError(f"{self.url}: {self._error(response)} (pass --api-key)")
                return
            reason = self._error(response) if response is not None else "timed out"
            starting = response is None or "starting" in reason
            if not starting or time.monotonic() > deadline:
                raise EvalError(f"{self.url} is not ready: {reason}")
            time.sleep(0.5)

    def ask(self, question: str, conversation_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question}
        if conversation_id:
            body["conversation_id"] = conversation_id
        response = self._request("POST", "/v1/ask", json=body)
        if response.status_code in (401, 503):
            raise EvalError(f"{self.url}: {self._error(response)}")
        if response.status_code != 200:
            raise TurnFailed(self._error(response))
        try:
            data = response.json()
        except ValueError:
            raise TurnFailed("the response to POST /v1/ask is not JSON") from None
        if not isinstance(data, dict):
            raise TurnFailed("the response to POST /v1/ask is not a JSON object")
        return data

    def document_text(self, doc_id: str) -> str | None:
        if doc_id not in self._texts:
            try:
                response = self._request("GET", f"/v1/documents/{quote(doc_id, safe='')}/text")
            except TurnFailed:
                return None
            self._texts[doc_id] = response.text if response.status_code == 200 else None
        return self._texts[doc_id]

    def source_values(self) -> frozenset[Decimal] | None:
        if not self._listed:
            self._listed = True
            try:
                response = self._request("GET", "/v1/documents")
                docs = response.json()["documents"] if response.status_code == 200 else None
                ids = [str(d["id"]) for d in docs] if isinstance(docs, list) else None
            except (TurnFailed, ValueError, KeyError, TypeError):
                ids = None
            if ids is not None:
                texts = [self.document_text(doc_id) for doc_id in ids]
                if all(t is not None for t in texts):
                    self._values = numeral_values(t for t in texts if t is not None)
        return self._values

    def ranked_chunks(self, question: str) -> list[str] | None:
        return None

    def begin_item(self, suite: Suite, item: Item) -> None:
        """Nothing to prepare: the server answers with its own selector."""

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True)
class RunResult:
    suites: tuple[Suite, ...]
    mode: str
    target: str  # data dir or URL
    scores: tuple[TurnScore, ...]
    summary: Summary
    by_tag: dict[str, Summary]
    seconds: float
    started: str = field(default="")


def run_suites(
    suites: Sequence[Suite],
    backend: Backend,
    target: str = "",
    on_turn: Callable[[TurnScore], None] | None = None,
) -> RunResult:
    """Ask every turn of every suite, in order, and score the answers.

    A conversation's turns share one conversation id. A turn whose question fails (a 4xx/5xx,
    a rejected question) is scored as failed with the reason; ``EvalError`` stops the run.
    """
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    t0 = time.perf_counter()
    scores: list[TurnScore] = []
    for suite in suites:
        for item in suite.items:
            backend.begin_item(suite, item)
            conversation_id: str | None = None
            for n, turn in enumerate(item.turns, start=1):
                number = n if item.conversation else 0
                tick = time.perf_counter()
                answer: dict[str, Any] | None = None
                error = None
                try:
                    answer = backend.ask(turn.question, conversation_id)
                except TurnFailed as exc:
                    error = str(exc)
                latency = (time.perf_counter() - tick) * 1000
                texts: dict[str, str | None] = {}
                values: frozenset[Decimal] = frozenset()
                chunks = None
                if answer is not None:
                    conversation_id = answer.get("conversation_id") or conversation_id
                    for c in answer.get("citations") or ():
                        doc_id = str(c.get("doc_id"))
                        if doc_id not in texts:
                            texts[doc_id] = backend.document_text(doc_id)
                    known = backend.source_values()
                    values = known if known is not None else numeral_values(
                        t for t in texts.values() if t
                    )
                    if turn.evidence:
                        search = str(answer.get("standalone_question") or turn.question)
                        chunks = backend.ranked_chunks(search)
                score = score_turn(
                    turn, answer, suite=suite.name, item_id=item.id, turn_number=number,
                    tags=item.tags, texts=texts, source_values=values, latency_ms=latency,
                    error=error, chunk_texts=chunks,
                )
                scores.append(score)
                if on_turn:
                    on_turn(score)
    return RunResult(
        suites=tuple(suites), mode=backend.mode, target=target, scores=tuple(scores),
        summary=summarise(scores), by_tag=summarise_by_tag(scores),
        seconds=time.perf_counter() - t0, started=started,
    )


# ---- thresholds -----------------------------------------------------------------------------

def threshold_keys() -> list[str]:
    """Every key a thresholds file may hold: ``min_<metric>`` or ``max_<metric>``."""
    return sorted(
        f"{'min' if up else 'max'}_{name}" for name, up in HIGHER_IS_BETTER.items()
    )


def validate_thresholds(raw: dict[str, Any], where: str) -> dict[str, float]:
    """Check a thresholds mapping: known keys, numeric values.

    Raises:
        ThresholdsError: naming ``where``, the bad key and the valid keys.
    """
    known = set(threshold_keys())
    out: dict[str, float] = {}
    for key, value in raw.items():
        if key not in known:
            raise ThresholdsError(f"{where}: unknown threshold {key!r}; "
                                  f"valid: {', '.join(sorted(known))}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ThresholdsError(f"{where}: {key} must be a number, got {value!r}")
        out[key] = float(value)
    return out


def load_thresholds(path: Path | str) -> dict[str, float]:
    """The ``[thresholds]`` table of a TOML file.

    Raises:
        ThresholdsError: missing file, bad TOML, unknown keys or non-numeric values.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ThresholdsError(f"{path}: no such thresholds file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ThresholdsError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdsError(f"{path}: not valid TOML ({exc})") from None
    table = data.get("thresholds")
    if not isinstance(table, dict):
        raise ThresholdsError(f"{path}: expected a [thresholds] table, e.g. min_accuracy = 0.8")
    return validate_thresholds(table, str(path))


@dataclass(frozen=True)
class ThresholdCheck:
    key: str
    metric: str
    limit: float
    value: float | None
    passed: bool | None  # None: the metric was not measured (n/a)

    def describe(self) -> str:
        op = ">=" if self.key.startswith("min_") else "<="
        shown = "n/a" if self.value is None else f"{self.value:.4g}"
        state = {True: "ok", False: "MISSED", None: "not measured"}[self.passed]
        return f"{self.metric} {shown} (needs {op} {self.limit:g}): {state}"


def check_thresholds(summary: Summary, thresholds: dict[str, float]) -> list[ThresholdCheck]:
    """Each threshold against the summary; a metric that is n/a is not measured, not missed."""
    values = summary.as_dict()
    checks = []
    for key, limit in sorted(thresholds.items()):
        kind, metric = key.split("_", 1)
        value = values.get(metric)
        if value is None:
            passed = None
        else:
            passed = value >= limit if kind == "min" else value <= limit
        checks.append(ThresholdCheck(key, metric, limit, value, passed))
    return checks
