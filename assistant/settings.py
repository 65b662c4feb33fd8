"""One settings object for the whole application, read from ``ASSISTANT_*`` variables."""

from __future__ import annotations

import socket
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every tunable of the assistant. ``ASSISTANT_DATA_DIR`` moves all state."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    data_dir: Path = Field(default=REPO_ROOT / "index", description="All built state lives here.")
    corpus_dir: Path = Field(default=REPO_ROOT / "corpus", description="Default ingest source.")
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL; embedded if unset."
    )
    collection_prefix: str = Field(default="assistant", description="Chroma collection prefix.")
    database_url: str = Field(
        default="",
        description="Where conversations, feedback and the bots' thread state live: a "
        "PostgreSQL URL (postgresql://user:password@host:5432/db) shared by every replica; "
        "empty: an SQLite file in the data dir.",
    )
    replica: str = Field(
        default_factory=lambda: socket.gethostname() or "local",
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$",
        description="This replica's name in /metrics (assistant_replica_info); the host name "
        "if unset.",
    )

    # Retrieval
    top_k: int = Field(default=8, ge=1, le=100)
    candidates: int = Field(default=50, ge=1, le=1000, description="Per-ranking depth before RRF.")
    rrf_k: int = Field(default=60, ge=1)
    dense_exact_max: int = Field(
        default=50_000, ge=0,
        description="A generation with at most this many chunks is searched exactly (every "
        "vector scored: repeatable; faster than HNSW up to ~30k, 0.6 ms slower at 50k); a "
        "larger one through Chroma's HNSW index. 0: always HNSW.",
    )
    chunk_max_tokens: int = Field(default=200, ge=32, le=256)
    chunk_overlap_sentences: int = Field(default=1, ge=0, le=5)
    embed_batch_size: int = Field(default=64, ge=1)
    embed_backend: Literal["onnx", "torch"] = Field(
        default="onnx", description="What runs the embedding model: ONNX Runtime or PyTorch."
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the embedding model runs; auto uses a GPU if present."
    )
    model_cache_dir: Path | None = Field(
        default=None,
        description="Where the ONNX export of the embedding model is kept; <data dir>/models "
        "if unset. Share it between data dirs to export once.",
    )

    @property
    def model_cache(self) -> Path:
        """Where the exported embedding model lives."""
        return self.model_cache_dir or self.data_dir / "models"

    # Answering
    selector_dir: Path | None = Field(
        default=None,
        description="A selector trained by `assistant train-selector`; the shipped one if unset.",
    )
    llm_url: str | None = Field(default=None, description="OpenAI-compatible chat endpoint.")
    llm_model: str = "default"
    llm_api_key: str | None = None
    llm_timeout_s: float = Field(default=20.0, gt=0)

    # Service
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated or JSON list."
    )
    admin_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Keys that also read, list and delete every conversation; they are API "
        "keys too. Comma-separated or JSON list.",
    )
    allow_anonymous_writes: bool = Field(
        default=False, description="Development only: write routes without a key when keys are set."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated or JSON list."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_question_chars: int = Field(default=4000, ge=1)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_turns: int = Field(
        default=200, ge=1, le=100_000, description="Turns one conversation may hold."
    )
    chat_model: str = Field(
        default="assistant", min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$",
        description="The model id GET /v1/models lists for OpenAI clients to discover.",
    )
    chat_sources_footer: bool = Field(
        default=True,
        description="OpenAI chat replies carry their citations in the content too (a Sources "
        "footer), for chat UIs that ignore extension fields; a request's sources_footer wins.",
    )
    chat_context_messages: int = Field(
        default=10, ge=0, le=200,
        description="Earlier user messages of a chat request used as context (newest kept).",
    )

    # The CLI as a client
    url: str | None = Field(
        default=None, pattern=r"^https?://",
        description="A running server `assistant ask` and `search` use instead of loading the "
        "model (ASSISTANT_URL); unset: the server on 127.0.0.1:8000 if it serves this data "
        "dir's index, else in process.",
    )
    api_key: str | None = Field(default=None, description="The key the CLI sends to that server.")

    # Slack and webhooks
    slack_signing_secret: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = Field(default=None, description="Override Slack's Web API base.")
    hook_secret: str | None = None
    hook_callback_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Networks (CIDR) or addresses a webhook callback may reach although they "
        "are loopback, private, link-local or reserved. Comma-separated or JSON list.",
    )
    hook_callback_timeout_s: float = Field(default=10.0, gt=0, le=120)
    fetch_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Networks (CIDR) or addresses a document URL may be fetched from although "
        "they are loopback, private, link-local or reserved. Comma-separated or JSON list.",
    )
    fetch_timeout_s: float = Field(default=20.0, gt=0, le=300)

    @field_validator("api_keys", "admin_keys", "cors_origins", "hook_callback_allow",
                     "fetch_allow", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """Accept ``a,b`` as well as a JSON list ``["a", "b"]`` from the environment."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        """PostgreSQL or SQLite only, so a typo fails at start-up with the setting's name."""
        value = value.strip()
        scheme = value.partition(":")[0].lower()
        if value and not (scheme.startswith(("postgresql", "sqlite")) or scheme == "postgres"):
            raise ValueError(
                "ASSISTANT_DATABASE_URL must be a postgresql:// (or sqlite://) URL, e.g. "
                "postgresql://assistant:secret@db:5432/assistant; leave it empty for the "
                "embedded SQLite file"
            )
        return value

    @field_validator("hook_callback_allow", "fetch_allow")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        """Every entry must be an IP network or address, so a typo fails at start-up."""
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or CIDR network; write e.g. 127.0.0.1 or "
                    "10.1.0.0/16"
                ) from None
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Tests build their own ``Settings`` instead."""
    return Settings()
