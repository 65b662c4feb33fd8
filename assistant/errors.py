"""The one error tree, and its one map to HTTP statuses and bodies.

AssistantError
├── InputError              bad input from a person or client (400)
│   ├── UnsupportedFileError    a file type we cannot read (415)
│   ├── UnreadableFileError     a file we could not decode or parse
│   ├── QuestionError           an empty, oversized or malformed question
│   ├── CallbackURLError        a webhook callback_url the server will not call
│   ├── TooLargeError           an upload over the size limit (413)
│   ├── SuiteError              an evaluation suite that breaks docs/contract.md §2
│   ├── ThresholdsError         an evaluation thresholds file or option that cannot be used
│   ├── CrossFitError           a cross-fit directory that cannot serve a suite
│   └── TrainingConfigError     a selector training file that cannot be used
├── NotFoundError           unknown document, conversation, ... (404)
├── ConflictError           the state refuses the change, try later or elsewhere (409)
│   ├── BusyError               another ingest holds the data dir's lock
│   └── ConversationFullError   a conversation reached its turn limit
├── IndexNotReadyError      no index has been built yet (503)
├── ConfigError             a setting that cannot work (500)
├── UpstreamError           an LLM endpoint, Chroma server or the database failed (502)
└── EvalError               an evaluation cannot go on (no index, server unreachable)

Messages name the bad value and the way out, never a server path. The HTTP faces (API, bots)
map errors with ``http_status`` and ``error_body``; only the CLI maps them to exit codes.
"""

from __future__ import annotations

from typing import Any


class AssistantError(Exception):
    """Root of every error the assistant raises on purpose. ``code`` is stable for clients."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(AssistantError):
    code = "bad_input"


class UnsupportedFileError(InputError):
    code = "unsupported_file"


class UnreadableFileError(InputError):
    code = "unreadable_file"


class QuestionError(InputError):
    code = "bad_question"


class CallbackURLError(InputError):
    code = "bad_callback_url"


class FetchError(InputError):
    """A document URL that was refused or could not be fetched."""

    code = "fetch_failed"


class TooLargeError(InputError):
    code = "payload_too_large"


class NotFoundError(AssistantError):
    code = "not_found"


class ConflictError(AssistantError):
    code = "conflict"


class BusyError(ConflictError):
    code = "busy"


class ConversationFullError(ConflictError):
    code = "conversation_full"


class IndexNotReadyError(AssistantError):
    code = "index_not_ready"


class ConfigError(AssistantError):
    code = "config_error"


class UpstreamError(AssistantError):
    code = "upstream_error"


class SuiteError(InputError):
    """An evaluation suite that cannot be read or does not follow docs/contract.md §2."""


class ThresholdsError(InputError):
    """A thresholds file or option that cannot be used."""


class CrossFitError(InputError):
    """A cross-fit directory that cannot serve this suite."""


class TrainingConfigError(InputError):
    """A selector training file that cannot be used."""


class EvalError(AssistantError):
    """The evaluation cannot go on (no index, server unreachable)."""


# Domain error class -> HTTP status; the most specific class wins (checked in order).
HTTP_STATUS: tuple[tuple[type[AssistantError], int], ...] = (
    (UnsupportedFileError, 415),
    (TooLargeError, 413),
    (InputError, 400),
    (NotFoundError, 404),
    (ConflictError, 409),
    (IndexNotReadyError, 503),
    (UpstreamError, 502),
    (ConfigError, 500),
)


def http_status(exc: AssistantError) -> int:
    """The HTTP status of ``exc`` (500 for an error no face should have let through)."""
    for cls, status in HTTP_STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def error_body(code: str, message: str) -> dict[str, Any]:
    """The body of every HTTP error (docs/contract.md): ``{"error": {"code", "message"}}``."""
    return {"error": {"code": code, "message": message}}
