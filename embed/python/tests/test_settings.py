"""The wrapper knows the component's settings (`settings.json`, kept equal to core's table by a
Rust test) and refuses a name the component would silently ignore."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesame import SETTINGS, MemoryOutbox, Sesame


def test_the_settings_list_names_core_settings_with_their_defaults() -> None:
    assert SETTINGS["SESAME_ARGON2_M_KIB"] == "19456"
    assert SETTINGS["SESAME_SECRET"] == ""
    assert all(name.startswith("SESAME_") for name in SETTINGS)


def test_an_unknown_setting_is_refused_by_name(component: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SESAME_ARGON2_MKIB"):
        Sesame(
            component,
            database=str(tmp_path / "auth.db"),
            config={"SESAME_ARGON2_MKIB": "64"},
            outbox=MemoryOutbox(),
        )
