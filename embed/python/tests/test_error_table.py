"""The exception table (`sesame.errors.ERRORS`) against its one source, the WIT `error-code`
enum in wit/sesame.wit: a code added to the WIT without an exception here (or the reverse)
fails this test instead of reaching callers as an untyped `SesameError`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import sesame
from sesame import ERRORS, SesameError, from_code

WIT = Path(__file__).resolve().parents[3] / "wit" / "sesame.wit"


def wit_error_codes() -> List[str]:
    """The cases of `enum error-code`, in WIT order."""
    body = re.search(r"enum error-code \{(.*?)\}", WIT.read_text("utf-8"), re.S)
    assert body, f"no error-code enum in {WIT}"
    lines = (line.strip() for line in body.group(1).splitlines())
    return [line.rstrip(",") for line in lines if line and not line.startswith("//")]


def test_every_wit_error_code_has_its_exception_and_no_other() -> None:
    assert list(ERRORS) == wit_error_codes()


def test_each_exception_is_exported_documented_and_raised_for_its_code() -> None:
    for code, cls in ERRORS.items():
        assert issubclass(cls, SesameError) and cls is not SesameError
        assert getattr(sesame, cls.__name__) is cls, cls.__name__
        assert cls.__doc__, cls.__name__
        err = from_code(code, "why")
        assert type(err) is cls and err.code == code and err.message == "why"


def test_an_unknown_code_is_kept() -> None:
    err = from_code("from-a-newer-component", "why")
    assert type(err) is SesameError and err.code == "from-a-newer-component"
