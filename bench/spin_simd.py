#!/usr/bin/env python3
"""Sign-ins per second: `sesame serve` against the Spin component with and without simd128.

In one run, on this machine, each server over a fresh SQLite database with one account per
client and argon2id at the deployments' default cost (m=19456 KiB, t=2, p=1):

  (a) `sesame serve`: the component calls the host's native argon2id (`sesame:auth/hashing`)
  (b) the Spin component under `spin-test-host`, built without simd128 (argon2id in wasm)
  (c) the same component built with simd128, as `.cargo/config.toml` builds it
  (d) with `--postgres URL`, (c) keeping its records in PostgreSQL (`store = "postgres"`)

N clients sign in with the right password as fast as they can, each request on a new
connection (Spin's trigger does not set TCP_NODELAY, see the README), until `--count` sign-ins
are done or `--seconds` have passed; that `--rounds` times, each round in the reverse order of
the one before, so that a change in the machine's load weighs on all three alike. It prints
(medians over the rounds) successful sign-ins per second, the median and p90 of one sign-in,
the median of a `GET /healthz` before them (what any request costs there) and each
component's size; `--json FILE` keeps the figures.

The two Spin builds are made here, into the cargo target directory, the plain one first; the
simd128 build is made last, so `target/wasm32-wasip2/release/sesame_spin.wasm` is again the
one `spin build` and the tests use. Copies of both are kept under `target/bench-spin/`.

Usage: bench/spin_simd.py [--clients N] [--count N] [--seconds N] [--rounds N] [--built]
                          [--json FILE] [--sesame PATH] [--component PATH] [--spin-host PATH]
                          [--postgres URL]
(after `cargo build -p sesame-host --bins` and the sesame-guest component build; debug
binaries by default: their dependencies, argon2 and Cranelift among them, are optimised.)
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

from _common import ROOT, TARGET, add_sesame_arguments, p90, request, sesame_serving

PASSWORD = "correct horse battery staple"
# The bench signs a few accounts in from one address as fast as it can, which Sesame
# otherwise (rightly) stops after a few attempts a minute.
THROTTLES = {"THROTTLE_LOGIN_PER_IP": "100000000", "THROTTLE_LOGIN_PER_ACCOUNT": "100000000",
             "THROTTLE_REGISTER_PER_IP": "100000000"}
# The master secret of the Spin runs (fixed, like the tests'; nothing here is kept).
# Sequential `GET /healthz` timed before the sign-ins.
HEALTHZ = 50
SPIN_SECRET = "c2VzYW1lLWJlbmNoLXNwaW4tc2VjcmV0LTMyLWJ5dGVzIQ"
WASM = TARGET / "wasm32-wasip2" / "release"
COPIES = TARGET / "bench-spin"


def build_spin(label, rustflags):
    """Builds sesame-spin for wasm32-wasip2 with `rustflags` (None: the repository's own, from
    `.cargo/config.toml`) and keeps a copy named after `label`; returns the copy's path."""
    env = dict(os.environ)
    env.pop("CARGO_ENCODED_RUSTFLAGS", None)
    env.pop("RUSTFLAGS", None)
    if rustflags is not None:
        # RUSTFLAGS replaces the config's `target.wasm32-wasip2.rustflags` rather than adding.
        env["RUSTFLAGS"] = rustflags
    subprocess.run(["cargo", "build", "--locked", "--release", "--target", "wasm32-wasip2",
                    "-p", "sesame-spin"], cwd=ROOT, env=env, check=True)
    COPIES.mkdir(parents=True, exist_ok=True)
    copy = COPIES / f"sesame_spin-{label}.wasm"
    shutil.copyfile(WASM / "sesame_spin.wasm", copy)
    return copy


def postgres_manifest(url, directory):
    """A copy of spin.toml in `directory` whose component may reach the PostgreSQL server of
    `url`, as a deployment on PostgreSQL lists it in `allowed_outbound_hosts`."""
    authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    if ":" not in authority:
        authority += ":5432"
    text = (ROOT / "spin.toml").read_text()
    text = text.replace("allowed_outbound_hosts = []",
                        f'allowed_outbound_hosts = ["postgres://{authority}"]', 1)
    path = pathlib.Path(directory) / "spin.toml"
    path.write_text(text)
    return path


def spin_serving(args, component, store, cache, postgres=None):
    """Starts `spin-test-host` with `component` and the repository's spin.toml over `store`,
    the way tests/src/host.rs does, or with its records in PostgreSQL at `postgres` (a URL
    with a fresh `?schema=`); returns the process and its port."""
    manifest = ROOT / "spin.toml"
    extra = []
    if postgres is not None:
        manifest = postgres_manifest(postgres, pathlib.Path(store).parent)
        extra = ["--variable", "store=postgres", "--variable", f"postgres_url={postgres}"]
    cmd = [args.spin_host, "--manifest", str(manifest), "--component", str(component),
           "--listen", "127.0.0.1:0", "--cache-dir", str(cache), "--sqlite", f"default={store}",
           "--variable", f"secret={SPIN_SECRET}", "--variable", "cookie_secure=false", *extra]
    for name, value in THROTTLES.items():
        cmd += ["--variable", f"{name.lower()}={value}"]
    log = open(pathlib.Path(store).with_suffix(".log"), "w")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"spin-test-host did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1].strip().rstrip("/"))


