"""A Flask app whose `/private` route only signed-in users reach, with Sesame embedded.

    pip install 'embed/python[example]'
    SESAME_EMBED_COMPONENT=.../sesame_guest_embed.wasm flask --app flask_app run

Register and sign in with JSON: `POST /register` and `POST /login` take
`{"email": ..., "password": ...}`; login sets an HttpOnly session cookie.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Flask, g, jsonify, request

import sesame

app = Flask(__name__)
auth = sesame.Sesame(database="example-auth.db")
COOKIE = "session"


@app.errorhandler(sesame.SesameError)
def refused(e: sesame.SesameError) -> Any:
    # The same codes and body shape as Sesame's own HTTP routes.
    status = {"invalid-credentials": 401, "unauthenticated": 401, "forbidden": 403,
              "rate-limited": 429, "not-found": 404, "already-exists": 409,
              "store-unavailable": 503, "internal": 500}.get(e.code, 400)
    return jsonify(error={"code": e.code, "message": e.message}), status


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise sesame.MalformedJson("send a JSON object")
    if not all(isinstance(data.get(k), str) for k in ("email", "password")):
        raise sesame.InvalidRequest("email and password must be strings")
    return data


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.session = auth.validate(request.cookies.get(COOKIE, ""))
        return view(*args, **kwargs)

    return wrapper


@app.post("/register")
def register() -> Any:
    data = body()
    auth.register(data["email"], data["password"])
    return jsonify(ok=True)


@app.post("/login")
def login() -> Any:
    data = body()
    session = auth.login(
        data["email"],
        data["password"],
        address=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
    )
    response = jsonify(user=session.user.email)
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


@app.get("/private")
@login_required
def private() -> Any:
    return jsonify(hello=g.session.user.email, roles=list(g.session.user.roles))
