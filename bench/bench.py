#!/usr/bin/env python3
"""Sesame against its Python peers, side by side in one run on this machine.

Started by `bench/run`, which installs the peers and builds Sesame first. Each server runs alone
on a loopback port with a fresh SQLite database and one user, and `wrk` loads it for a bounded
time while a probe on one more connection times each of its own requests (see `probe_latency`
for why latency does not come from wrk):

  (a) authenticated GET /me: req/s, p50, p99
  (b) POST /login (argon2id m=19456 KiB, t=2, p=1 everywhere): req/s, p99
  (c) per-request cost of instantiating the component       } measured by the `sesame-bench`
  (d) the same core operations natively and in the guest    } binary (bench/instantiate)
  (e) cold start of `sesame serve` with a cached compiled component

It prints one table and writes bench/results.json.
"""

import argparse
import http.client
import json
import os
import pathlib
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from _common import ROOT, TARGET, free_port, wait_port

PEERS = ROOT / "bench" / "peers"
EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple"
ARGON2 = {"m_kib": 19456, "t": 2, "p": 1}


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def parse_duration_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url, seconds, connections, threads, headers=(), lua=None):
    """Runs wrk and returns req/s, wrk's own p50 and p99 (ms), and how many answers were not
    2xx/3xx."""
    return wrk_result(start_wrk(url, seconds, connections, threads, headers, lua))


def start_wrk(url, seconds, connections, threads, headers=(), lua=None):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if lua:
        cmd += ["-s", lua]
    return subprocess.Popen(cmd + [url], stdout=subprocess.PIPE, text=True)


def wrk_result(proc):
    out = proc.communicate()[0]
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed with {proc.returncode}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if "50" not in pct or "99" not in pct:
        raise RuntimeError(f"wrk reported no latency distribution:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "wrk_p50_ms": parse_duration_ms(pct["50"]),
        "wrk_p99_ms": parse_duration_ms(pct["99"]),
        "non_2xx_3xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else None,
    }


