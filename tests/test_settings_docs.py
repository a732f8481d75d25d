"""Every setting is documented in docs/settings.md (datasette's habit)."""

from __future__ import annotations

import pytest

from kg.config import SETTINGS, from_env

from conftest import ROOT

DOC = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("env, name, help_text", SETTINGS, ids=[s[0] for s in SETTINGS])
def test_setting_is_documented(env, name, help_text):
    assert f"`{env}`" in DOC, f"docs/settings.md does not mention {env}"


@pytest.mark.parametrize(
    "env, value, attr, expected",
    [
        ("KG_PORT", "9001", "port", 9001),
        ("KG_REASONER", "0", "reasoner", False),
        ("KG_REASONER", "yes", "reasoner", True),
        ("KG_BASE_IRI", "http://example.org/x/", "base_iri", "http://example.org/x/"),
        ("KG_REASONER_TIMEOUT", "2.5", "reasoner_timeout", 2.5),
    ],
)
def test_settings_come_from_the_environment(env, value, attr, expected):
    assert getattr(from_env({env: value}), attr) == expected


def test_a_base_iri_without_a_trailing_slash_is_refused():
    with pytest.raises(ValueError, match="must end with '/'"):
        from_env({"KG_BASE_IRI": "http://example.org/x"})
