"""The suite's own guard: one test run at a time on a test database (``tests/conftest.py``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from tests.conftest import TEST_DB_URL, _admin_url, take_test_databases_lock


def test_a_second_test_run_cannot_take_the_databases_of_this_one(app: Flask) -> None:
    """Proves: while this run uses its test database (locked when the ``app`` fixture made it),
    another session cannot take the lock, so a second run started beside this one fails at once
    with a message instead of dropping this run's database under it."""
    engine = sa.create_engine(_admin_url(TEST_DB_URL), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as other:
            assert take_test_databases_lock(other) is False
    finally:
        engine.dispose()