def probe_latency(port, method, path, headers, body, seconds):
    """Times requests on one keep-alive connection, one after another, with the monotonic
    clock, for `seconds`: the latency a client sees while wrk loads the server.

    wrk's own latency figures are not used: on this machine they break Little's law (one
    connection at 6,134 req/s reported a mean of 3.77 ms, where the mean cannot exceed
    1/6,134 s = 0.16 ms), while its request counts are sound."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples, bad = [], 0
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        samples.append(time.perf_counter() - started)
        if response.status >= 400:
            bad += 1
        if response.getheader("connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    samples.sort()
    if not samples:
        raise RuntimeError("the latency probe got no answer")
    pick = lambda q: samples[min(len(samples) - 1, int(len(samples) * q))] * 1000
    return {"probe_requests": len(samples), "p50_ms": pick(0.50), "p99_ms": pick(0.99),
            "probe_bad": bad}


def loaded(url, port, args, wrk_headers, probe, lua=None):
    """wrk with one connection fewer than asked, and the latency probe as the last one."""
    proc = start_wrk(url, args.seconds, max(1, args.connections - 1), args.threads,
                     wrk_headers, lua)
    time.sleep(1)  # wrk's connections are open and busy before the probe starts timing
    latency = probe_latency(port, *probe, seconds=max(1, args.seconds - 2))
    result = wrk_result(proc)
    result.update(latency)
    result["non_2xx_3xx"] += latency["probe_bad"]
    return result


def login_script(directory, body, content_type):
    path = pathlib.Path(directory) / "login.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        f'wrk.headers["Content-Type"] = "{content_type}"\n'
    )
    return str(path)


def curl_cookie(url, body, content_type):
    """Logs in once with curl and returns the session cookie as `name=value`."""
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-D", "-", "-H", f"content-type: {content_type}",
         "--data-binary", body, url],
        capture_output=True, text=True, check=True,
    ).stdout
    match = re.search(r"^set-cookie:\s*([^;\r\n]+)", out, re.I | re.M)
    if not match:
        raise RuntimeError(f"login at {url} set no cookie:\n{out}")
    return match.group(1)


class Sesame:
    name = "sesame"
    login_type = "application/json"
    login_body = json.dumps({"email": EMAIL, "password": PASSWORD})

    def __init__(self, args, workdir, name="sesame", serve_flags=()):
        self.name = name
        self.serve_flags = list(serve_flags)
        self.bin = str(TARGET / "release" / "sesame")
        self.component = str(TARGET / "wasm32-wasip2" / "release" / "sesame_guest.wasm")
        self.dir = pathlib.Path(workdir) / re.sub(r"[^a-z0-9]+", "-", name)
        self.dir.mkdir()
        self.cache = self.dir / "cache"
        self.env = {
            **os.environ,
            "RUST_LOG": "warn",
            "SESAME_ARGON2_M_KIB": str(ARGON2["m_kib"]),
            "SESAME_ARGON2_T": str(ARGON2["t"]),
            "SESAME_ARGON2_P": str(ARGON2["p"]),
            # The benchmark logs in as one account from one address as fast as it can; the
            # throttles would (rightly) stop that after a few attempts.
            "SESAME_THROTTLE_LOGIN_PER_IP": "100000000",
            "SESAME_THROTTLE_LOGIN_PER_ACCOUNT": "100000000",
        }

    def base_cmd(self):
        return [self.bin, "--store", str(self.dir / "sesame.db"), "--component", self.component,
                "--cache-dir", str(self.cache)]

    def start(self):
        subprocess.run(self.base_cmd() + ["user", "add", "--email", EMAIL, "--password-stdin"], input=PASSWORD,
                       text=True, env=self.env, check=True, capture_output=True)
        self.port = free_port()
        self.proc = subprocess.Popen(
            self.base_cmd() + ["serve", "--listen", f"127.0.0.1:{self.port}"] + self.serve_flags,
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def cold_start_ms(self, runs):
        """Time from exec to the first answered /healthz, with the compiled component cached."""
        samples = []
        for _ in range(runs + 1):
            port = free_port()
            started = time.perf_counter()
            proc = subprocess.Popen(
                self.base_cmd() + ["serve", "--listen", f"127.0.0.1:{port}"],
                env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        if s.recv(16).startswith(b"HTTP/1.1"):
                            break
                except OSError:
                    time.sleep(0.002)
            samples.append((time.perf_counter() - started) * 1000)
            stop(proc)
        # The first run may have compiled the component into the cache.
        return statistics.median(samples[1:])


class Flask:
    name = "flask-security-too"
    login_type = "application/json"
    login_body = json.dumps({"email": EMAIL, "password": PASSWORD})

    def __init__(self, args, workdir):
        self.venv = args.venv
        self.db = pathlib.Path(workdir) / "flask.db"

    def server_cmd(self):
        return [f"{self.venv}/bin/gunicorn", "--workers", "1", "--bind",
                f"127.0.0.1:{self.port}", "flask_app:app"]

    def start(self):
        self.port = free_port()
        env = {**os.environ, "BENCH_DB": str(self.db), "BENCH_EMAIL": EMAIL,
               "BENCH_PASSWORD": PASSWORD}
        self.proc = subprocess.Popen(self.server_cmd(), cwd=PEERS, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)


class Quart(Flask):
    name = "quart-security"
    login_type = "application/x-www-form-urlencoded"
    login_body = "email=bench%40example.com&password=correct+horse+battery+staple"

    def __init__(self, args, workdir):
        super().__init__(args, workdir)
        self.db = pathlib.Path(workdir) / "quart.db"

    def server_cmd(self):
        return [f"{self.venv}/bin/hypercorn", "--workers", "1", "--bind",
                f"127.0.0.1:{self.port}", "quart_app:app"]


def measure_http(server, args, workdir):
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        cookie = curl_cookie(f"{base}/login", server.login_body, server.login_type)
        me_headers = [f"Cookie: {cookie}", "Accept: application/json"]
        wrk(f"{base}/me", 2, args.connections, args.threads, me_headers)  # warm-up
        me = loaded(f"{base}/me", server.port, args, me_headers,
                    ("GET", "/me", {"Cookie": cookie, "Accept": "application/json"}, None))
        lua = login_script(workdir, server.login_body, server.login_type)
        login = loaded(f"{base}/login", server.port, args, (),
                       ("POST", "/login", {"Content-Type": server.login_type},
                        server.login_body.encode()), lua=lua)
        return {"me": me, "login": login}
    finally:
        stop(server.proc)


def argon2_native_ms():
    """argon2id at the benchmark parameters with argon2-cffi (the peers' hasher, C code)."""
    from argon2 import PasswordHasher  # imported from the peers' venv

    hasher = PasswordHasher(time_cost=ARGON2["t"], memory_cost=ARGON2["m_kib"],
                            parallelism=ARGON2["p"])
    hasher.hash("warm-up")
    n = 20
    started = time.perf_counter()
    for _ in range(n):
        hasher.hash(PASSWORD)
    return (time.perf_counter() - started) * 1000 / n


def sesame_bench(args):
    """(c) and (d), from the Rust bench binary, as a dict (or None if it is not built)."""
    exe = TARGET / "release" / "sesame-bench"
    if not exe.is_file():
        return None
    component = TARGET / "wasm32-wasip2" / "release" / "sesame_guest.wasm"
    out = subprocess.run([str(exe), "--component", str(component), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10, help="wrk duration per measurement")
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--venv", default=os.path.expanduser("~/.cache/sesame-bench-venv"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args()
    cores = os.cpu_count() or 1

    results = {"machine": {"cores": cores, "cpu": platform.processor() or platform.machine(),
                           "kernel": platform.release()},
               "argon2id": ARGON2, "wrk": {"seconds": args.seconds,
                                           "connections": args.connections,
                                           "threads": args.threads},
               "servers": {}}
    with tempfile.TemporaryDirectory(prefix="sesame-bench-") as workdir:
        sesame = Sesame(args, workdir)
        # The same binary with instance reuse and native hashing turned off: what each of the
        # two gains, measured in the same run.
        baseline = Sesame(args, workdir, "sesame (fresh+guest)",
                          ["--requests-per-instance", "1", "--guest-hashing"])
        for server in (sesame, baseline, Quart(args, workdir), Flask(args, workdir)):
            print(f"measuring {server.name} ...", file=sys.stderr, flush=True)
            results["servers"][server.name] = measure_http(server, args, workdir)
        print("measuring cold start ...", file=sys.stderr, flush=True)
        results["cold_start_ms"] = sesame.cold_start_ms(runs=7)
    results["argon2id_native_ms"] = argon2_native_ms()
    results["login_limit_rps"] = cores * 1000 / results["argon2id_native_ms"]
    results["component"] = sesame_bench(args)

    s = results["servers"]
    results["ratios"] = {
        "me_rps_vs_quart": s["sesame"]["me"]["rps"] / s["quart-security"]["me"]["rps"],
        "me_rps_vs_flask": s["sesame"]["me"]["rps"] / s["flask-security-too"]["me"]["rps"],
        "login_rps_vs_limit": s["sesame"]["login"]["rps"] / results["login_limit_rps"],
        "login_rps_vs_quart": s["sesame"]["login"]["rps"] / s["quart-security"]["login"]["rps"],
    }
    pathlib.Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


def table(r):
    lines = [
        f"{'server':<22} {'GET /me req/s':>14} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'POST /login req/s':>18} {'p99 ms':>8} {'bad':>5}",
    ]
    for name, m in r["servers"].items():
        bad = m["me"]["non_2xx_3xx"] + m["login"]["non_2xx_3xx"]
        lines.append(
            f"{name:<22} {m['me']['rps']:>14.0f} {m['me']['p50_ms']:>8.2f} "
            f"{m['me']['p99_ms']:>8.2f} {m['login']['rps']:>18.1f} "
            f"{m['login']['p99_ms']:>8.1f} {bad:>5}")
    ratios = r["ratios"]
    lines += [
        "",
        f"session check: {ratios['me_rps_vs_quart']:.1f}x quart-security, "
        f"{ratios['me_rps_vs_flask']:.1f}x flask-security-too (target >= 100x quart, p99 < 2 ms)",
        f"login: {ratios['login_rps_vs_limit']:.2f}x the machine's limit of "
        f"{r['login_limit_rps']:.1f}/s ({r['machine']['cores']} cores / "
        f"{r['argon2id_native_ms']:.1f} ms native argon2id) (target >= 0.8x)",
        f"cold start with cached component: {r['cold_start_ms']:.1f} ms (target < 200 ms)",
    ]
    c = r.get("component")
    if c:
        lines.append(f"instantiate from InstancePre: {c['instantiate_us']:.1f} us "
                     f"(target < 50 us)")
        for op in c["operations"]:
            lines.append(f"{op['name']:<28} native {op['native_us']:>10.1f} us   "
                         f"guest {op['guest_us']:>10.1f} us   "
                         f"({op['guest_us'] / op['native_us']:.2f}x)")
    else:
        lines.append("(c)/(d): sesame-bench not built")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
