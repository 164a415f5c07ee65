"""quart-security peer for Sesame's benchmark: session login and an authenticated GET /me.

Run: hypercorn --workers 1 --bind 127.0.0.1:PORT quart_app:app (from this directory), with
BENCH_DB pointing at a fresh SQLite file. argon2id uses m=19456 KiB, t=2, p=1, as Sesame.
CSRF is off because wrk cannot carry a per-session token; everything else is the default.
"""

import os
import uuid

from quart import Quart, jsonify
from quart_security import (
    RoleMixin,
    Security,
    SQLAlchemyUserDatastore,
    UserMixin,
    auth_required,
    current_user,
    hash_password,
)
from quart_security.state import SecurityState
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    create_engine,
)
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session, relationship


class Base(DeclarativeBase):
    pass


roles_users = Table(
    "roles_users",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("user.id")),
    Column("role_id", Integer, ForeignKey("role.id")),
)


class Role(Base, RoleMixin):
    __tablename__ = "role"
    id = Column(Integer, primary_key=True)
    name = Column(String(80), unique=True)


class User(Base, UserMixin):
    __tablename__ = "user"
    id = Column(Integer, primary_key=True)
    email = Column(String(255), unique=True)
    password = Column(String(255))
    active = Column(Boolean, default=True)
    fs_uniquifier = Column(String(64), unique=True)
    failed_login_count = Column(Integer, default=0)
    locked_until = Column(DateTime)
    last_login_at = Column(DateTime)
    current_login_at = Column(DateTime)
    last_login_ip = Column(String(64))
    current_login_ip = Column(String(64))
    login_count = Column(Integer)
    roles = relationship("Role", secondary=roles_users)


engine = create_async_engine(f"sqlite+aiosqlite:///{os.environ['BENCH_DB']}")
sessions = async_sessionmaker(engine, expire_on_commit=False)

app = Quart(__name__)
app.config.update(
    SECRET_KEY="bench-secret-key-not-for-production",
    SECURITY_PASSWORD_SALT="bench-salt",
    SECURITY_ARGON2_MEMORY_COST=19456,
    SECURITY_ARGON2_TIME_COST=2,
    SECURITY_ARGON2_PARALLELISM=1,
    SECURITY_CSRF_PROTECT=False,
    SECURITY_COOKIE_SECURE=False,
    SECURITY_PASSWORD_BREACH_CHECK=False,
    SECURITY_TWO_FACTOR=False,
    SECURITY_WEBAUTHN=False,
    SECURITY_MULTI_FACTOR_RECOVERY_CODES=False,
)
datastore = SQLAlchemyUserDatastore(sessions, User, Role)
Security(app, datastore)


# The schema and the benchmark user exist before serving starts (Security validates its state
# table at startup), so they are made here with a plain synchronous engine.
_setup = create_engine(f"sqlite:///{os.environ['BENCH_DB']}")
Base.metadata.create_all(_setup)
SecurityState.metadata.create_all(_setup)
with Session(_setup) as _session, _session.begin():
    _session.add(
        User(
            email=os.environ["BENCH_EMAIL"],
            password=hash_password(os.environ["BENCH_PASSWORD"], app=app),
            active=True,
            fs_uniquifier=uuid.uuid4().hex,
        )
    )
_setup.dispose()


@app.route("/me")
@auth_required("session")
async def me():
    return jsonify({"email": current_user.email})
