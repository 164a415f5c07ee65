"""An authenticator app for the tests: RFC 6238 codes from the base32 secret Sesame hands out
at enrolment, written apart from Sesame's own implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

#: Seconds per step.
PERIOD = 30


def now_step() -> int:
    """The current TOTP step."""
    return int(time.time()) // PERIOD


def totp_code(secret: str, step: int) -> str:
    """RFC 6238 (HMAC-SHA-1, 6 digits) of a base32 secret at a step, computed here rather than
    by Sesame, so the table checks the component against an independent authenticator."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    word = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{word % 1_000_000:06d}"
