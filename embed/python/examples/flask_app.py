"""A Flask app whose `/private` route only signed-in users reach, with Sesame embedded,
including sign-in with an authenticator app (TOTP) or a recovery code.

    pip install 'embed/python[example]'
    SESAME_EMBED_COMPONENT=.../sesame_guest_embed.wasm flask --app flask_app run

JSON throughout. `POST /register` and `POST /login` take `{"email": ..., "password": ...}`.
Login sets an HttpOnly session cookie, or, when the account has two-factor on, answers
`{"second_factor": [methods]}` and sets a short-lived pending cookie that `POST /login/code`
(`{"code": ...}` from the app, or `{"recovery_code": ...}`) turns into a session.
Signed in, `POST /tf-setup` starts an enrolment (secret, `otpauth://` URI, QR code) and
`POST /tf-confirm` (`{"code": ...}`) turns it on and returns the recovery codes, once.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict

from flask import Flask, Response, g, jsonify, request

import sesame

app = Flask(__name__)
auth = sesame.Sesame(database="example-auth.db")
COOKIE = "session"
PENDING_COOKIE = "pending-login"


@app.errorhandler(sesame.SesameError)
def refused(e: sesame.SesameError) -> Any:
    # The same codes and body shape as Sesame's own HTTP routes.
    status = {"invalid-credentials": 401, "unauthenticated": 401, "invalid-code": 401,
              "forbidden": 403, "second-factor-required": 403, "rate-limited": 429,
              "not-found": 404, "already-exists": 409, "store-unavailable": 503,
              "internal": 500}.get(e.code, 400)
    return jsonify(error={"code": e.code, "message": e.message}), status


def body(*required: str) -> Dict[str, Any]:
    """The JSON object of the request, with `required` string fields."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise sesame.MalformedJson("send a JSON object")
    if not all(isinstance(data.get(k), str) for k in required):
        raise sesame.InvalidRequest(f"{', '.join(required)} must be strings")
    return data


def client() -> Dict[str, Any]:
    return {"address": request.remote_addr, "user_agent": request.headers.get("User-Agent")}


def signed_in(session: sesame.IssuedSession) -> Response:
    response = jsonify(user=session.user.email)
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    response.delete_cookie(PENDING_COOKIE)
    return response


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.token = request.cookies.get(COOKIE, "")
        g.session = auth.validate(g.token)
        return view(*args, **kwargs)

    return wrapper


@app.post("/register")
def register() -> Any:
    data = body("email", "password")
    auth.register(data["email"], data["password"])
    return jsonify(ok=True)


@app.post("/login")
def login() -> Any:
    data = body("email", "password")
    outcome = auth.begin_login(data["email"], data["password"], **client())
    if isinstance(outcome, sesame.PendingLogin):
        response = jsonify(second_factor=list(outcome.methods))
        response.set_cookie(PENDING_COOKIE, outcome.token, httponly=True, samesite="Strict",
                            secure=request.is_secure, max_age=300)
        return response
    return signed_in(outcome)


@app.post("/login/code")
def login_code() -> Any:
    data = body()
    pending = request.cookies.get(PENDING_COOKIE, "")
    if isinstance(data.get("code"), str):
        return signed_in(auth.complete_totp(pending, data["code"], **client()))
    if isinstance(data.get("recovery_code"), str):
        return signed_in(auth.complete_recovery(pending, data["recovery_code"], **client()))
    raise sesame.InvalidRequest("send code or recovery_code as a string")


@app.post("/tf-setup")
@login_required
def tf_setup() -> Any:
    enrolment = auth.start_totp(g.token)
    return jsonify(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri,
                   qr_svg=enrolment.qr_svg)


@app.post("/tf-confirm")
@login_required
def tf_confirm() -> Any:
    auth.confirm_totp(g.token, body("code")["code"])
    return jsonify(recovery_codes=auth.generate_recovery_codes(g.token))


@app.get("/private")
@login_required
def private() -> Any:
    return jsonify(hello=g.session.user.email, roles=list(g.session.user.roles))
