"""The Flask example app served by a real WSGI server on loopback and spoken to over HTTP: the
protected route refuses without a session and answers with one; TOTP and recovery codes finish a
sign-in."""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest
from werkzeug.serving import make_server

from .authenticator import now_step, totp_code

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "flask_app.py"


@pytest.fixture
def base_url(component: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)  # the example keeps its database in the working directory
    spec = importlib.util.spec_from_file_location("flask_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = make_server("127.0.0.1", 0, module.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def request(
    opener: urllib.request.OpenerDirector, url: str, body: Any = None
) -> Tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with opener.open(req) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_example_app_protects_its_route(base_url: str) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    status, body = request(opener, f"{base_url}/private")
    assert (status, body["error"]["code"]) == (401, "unauthenticated")

    creds = {"email": "ada@example.com", "password": "analytical engine"}
    assert request(opener, f"{base_url}/register", creds) == (200, {"ok": True})
    status, body = request(opener, f"{base_url}/login", {**creds, "password": "wrong password"})
    assert (status, body["error"]["code"]) == (401, "invalid-credentials")
    status, body = request(opener, f"{base_url}/login", b"{not json")
    assert (status, body["error"]["code"]) == (400, "malformed-json")

    assert request(opener, f"{base_url}/login", creds) == (200, {"user": "ada@example.com"})
    assert request(opener, f"{base_url}/private") == (
        200,
        {"hello": "ada@example.com", "roles": []},
    )


def test_example_app_signs_in_with_a_second_factor(base_url: str) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    creds = {"email": "ada@example.com", "password": "analytical engine"}
    request(opener, f"{base_url}/register", creds)
    status, body = request(opener, f"{base_url}/tf-setup", {})
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
    assert request(opener, f"{base_url}/login", creds) == (200, {"user": "ada@example.com"})

    status, enrolment = request(opener, f"{base_url}/tf-setup", {})
    assert status == 200 and enrolment["qr_svg"].startswith("<svg")
    step = now_step()
    status, body = request(opener, f"{base_url}/tf-confirm", {"code": "12345"})
    assert (status, body["error"]["code"]) == (400, "invalid-request")
    status, body = request(
        opener, f"{base_url}/tf-confirm", {"code": totp_code(enrolment["secret"], step)}
    )
    assert status == 200 and len(body["recovery_codes"]) == 10
    recovery = body["recovery_codes"]

    # The password alone now leads to the second step, not to a session.
    assert request(opener, f"{base_url}/login", creds) == (
        200,
        {"second_factor": ["totp", "recovery-code"]},
    )
    used = totp_code(enrolment["secret"], step)
    status, body = request(opener, f"{base_url}/login/code", {"code": used})
    assert (status, body["error"]["code"]) == (401, "invalid-code")  # used to confirm: a replay
    status, body = request(opener, f"{base_url}/login/code", {"codes": "123456"})
    assert (status, body["error"]["code"]) == (400, "invalid-request")
    assert request(
        opener, f"{base_url}/login/code", {"code": totp_code(enrolment["secret"], step + 1)}
    ) == (200, {"user": "ada@example.com"})
    assert request(opener, f"{base_url}/private")[0] == 200

    request(opener, f"{base_url}/login", creds)
    assert request(opener, f"{base_url}/login/code", {"recovery_code": recovery[0]}) == (
        200,
        {"user": "ada@example.com"},
    )
    request(opener, f"{base_url}/login", creds)
    status, body = request(opener, f"{base_url}/login/code", {"recovery_code": recovery[0]})
    assert (status, body["error"]["code"]) == (401, "invalid-code")