def sign_ins(port, args):
    """Registers one account per client, then signs them in from `args.clients` threads until
    `args.count` sign-ins are done or `args.seconds` have passed."""
    emails = [f"bench{i}@example.com" for i in range(args.clients)]
    for email in emails:
        status, body, _ = request(port, "POST", "/register", {"email": email, "password": PASSWORD})
        assert status in (200, 201, 202), (status, body)
    status, body, _ = request(port, "POST", "/login", {"email": emails[0], "password": PASSWORD})
    assert status == 200, (status, body)
    # What any request costs on this server (Spin: a fresh instance each), for comparison.
    healthz = sorted(request(port, "GET", "/healthz")[2] * 1000 for _ in range(HEALTHZ))

    lock = threading.Lock()
    times, bad = [], [0]
    left = [args.count]
    until = time.monotonic() + args.seconds

    def client(email):
        body = {"email": email, "password": PASSWORD}
        while time.monotonic() < until:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            status, _, elapsed = request(port, "POST", "/login", body)
            with lock:
                if status == 200:
                    times.append(elapsed * 1000)
                else:
                    bad[0] += 1

    threads = [threading.Thread(target=client, args=(e,)) for e in emails]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    times.sort()
    return {"sign_ins": len(times), "bad": bad[0], "seconds": wall,
            "per_second": len(times) / wall,
            "p50_ms": statistics.median(times) if times else None,
            "p90_ms": p90(times) if times else None,
            "healthz_p50_ms": statistics.median(healthz)}


def measure_sesame(args):
    with tempfile.TemporaryDirectory() as tmp:
        env = {f"SESAME_{name}": value for name, value in THROTTLES.items()}
        with sesame_serving(args, f"{tmp}/sesame.db", env) as port:
            return sign_ins(port, args)


def measure_spin(args, component, cache, postgres=None):
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = spin_serving(args, component, f"{tmp}/sesame.db", cache, postgres)
        try:
            return sign_ins(port, args)
        finally:
            proc.kill()
            proc.wait()


def combine(label, component, runs):
    """One row from the rounds of one server: the median round's rate, the medians of the
    latencies, the sum of failures."""
    def median(key):
        return statistics.median(r[key] for r in runs)
    return {"label": label, "component": str(component),
            "component_bytes": component.stat().st_size, "rounds": runs,
            "per_second": median("per_second"), "p50_ms": median("p50_ms"),
            "p90_ms": median("p90_ms"), "healthz_p50_ms": median("healthz_p50_ms"),
            "bad": sum(r["bad"] for r in runs)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--built", action="store_true",
                        help="measure the copies a previous run left in target/bench-spin")
    parser.add_argument("--spin-host", default=str(TARGET / "debug" / "spin-test-host"))
    parser.add_argument("--postgres", help="also the simd128 component with its records in "
                        "PostgreSQL at this URL (scripts/test-services prints one); each round "
                        "gets a fresh schema")
    add_sesame_arguments(parser)
    args = parser.parse_args()

    if args.built:
        plain, simd = COPIES / "sesame_spin-plain.wasm", COPIES / "sesame_spin-simd128.wasm"
    else:
        plain = build_spin("plain", "-C target-feature=-simd128")
        simd = build_spin("simd128", None)
    rows = [("sesame serve (native argon2id)", pathlib.Path(args.component), None),
            ("Spin component, no simd128", plain, plain),
            ("Spin component, simd128", simd, simd)]
    if args.postgres:
        rows.append(("Spin component, simd128, PostgreSQL", simd, simd))
    # Rounds of the three, each round in the reverse order of the one before, so a change in
    # the machine's load during the run weighs on every row alike.
    runs = {label: [] for label, _, _ in rows}
    with tempfile.TemporaryDirectory() as cache:
        for round_ in range(args.rounds):
            for label, component, spin in (rows if round_ % 2 == 0 else rows[::-1]):
                # Both hosts compile the component before they listen, so the clock, which
                # starts once the accounts are registered, never includes compiling.
                postgres = None
                if label.endswith("PostgreSQL"):
                    separator = "&" if "?" in args.postgres else "?"
                    postgres = (f"{args.postgres}{separator}"
                                f"schema=bench_{os.getpid()}_{round_}")
                runs[label].append(measure_sesame(args) if spin is None
                                   else measure_spin(args, spin, cache, postgres))
    results = [combine(label, component, runs[label]) for label, component, _ in rows]

    print(f"{args.clients} clients, at most {args.count} sign-ins or {args.seconds} s each, "
          f"{args.rounds} interleaved rounds (medians)")
    print(f"{'server':<34}{'sign-ins/s':>11}{'p50 ms':>9}{'p90 ms':>9}{'bad':>5}"
          f"{'healthz ms':>11}{'component bytes':>17}")
    for r in results:
        print(f"{r['label']:<34}{r['per_second']:>11.1f}{r['p50_ms']:>9.1f}{r['p90_ms']:>9.1f}"
              f"{r['bad']:>5}{r['healthz_p50_ms']:>11.2f}{r['component_bytes']:>17}")
    native, plain_r, simd_r = results[:3]
    print(f"simd128: {simd_r['per_second'] / plain_r['per_second']:.2f}x the sign-ins/s of the "
          f"plain build, {simd_r['component_bytes'] / plain_r['component_bytes']:.3f}x its size")
    print(f"native: {native['per_second'] / simd_r['per_second']:.2f}x the simd128 build, "
          f"{native['per_second'] / plain_r['per_second']:.2f}x the plain one")
    for other in results[3:]:
        print(f"{other['label']}: {other['per_second'] / simd_r['per_second']:.2f}x the "
              f"simd128 build on Spin's SQLite")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"clients": args.clients, "count": args.count, "seconds": args.seconds,
                       "rounds": args.rounds, "results": results}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
