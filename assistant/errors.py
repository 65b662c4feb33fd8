"""Domain errors. Only ``api/`` maps them to HTTP statuses, only the CLI to exit codes.

AssistantError
├── InputError              bad input from a person or client (400)
│   ├── UnsupportedFileError    a file type we cannot read
│   ├── UnreadableFileError     a file we could not decode or parse
│   ├── QuestionError           an empty, oversized or malformed question
│   ├── CallbackURLError        a webhook callback_url the server will not call
│   └── TooLargeError           an upload over the size limit (413)
├── NotFoundError           unknown document, conversation, ... (404)
├── ConflictError           the state refuses the change, try later or elsewhere (409)
│   ├── BusyError               another ingest holds the data dir's lock
│   └── ConversationFullError   a conversation reached its turn limit
├── IndexNotReadyError      no index has been built yet (503)
├── ConfigError             a setting that cannot work (500)
└── UpstreamError           an LLM endpoint or Chroma server failed (502)

Messages name the bad value and the way out, never a server path.
"""

from __future__ import annotations


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
