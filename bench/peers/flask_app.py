"""Flask-Security-Too peer for Sesame's benchmark: JSON login and an authenticated GET /me.

Run: gunicorn --workers 1 --bind 127.0.0.1:PORT flask_app:app (from this directory), with
BENCH_DB pointing at a fresh SQLite file. argon2id uses m=19456 KiB, t=2, p=1, as Sesame.
CSRF is off for JSON requests because wrk cannot carry a per-session token.
"""

import os
import uuid

from flask import Flask, jsonify
from flask_security import (
    RoleMixin,
    Security,
    SQLAlchemyUserDatastore,
    UserMixin,
    auth_required,
    current_user,
    hash_password,
)
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config.update(
    SECRET_KEY="bench-secret-key-not-for-production",
    SECURITY_PASSWORD_SALT="bench-salt",
    SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.environ['BENCH_DB']}",
    SECURITY_PASSWORD_HASH="argon2",
    SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS={
        "argon2__memory_cost": 19456,
        "argon2__time_cost": 2,
        "argon2__parallelism": 1,
        "argon2__type": "ID",
    },
    SECURITY_TRACKABLE=True,
    WTF_CSRF_ENABLED=False,
    SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS=True,
)
db = SQLAlchemy(app)

roles_users = db.Table(
    "roles_users",
    db.Column("user_id", db.Integer, db.ForeignKey("user.id")),
    db.Column("role_id", db.Integer, db.ForeignKey("role.id")),
)


class Role(db.Model, RoleMixin):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), unique=True)
    description = db.Column(db.String(255))
    permissions = db.Column(db.UnicodeText)


class User(db.Model, UserMixin):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255), unique=True)
    username = db.Column(db.String(255), unique=True, nullable=True)
    password = db.Column(db.String(255))
    active = db.Column(db.Boolean)
    fs_uniquifier = db.Column(db.String(64), unique=True, nullable=False)
    confirmed_at = db.Column(db.DateTime)
    last_login_at = db.Column(db.DateTime)
    current_login_at = db.Column(db.DateTime)
    last_login_ip = db.Column(db.String(64))
    current_login_ip = db.Column(db.String(64))
    login_count = db.Column(db.Integer)
    roles = db.relationship("Role", secondary=roles_users, backref="users")


security = Security(app, SQLAlchemyUserDatastore(db, User, Role))

with app.app_context():
    db.create_all()
    if not security.datastore.find_user(email=os.environ["BENCH_EMAIL"]):
        security.datastore.create_user(
            email=os.environ["BENCH_EMAIL"],
            password=hash_password(os.environ["BENCH_PASSWORD"]),
            fs_uniquifier=uuid.uuid4().hex,
        )
        db.session.commit()


@app.route("/me")
@auth_required("session")
def me():
    return jsonify({"email": current_user.email})
