"""Scrapes `sesame serve --metrics-listen` after known traffic and checks the figures with an
independent parser: the OpenMetrics parser of PyPI's `prometheus-client`, which refuses
malformed exposition text.

Usage: check_metrics.py SESAME_BIN COMPONENT (scripts/test-operations runs it)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Optional, Tuple

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def request(
    base: str, method: str, path: str, body: Optional[dict] = None, headers: Optional[dict] = None
) -> Tuple[int, Any, bytes]:
    """Status, headers (looked up ignoring case) and body."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        req.add_header("content-type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read()


FAMILIES: set = set()


def samples(text: str) -> Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]:
    """Every sample by name and sorted labels; the families' names go to `FAMILIES`."""
    found = {}
    for family in text_string_to_metric_families(text):
        FAMILIES.add(family.name)
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    if key not in found:
        raise AssertionError(f"no sample {name}{labels}; have {sorted(k for k in found if k[0] == name)}")
    return found[key]


def main() -> None:
    binary, component = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as work:
        env = dict(
            os.environ,
            SESAME_ARGON2_M_KIB="1024",
            SESAME_ARGON2_T="1",
            RUST_LOG="warn",
        )
        server = subprocess.Popen(
            [
                binary,
                "--store",
                os.path.join(work, "sesame.db"),
                "--component",
                component,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            assert server.stdout is not None
            base = server.stdout.readline().split(" listening on ")[1].strip()
            metrics = server.stdout.readline().split(" metrics on ")[1].strip()

            ada = {"email": "ada@example.com", "password": "analytical engine"}
            assert request(base, "POST", "/register", ada)[0] == 202
            for _ in range(3):
                wrong = dict(ada, password="wrong password")
                assert request(base, "POST", "/login", wrong)[0] == 401
            status, headers, _ = request(base, "POST", "/login", ada)
            assert status == 200
            cookie = headers["Set-Cookie"].split(";")[0]
            for _ in range(2):
                assert request(base, "GET", "/me", headers={"cookie": cookie})[0] == 200
            assert request(base, "GET", "/no/such/route/71c2")[0] == 404
            # The public listener does not serve the figures.
            assert request(base, "GET", "/metrics")[0] == 404

            status, headers, body = request(metrics.rsplit("/", 1)[0], "GET", "/metrics")
            assert status == 200, status
            assert headers["Content-Type"].startswith("application/openmetrics-text"), headers
            found = samples(body.decode())

            def requests(route: str, method: str, code: str) -> float:
                return value(
                    found, "sesame_http_requests_total", route=route, method=method, status=code
                )

            assert requests("/register", "POST", "202") == 1
            assert requests("/login", "POST", "401") == 3
            assert requests("/login", "POST", "200") == 1
            assert requests("/me", "GET", "200") == 2
            # The route that does not exist and /metrics asked of the public listener.
            assert requests("unmatched", "GET", "404") == 2, found
            assert value(found, "sesame_http_request_duration_seconds_count", route="/login") == 4
            assert value(found, "sesame_sign_ins_total", method="password", result="failure") == 3
            assert value(found, "sesame_sign_ins_total", method="password", result="success") == 1
            assert value(found, "sesame_events_total", kind="login-failed") == 3
            assert value(found, "sesame_events_total", kind="registered") == 1
            assert value(found, "sesame_lockouts_total") == 0
            assert value(found, "sesame_instances", state="in_use") == 0
            assert value(found, "sesame_instances", state="idle") >= 1
            assert value(found, "sesame_store_operation_duration_seconds_count", op="get") > 0
            assert value(found, "sesame_store_operation_duration_seconds_count", op="put") > 0
            # Random paths never become labels.
            routes = {dict(k[1]).get("route") for k in found if k[0] == "sesame_http_requests_total"}
            assert routes == {"/register", "/login", "/me", "unmatched"}, routes
            assert request(metrics.rsplit("/", 1)[0], "GET", "/other")[0] == 404
            # Clients that connect and say nothing take the slots only briefly: a scrape meanwhile
            # is told 503 at once instead of hanging, and works once their heads time out.
            host, port = metrics.split("//")[1].split("/")[0].split(":")
            idle = [socket.create_connection((host, int(port))) for _ in range(8)]
            time.sleep(0.2)
            started = time.monotonic()
            assert request(metrics.rsplit("/", 1)[0], "GET", "/metrics")[0] == 503
            assert time.monotonic() - started < 1.5
            time.sleep(2.5)
            assert request(metrics.rsplit("/", 1)[0], "GET", "/metrics")[0] == 200
            for connection in idle:
                connection.close()
            # The dashboard shipped in docs/ asks only for figures Sesame serves.
            dashboard = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "grafana-dashboard.json")
            with open(dashboard, encoding="utf-8") as f:
                exprs = [t["expr"] for p in json.load(f)["panels"] for t in p["targets"]]
            asked = {
                re.sub(r"_(total|bucket|count|sum)$", "", name)
                for name in re.findall(r"sesame_[a-z_]+", " ".join(exprs))
            }
            missing = asked - FAMILIES
            assert not missing, f"the dashboard asks for metrics Sesame does not serve: {missing}"
            print(f"metrics: {len(found)} samples parsed and checked; dashboard asks for {len(asked)}")
        finally:
            server.terminate()
            assert server.wait(timeout=30) == 0, "sesame did not stop cleanly"


if __name__ == "__main__":
    main()
