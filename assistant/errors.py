"""Domain errors. Only ``api/`` maps them to HTTP statuses, only the CLI to exit codes.

AssistantError
├── InputError              bad input from a person or client (400)
│   ├── UnsupportedFileError    a file type we cannot read
│   ├── UnreadableFileError     a file we could not decode or parse
│   └── QuestionError           an empty or oversized question
├── NotFoundError           unknown document, conversation, ... (404)
├── IndexNotReadyError      no index has been built yet (503)
├── ConfigError             a setting that cannot work (500)
└── UpstreamError           an LLM endpoint or Chroma server failed (502)
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


class NotFoundError(AssistantError):
    code = "not_found"


class IndexNotReadyError(AssistantError):
    code = "index_not_ready"


class ConfigError(AssistantError):
    code = "config_error"


class UpstreamError(AssistantError):
    code = "upstream_error"
