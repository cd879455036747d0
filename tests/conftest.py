"""Shared fixtures: the built-in catalog, loaded once, with no user configuration discovered."""

from __future__ import annotations

import pytest
from vramtui.catalog.loader import Catalog, load_catalog


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    # Tests must never read the developer's own ~/.config/vramtui.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    # No test reaches the real Hugging Face Hub: the default endpoint is the discard port,
    # and hub tests point HF_ENDPOINT at their own local server. (HF_HUB_OFFLINE is not
    # used here: huggingface_hub reads it once, at import, for the whole test process.)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()
