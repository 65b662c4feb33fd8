"""The Dockerfile and compose.yaml cannot drift from the app (issue 13, item 4): no Docker
engine runs here, so they are parsed and checked against Settings and the app's routes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SETTINGS = {f"ASSISTANT_{name.upper()}" for name in Settings.model_fields}


def _instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            head, _, rest = line.partition(" ")
            out.append((head.upper(), rest.strip()))
    return out


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for head, rest in _instructions():
        if head == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def _status(path: str, tmp: Path) -> int:
    """What the real app answers to GET ``path``."""
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.service import Assistant

    settings = Settings(data_dir=tmp)
    with TestClient(create_app(settings, Assistant(settings))) as client:
        return client.get(path).status_code


def test_every_assistant_variable_is_a_setting() -> None:
    set_by_image = {k for k in _dockerfile_env() if k.startswith("ASSISTANT_")}
    set_by_compose = {
        k for service in COMPOSE["services"].values()
        for k in (service.get("environment") or {}) if k.startswith("ASSISTANT_")
    }
    assert set_by_image and set_by_compose
    assert set_by_image - SETTINGS == set()
    assert set_by_compose - SETTINGS == set()


def test_ports_and_health_routes_match_the_app(tmp_path: Path) -> None:
    instructions = _instructions()
    exposed = {rest for head, rest in instructions if head == "EXPOSE"}
    command = next(rest for head, rest in instructions if head == "CMD")
    health = next(rest for head, rest in instructions if head == "HEALTHCHECK")
    served = re.search(r"--port (\d+)", command)
    assert served and exposed == {served.group(1)}
    assert "assistant serve" in command and "--host 0.0.0.0" in command
    probed = re.search(r"http://127\.0\.0\.1:(\d+)(/\S*)", health)
    assert probed and probed.group(1) == served.group(1)
    app = COMPOSE["services"]["app"]
    assert app["ports"] == [f"{served.group(1)}:{served.group(1)}"]
    compose_probe = " ".join(app["healthcheck"]["test"])
    assert f"127.0.0.1:{served.group(1)}{probed.group(2)}" in compose_probe
    assert _status(probed.group(2), tmp_path) == 200


def test_chroma_url_names_the_chroma_service_and_its_port() -> None:
    chroma = COMPOSE["services"]["chroma"]
    port = chroma["command"][chroma["command"].index("--port") + 1]
    url = COMPOSE["services"]["app"]["environment"]["ASSISTANT_CHROMA_URL"]
    assert url == f"http://chroma:{port}"
    import chromadb

    assert chroma["image"].endswith(":" + chromadb.__version__)  # server and client agree


def test_the_image_runs_as_a_user_and_bakes_the_model_export() -> None:
    instructions = _instructions()
    users = [rest for head, rest in instructions if head == "USER"]
    assert users and users[-1] not in ("root", "0")
    env = _dockerfile_env()
    assert env["HF_HUB_OFFLINE"] == "1"
    exported_at_build = [
        rest for head, rest in instructions if head == "RUN" and "Embedder().warm()" in rest
    ]
    assert exported_at_build and "ASSISTANT_MODEL_CACHE_DIR" in env
    assert "torch==2.13.0" in DOCKERFILE  # the pinned CPU build, as the Makefile installs it
