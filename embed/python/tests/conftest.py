"""Shared fixtures: the real component (from `SESAME_EMBED_COMPONENT`, else the one packaged in
the installed wheel) over a real SQLite file in a temporary directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

from sesame import COMPONENT_ENV, PACKAGED_COMPONENT, MemoryOutbox, Sesame

CASES_FILE = Path(__file__).resolve().parents[2] / "cases.json"


def load_cases() -> Dict[str, Any]:
    """The shared table of cases every host runs."""
    with open(CASES_FILE, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def component() -> str:
    path = os.environ.get(COMPONENT_ENV) or PACKAGED_COMPONENT
    if not os.path.isfile(path):
        pytest.fail(
            f"no component at {path!r}: set {COMPONENT_ENV} to the built sesame_guest_embed.wasm "
            "or install the wheel from embed/python/build-wheel"
        )
    return path


@pytest.fixture
def auth(component: str, tmp_path: Path) -> Sesame:
    """A Sesame over a fresh SQLite file, with the table's cheap argon2 costs."""
    return Sesame(
        component,
        database=str(tmp_path / "auth.db"),
        config=load_cases()["config"],
        outbox=MemoryOutbox(),
    )
