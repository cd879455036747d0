"""Shared fixtures: the built-in catalog, loaded once, with no user configuration discovered."""

from __future__ import annotations

import pytest

from catalog.loader import Catalog, load_catalog


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    # Tests must never read the developer's own ~/.config/vramtui.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()
