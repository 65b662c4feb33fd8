"""Prometheus metrics, one ``CollectorRegistry`` per app (so tests' apps don't collide).

With ``assistant serve --workers N`` every worker process writes its samples into one
directory (prometheus-client's multiprocess mode, set up by :func:`share_across_workers`
before the workers start) and ``/metrics`` from any worker reports the sum over all of them.

    assistant_http_requests_total{method, route, status}       route = the path template
    assistant_http_request_duration_seconds{method, route}     histogram, to the last body byte
    assistant_answers_total{outcome}                           verified|conflict|refused|unverified
    assistant_replica_info{replica}                            1, named by ASSISTANT_REPLICA

Replicas on several machines each serve their own ``/metrics`` (scrape each, not the proxy);
``assistant_replica_info`` names the replica so its series can be told apart and joined on.
The series keep their label sets, so dashboards over one replica still add up.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..types import Answer

OUTCOMES = ("verified", "conflict", "refused", "unverified")
UNMATCHED = "<unmatched>"  # one label for every unknown path, so scanners can't add series
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client reads it at import
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def answer_outcome(answer: Answer) -> str:
    """Classify an answer: refused, else conflict, else unverified if any number is, else
    verified."""
    if answer.refused:
        return "refused"
    statuses = {n.status for n in answer.numbers}
    if answer.conflict or "conflict" in statuses:
        return "conflict"
    if "unverified" in statuses:
        return "unverified"
    return "verified"


class Metrics:
    """The app's collectors and their registry."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, replica: str = "local") -> None:
        self.registry = CollectorRegistry()
        # "max" over a replica's workers (multiprocess mode): one series of value 1.
        self.replica = Gauge(
            "assistant_replica_info", "This replica's name (ASSISTANT_REPLICA); always 1.",
            ["replica"], registry=self.registry, multiprocess_mode="max",
        )
        self.replica.labels(replica).set(1)
        self.requests = Counter(
            "assistant_http_requests", "HTTP requests by route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "assistant_http_request_duration_seconds",
            "HTTP request latency by route template, until the last body byte is sent.",
            ["method", "route"], buckets=_BUCKETS, registry=self.registry,
        )
        self.answers = Counter(
            "assistant_answers", "Answers given, by outcome.", ["outcome"],
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self.answers.labels(outcome)

    def observe_answer(self, answer: Answer) -> None:
        self.answers.labels(answer_outcome(answer)).inc()

    def render(self) -> bytes:
        """The exposition text: this app's samples, or every worker's summed in multiprocess
        mode."""
        if os.environ.get(MULTIPROCESS_ENV):
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)


def share_across_workers(directory: Path) -> None:
    """Make worker processes started after this call pool their metrics in ``directory``
    (emptied first: samples of an earlier server must not count)."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(directory)


class MetricsMiddleware:
    """Counts and times every HTTP request by the route template it matched."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)
