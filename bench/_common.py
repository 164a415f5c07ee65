"""What the measurement scripts in bench/ share: where the build is, starting `sesame serve` on
a loopback port, timed JSON requests, and latency summaries."""

import argparse
import contextlib
import http.client
import json
import os
import pathlib
import socket
import statistics
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def add_sesame_arguments(parser, profile="debug", target=TARGET):
    """Adds --sesame and --component (the binary and component under measurement)."""
    target = pathlib.Path(target)
    parser.add_argument("--sesame", default=str(target / profile / "sesame"))
    parser.add_argument("--component",
                        default=str(target / "wasm32-wasip2" / "release" / "sesame_guest.wasm"))


def rounds_parser(doc, rounds):
    """An argument parser for a script that measures Sesame over a number of rounds: its
    description is the first line of `doc`, then --rounds (default `rounds`) and the arguments
    of `add_sesame_arguments`; the caller adds its own before parsing."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=rounds)
    add_sesame_arguments(parser)
    return parser


def free_port():
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60.0):
    """Waits until `port` accepts connections; raises if `proc` exits or time runs out."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open within {timeout}s")


@contextlib.contextmanager
def sesame_serving(args, store, env, prefix=()):
    """Runs `sesame serve` (args.sesame with args.component) over `store` on a free loopback
    port, with `env` added to the environment and `prefix` before the command (a shell that
    sets limits, say); yields the port and kills the server on the way out."""
    env = dict(os.environ, RUST_LOG="warn", **env)
    server = subprocess.Popen(
        [*prefix, args.sesame, "--store", str(store), "--component", args.component,
         "serve", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, env=env, text=True)
    try:
        yield int(server.stdout.readline().rsplit(":", 1)[1])
    finally:
        server.kill()
        server.wait()


def exchange(port, method, path, payload=None, headers=None, timeout=30):
    """One request with a ready body on a new connection; returns (status, response headers
    with lower-case names, response body, seconds to the whole answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    conn.request(method, path, body=payload, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data, elapsed


def request(port, method, path, body=None, headers=None, timeout=30):
    """Sends `body` as JSON; returns (status, response body, seconds to the whole answer)."""
    payload = json.dumps(body).encode() if body is not None else None
    all_headers = {"content-type": "application/json", **(headers or {})}
    status, _, data, elapsed = exchange(port, method, path, payload, all_headers, timeout)
    return status, data, elapsed


def p90(samples):
    """The 90th percentile of sorted `samples`."""
    return samples[int(len(samples) * 0.9) - 1]


def print_medians(times):
    """Prints a row of median and p90 per kind of `times` (kind -> milliseconds); returns the
    medians by kind."""
    medians = {}
    for kind, samples in times.items():
        samples.sort()
        medians[kind] = statistics.median(samples)
        print(f"{kind:<16} {medians[kind]:>10.2f} {p90(samples):>8.2f}")
    return medians
