"""Each test maps its own snapshot directory: a snapshot belongs to the database it was built from."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _index_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.SCREENING_INDEX_DIR = tmp_path / "screening-index"
