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
# The replicas: the services that run the assistant (they set its data dir).
APPS = {name: service for name, service in COMPOSE["services"].items()
        if "ASSISTANT_DATA_DIR" in (service.get("environment") or {})}
NGINX = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")


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
    assert len(APPS) >= 2
    for app in APPS.values():
        assert "ports" not in app and app["expose"] == [served.group(1)]  # only the proxy's
        compose_probe = " ".join(app["healthcheck"]["test"])
        assert f"127.0.0.1:{served.group(1)}{probed.group(2)}" in compose_probe
        if "command" in app:  # the image's CMD otherwise
            assert " ".join(app["command"]).endswith(f"--host 0.0.0.0 --port {served.group(1)}")
    assert _status(probed.group(2), tmp_path) == 200


def test_the_proxy_spreads_requests_over_every_replica() -> None:
    proxy = COMPOSE["services"]["proxy"]
    listen = re.search(r"^\s*listen (\d+);", NGINX, re.MULTILINE)
    assert listen and proxy["ports"] == [f"{listen.group(1)}:{listen.group(1)}"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    upstreams = set(re.findall(r"^\s*server (\S+?)(?: |;)", NGINX, re.MULTILINE))
    assert upstreams == {f"{name}:{app['expose'][0]}" for name, app in APPS.items()}
    assert set(proxy["depends_on"]) == set(APPS)
    size = re.search(r"client_max_body_size (\d+)m;", NGINX)
    assert size and int(size.group(1)) * 1024 * 1024 > Settings().max_upload_bytes


def test_replicas_share_the_state_and_are_told_apart() -> None:
    envs = [app["environment"] for app in APPS.values()]
    for key in ("ASSISTANT_DATA_DIR", "ASSISTANT_CHROMA_URL", "ASSISTANT_DATABASE_URL"):
        assert len({env[key] for env in envs}) == 1, key
    assert len({env["ASSISTANT_REPLICA"] for env in envs}) == len(envs)
    for app in APPS.values():  # one volume, mounted where the data dir is
        assert f"data:{app['environment']['ASSISTANT_DATA_DIR']}" in app["volumes"]


def test_the_database_url_names_the_postgres_service() -> None:
    from sqlalchemy.engine import make_url

    postgres = COMPOSE["services"]["postgres"]
    env = postgres["environment"]
    url = make_url(next(iter(APPS.values()))["environment"]["ASSISTANT_DATABASE_URL"])
    assert url.get_backend_name() == "postgresql" and url.host == "postgres"
    assert url.port == 5432 and url.username == env["POSTGRES_USER"]
    assert url.database == env["POSTGRES_DB"] and url.password == env["POSTGRES_PASSWORD"]
    assert "pg_isready" in postgres["healthcheck"]["test"]
    for app in APPS.values():
        assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    Settings(database_url=str(url))  # a URL the setting accepts


def test_chroma_url_names_the_chroma_service_and_its_port() -> None:
    chroma = COMPOSE["services"]["chroma"]
    port = chroma["command"][chroma["command"].index("--port") + 1]
    for app in APPS.values():
        assert app["environment"]["ASSISTANT_CHROMA_URL"] == f"http://chroma:{port}"
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
