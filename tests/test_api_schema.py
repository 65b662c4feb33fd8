"""Schemathesis against the served /openapi.json: no input makes the server fail (no 5xx), and
every response matches what the schema documents (status, content type, body).

Uses schemathesis's Python API with one hypothesis test per operation: its lazy pytest loader
(``schemathesis.pytest.from_fixture``) does not work with this pytest version.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assistant.api.app import create_app
from assistant.settings import Settings

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# Uploads ingest a document per example (slow) and are refused here anyway (no keys: 403);
# tests/test_api_documents.py covers them.
SKIP = {("POST", "/v1/documents")}


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) for every operation; negative mode only where there is input."""
    spec = create_app(Settings(data_dir="/nonexistent")).openapi()  # builds no model or index
    cases = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if (method.upper(), path) in SKIP:
                continue
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if op.get("parameters") or op.get("requestBody"):
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


@pytest.fixture(scope="module")
def api_schema(api_server: Any) -> Any:
    return schemathesis.openapi.from_url(api_server.url + "/openapi.json")


@pytest.mark.parametrize(("method", "path", "mode"), _cases(),
                         ids=lambda v: v.value if isinstance(v, GenerationMode) else str(v))
def test_no_server_errors(api_schema: Any, method: str, path: str, mode: Any) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    run()
