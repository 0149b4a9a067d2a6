"""Two officers save the answer of the same item at the same moment, on real connections: the row
lock of the item makes them take turns, one wins and the other is told (DraftConflict with its
text); nothing is overwritten and no half-written state is left."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from flask import Flask

from feedback.extensions import db
from feedback.models import Answer, Feedback, User
from feedback.services import handling
from feedback.services.handling import DraftConflict
from tests.services.handling_rows import FRI_6_MARCH, WED_4_MARCH, desk


def test_two_officers_saving_at_once(app: Flask, committed_db: None) -> None:
    """Proves: with both saves waiting on the item's lock and released together, exactly one
    answer row exists, holding one of the two texts, and the other save raised DraftConflict
    carrying its own text."""
    d = desk()
    handling.accept(d.officer, d.item.id, now=WED_4_MARCH)
    item_id, user_ids = d.item.id, (d.officer.id, d.head.id)
    outcomes: dict[str, object] = {}

    def save(user_id: int, text: str) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            assert user is not None
            try:
                handling.save_draft(user, item_id, text, expected_version=None, now=FRI_6_MARCH)
                outcomes[text] = "saved"
            except DraftConflict as conflict:
                outcomes[text] = conflict
            finally:
                db.session.remove()

    with db.engine.connect() as blocker:  # hold the item's row lock while both saves start
        transaction = blocker.begin()
        blocker.execute(sa.select(Feedback.id).where(Feedback.id == item_id).with_for_update())
        threads = [threading.Thread(target=save, args=(uid, f"Bản của người {uid}")) for uid in user_ids]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        assert not outcomes  # both are waiting on the lock
        transaction.rollback()
    for thread in threads:
        thread.join(timeout=30)

    saved = [text for text, outcome in outcomes.items() if outcome == "saved"]
    lost = [outcome for outcome in outcomes.values() if isinstance(outcome, DraftConflict)]
    assert len(saved) == 1 and len(lost) == 1
    assert lost[0].text in {f"Bản của người {uid}" for uid in user_ids} and lost[0].text != saved[0]
    db.session.remove()
    answers = db.session.scalars(sa.select(Answer).where(Answer.feedback_id == item_id)).all()
    assert [(a.text, a.version) for a in answers] == [(saved[0], 1)]
