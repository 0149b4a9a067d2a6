"""Fixtures of the page tests."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.models import Role
from tests.factories import Directory, make_directory, make_user
from tests.web.auth_helpers import log_in


@pytest.fixture
def d(client: FlaskClient, db_session: Session) -> Directory:
    """The test directory and a logged-in administrator ("quantri")."""
    directory = make_directory()
    make_user("quantri", Role.ADMIN)
    assert log_in(client, "quantri").status_code == 302
    return directory
