"""App-test fixtures: the fixed catalog of snapshot_app.py, resolved once."""

from __future__ import annotations

import pytest
from snapshot_app import fixed_catalog
from vramtui.catalog.loader import Catalog

from vramtui.answers import Resolved


@pytest.fixture(scope="session")
def fixed() -> Catalog:
    return fixed_catalog()


@pytest.fixture(scope="session")
def fixed_res(fixed: Catalog) -> Resolved:
    return Resolved(fixed)
