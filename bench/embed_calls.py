#!/usr/bin/env python3
"""Per-call overhead of the embedding wrappers: the same calls through the Python wrapper
(PyPI `wasmtime`) and the Node wrapper (jco), each over its `MemoryStore` (the same dict/Map
design, so the store costs alike), in one run, on the same component and settings; plus the
Python wrapper over its default SQLite file, which is what a Python app runs. Prints one table
of medians in milliseconds.

Calls: `validate` (a session token: store reads of the session and its user), `begin_login`
(the right password with the cheap argon2 of embed/cases.json: throttle counters, the user
record, a new session) and `sign` (1 KiB of bytes in, a string out; one store read of the key
ring). Login throttles are raised: one account signs in from one address as fast as it can.
Each call first runs for `--warm` seconds on both sides (V8 tiers wasm up while it runs;
wasmtime compiles it fully before the first call), then `--rounds` timed calls; the median
is the upper middle sample on both sides.

Usage: python bench/embed_calls.py [--rounds N] [--warm SECS] [--component PATH] [--python-store KIND]
(`--python-store sqlite-memory` compares with a wrapper that has no `MemoryStore`.)
Run with the Python that has `embed/python` installed (scripts/test-embed's venv), with
`node` on PATH and `embed/js` transpiled (`npm test` there does it).
"""

import argparse
import json
import os
import pathlib
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def config():
    with open(ROOT / "embed" / "cases.json", encoding="utf-8") as f:
        cfg = dict(json.load(f)["config"])
    cfg.update(SESAME_THROTTLE_LOGIN_PER_IP="1000000", SESAME_THROTTLE_LOGIN_PER_ACCOUNT="1000000")
    return cfg


def median(samples):
    return sorted(samples)[len(samples) // 2]


def python_times(cfg, rounds, warm_secs, component, store):
    from sesame import MemoryOutbox, Sesame

    auth = Sesame(component, store=store, config=cfg, outbox=MemoryOutbox())
    auth.register("ada@example.com", "analytical engine")
    session = auth.login("ada@example.com", "analytical engine", address="192.0.2.1")
    payload = b"x" * 1024

    def timed(call):
        until = time.perf_counter() + warm_secs
        while time.perf_counter() < until:
            call()
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1000)
        return median(samples)

    return {
        "validate": timed(lambda: auth.validate(session.token)),
        "begin_login": timed(
            lambda: auth.begin_login("ada@example.com", "analytical engine", address="192.0.2.1")
        ),
        "sign": timed(lambda: auth.sign("bench", payload)),
    }


def node_times(cfg, rounds, warm_secs, component):
    out = subprocess.run(
        [
            "node",
            str(ROOT / "bench" / "embed_calls.mjs"),
            json.dumps(cfg),
            str(rounds),
            str(warm_secs),
            component,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--warm", type=float, default=3.0, help="warm-up seconds per call")
    parser.add_argument("--component", default=os.environ.get("SESAME_EMBED_COMPONENT"))
    parser.add_argument(
        "--python-store",
        choices=["memory", "sqlite-memory"],
        default="memory",
        help="the store of the python column: MemoryStore, or SQLite ':memory:'",
    )
    args = parser.parse_args()
    import sesame
    from sesame import SqliteStore

    cfg = config()
    store = sesame.MemoryStore() if args.python_store == "memory" else SqliteStore(":memory:")
    py = python_times(cfg, args.rounds, args.warm, args.component, store)
    js = node_times(cfg, args.rounds, args.warm, args.component)
    with tempfile.TemporaryDirectory() as tmp:
        py_sqlite = python_times(
            cfg, args.rounds, args.warm, args.component, SqliteStore(f"{tmp}/auth.db")
        )
    print(f"{'call':<14}{'python ms':>11}{'node ms':>10}{'python/node':>13}{'python+sqlite ms':>18}")
    for name in py:
        ratio = py[name] / js[name]
        print(f"{name:<14}{py[name]:>11.3f}{js[name]:>10.3f}{ratio:>13.2f}{py_sqlite[name]:>18.3f}")
    print(
        json.dumps(
            {
                "rounds": args.rounds,
                "python_store": args.python_store,
                "python": py,
                "node": js,
                "python_sqlite_file": py_sqlite,
            }
        )
    )


if __name__ == "__main__":
    main()
