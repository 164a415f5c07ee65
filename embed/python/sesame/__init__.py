"""Sesame's authentication component, embedded in Python.

`Sesame()` loads `sesame_guest_embed.wasm` (the `sesame:auth/embed` WIT world, packaged in the
wheel) with PyPI's `wasmtime`, supplies its store over `sqlite3`, its outbox and WASI, and exposes the typed API
as methods. Every rule runs inside the component; nothing here decides who may sign in.
"""

from . import types as _types
from .client import COMPONENT_ENV, PACKAGED_COMPONENT, SETTINGS, WIT_VERSION, Sesame
from .admin import Admin
from .errors import *  # noqa: F401,F403 (one exception per WIT error code)
from .errors import ERRORS, SesameError, from_code
from .outbox import MemoryOutbox, Outbox
from .store import Conflict, MemoryStore, SqliteStore, StoreError, TooLarge, Unavailable
from .types import *  # noqa: F401,F403 (every record the API returns or takes)

__all__ = [
    "Sesame",
    "Admin",
    "SETTINGS",
    "COMPONENT_ENV",
    "PACKAGED_COMPONENT",
    "WIT_VERSION",
    "SesameError",
    "ERRORS",
    "from_code",
    "Outbox",
    "MemoryOutbox",
    "SqliteStore",
    "MemoryStore",
    "StoreError",
    "Conflict",
    "TooLarge",
    "Unavailable",
] + list(_types.__all__) + [cls.__name__ for cls in ERRORS.values()]
