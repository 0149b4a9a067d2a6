"""The form records the language the resident used, for their confirmation email (issue #6 item 5)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.models import Feedback
from tests.factories import make_directory
from tests.web.form_helpers import post_form, valid_data


@pytest.mark.parametrize(("url", "language"), [("/submit?lang=en", "en"), ("/submit", "vi")])
def test_the_item_records_the_language_of_the_form(client: FlaskClient, db_session: Session,
                                                   url: str, language: str) -> None:
    make_directory()
    db.session.commit()

    response = post_form(client, valid_data(email="nguoi.gui@example.vn"), url=url)

    assert response.status_code == 303
    assert db.session.scalars(sa.select(Feedback.language)).all() == [language]
