#!/usr/bin/env python3
"""What one failed sign-in costs against the costliest imported hash Sesame accepts, per scheme.

Imports one user per case into a fresh SQLite store (`sesame user import`), with a hash at
the highest cost `core/src/legacy_hash.rs` admits (and, for reference, the source systems'
defaults and Sesame's own argon2id), then serves it twice: with native hashing on the host
(the default) and with `--guest-hashing` (the same code inside the component, as on Spin or in
an embedding host). For each case it times wrong-password sign-ins over loopback HTTP and
prints the median and the fastest, in milliseconds, with the machine's core count and load.

Usage: bench/legacy_hash.py [--sesame target/release/sesame] [--component sesame_guest.wasm]
       [--runs 5] [--json results.json]

A measurement, not a test: nothing here runs in scripts/test. The figures in docs/security.md
come from this script.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _common import add_sesame_arguments, free_port, wait_port

TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/sesame-target"))

# Salt and checksum are well-formed but arbitrary: a wrong password costs the full hash either
# way, and no password is meant to match.
B64_22 = "OV452AaV43VVJErTpGlhlu"
B64_31 = "pGr89XGXeOStZF5n2jSC2B7Pz5xTnOO"
AB64_SALT = "DIFQylnLeS.l1No7p3RO6Q"
AB64_32 = "06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0"
AB64_64 = ("7Piykm3WVSrRIbgj304DiJhzOZPkAfarskOj5pHjM2svLSztf21bZg6uIyvyE9g9M3QJDnS4GinKPeXz2f6ejg")
PHC_SALT = "HcNY652TMibEWIuRsnYOYQ"
PHC_32 = "yWXtfp3GCpTYcBfCm+JRf3bdQPQpc8jt9fV1LaC9dwU"


def argon2(variant, m, t, p):
    return f"$argon2{variant}$v=19$m={m},t={t},p={p}${PHC_SALT}${PHC_32}"


# (name, hash, whether it is the worst case Sesame accepts for its scheme)
CASES = [
    ("bcrypt cost 12 (limit; passlib/Django/FST default)", f"$2b$12${B64_22}{B64_31}", True),
    ("pbkdf2-sha256 1,200,000 (limit; Django 6.0 default)",
     f"pbkdf2_sha256$1200000$seasalt$6sTlFi4QohxXLuZigqDIUNX8xG9NxrTmV8+flFQdBqE=", True),
    ("pbkdf2-sha256 29,000 (passlib default)", f"$pbkdf2-sha256$29000${AB64_SALT}${AB64_32}", False),
    ("pbkdf2-sha512 210,000 (limit)", f"$pbkdf2-sha512$210000${AB64_SALT}${AB64_64}", True),
    ("pbkdf2-sha512 25,000 (passlib/FST default)", f"$pbkdf2-sha512$25000${AB64_SALT}${AB64_64}", False),
    ("argon2id m=65536 t=10 p=4 (work limit; former FST default)", argon2("id", 65536, 10, 4), True),
    ("argon2id m=102400 t=6 p=16 (memory limit)", argon2("id", 102400, 6, 16), True),
    ("argon2id m=65536 t=3 p=4 (argon2-cffi/passlib/FST default)", argon2("id", 65536, 3, 4), False),
    ("argon2id m=102400 t=2 p=8 (Django default)", argon2("id", 102400, 2, 8), False),
    ("argon2i m=65536 t=10 p=4 (work limit, argon2i)", argon2("i", 65536, 10, 4), True),
]


def failed_sign_in_ms(port, email):
    body = json.dumps({"email": email, "password": "not the password at all"})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("POST", "/login", body, {"content-type": "application/json"})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    if response.status != 401:
        sys.exit(f"{email}: expected 401, got {response.status}")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_sesame_arguments(ap, profile="release", target=TARGET)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="sesame-legacy-bench-")
    store = os.path.join(work, "sesame.db")
    env = dict(os.environ,
               SESAME_THROTTLE_LOGIN_PER_IP="100000000",
               SESAME_THROTTLE_LOGIN_PER_ACCOUNT="100000000",
               RUST_LOG="error")
    base = [args.sesame, "--store", store, "--component", args.component,
            "--cache-dir", os.path.join(work, "cache")]
    lines = "".join(json.dumps({"email": f"case{i}@example.com", "password_hash": h}) + "\n"
                    for i, (_, h, _) in enumerate(CASES))
    subprocess.run(base + ["user", "import", "-"], input=lines, text=True, check=True, env=env,
                   stdout=subprocess.DEVNULL)

    results = {"cores": os.cpu_count(), "load_before": os.getloadavg()[0], "cases": []}
    timings = {}
    for mode, flags in (("native", []), ("guest", ["--guest-hashing"])):
        port = free_port()
        proc = subprocess.Popen(base + flags + ["serve", "--listen", f"127.0.0.1:{port}"],
                                env=env, stdout=subprocess.DEVNULL)
        try:
            wait_port(port, proc)
            for i, _ in enumerate(CASES):
                email = f"case{i}@example.com"
                failed_sign_in_ms(port, email)  # warm the instance
                runs = [failed_sign_in_ms(port, email) for _ in range(args.runs)]
                timings[(mode, i)] = runs
        finally:
            proc.kill()
            proc.wait()
    results["load_after"] = os.getloadavg()[0]

    print(f"failed sign-in against an imported hash, ms (median / fastest of {args.runs}); "
          f"{results['cores']} cores, load {results['load_before']:.1f} -> {results['load_after']:.1f}")
    print(f"{'case':62} {'native':>15} {'in component':>15}")
    for i, (name, _, worst) in enumerate(CASES):
        native, guest = timings[("native", i)], timings[("guest", i)]
        row = {"case": name, "worst_accepted": worst,
               "native_median_ms": statistics.median(native), "native_min_ms": min(native),
               "guest_median_ms": statistics.median(guest), "guest_min_ms": min(guest)}
        results["cases"].append(row)
        print(f"{name:62} {row['native_median_ms']:7.0f} / {row['native_min_ms']:5.0f} "
              f"{row['guest_median_ms']:7.0f} / {row['guest_min_ms']:5.0f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
