"""The rating form on the resident's secret-link page (issue #8 item 5): five labelled choices,
a reason below 3 checked by the server (no JavaScript needed), the reopen offer within 30 days.
The pages use the real clock, so the answers here are published relative to now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.status import Status
from feedback.domain.tracking import hash_token, make_code
from feedback.extensions import db
from feedback.models import Deadline, Notification, Rating, Unit
from tests.factories import make_feedback
from tests.services.handling_rows import TOKEN, Desk, desk
from tests.services.rating_rows import answered
from tests.web.form_helpers import form_fields
from tests.web.html_text import elements, texts

LABELS = ["1: Rất không hài lòng", "2: Không hài lòng", "3: Bình thường", "4: Hài lòng", "5: Rất hài lòng"]


@pytest.fixture(autouse=True)
def _session(db_session: Session) -> None:
    return None


def recently_answered(days_ago: float = 1, **options: str) -> Desk:
    return answered(at=datetime.now(UTC) - timedelta(days=days_ago), **options)  # type: ignore[arg-type]


def page(d: Desk) -> str:
    return f"/t/{d.item.code}/{TOKEN}"


def csrf(client: FlaskClient, d: Desk) -> str:
    html = client.get(page(d)).get_data(as_text=True)
    (token,) = {attrs["value"] for attrs, _ in elements(html, "input", name="csrf_token")}
    return token


def post_rating(client: FlaskClient, d: Desk, **data: str) -> tuple[int, str]:
    response = client.post(f"{page(d)}/rating", data={"csrf_token": csrf(client, d), **data})
    return response.status_code, response.get_data(as_text=True)


def ratings(d: Desk) -> list[Rating]:
    return list(db.session.scalars(sa.select(Rating).where(Rating.feedback_id == d.item.id)))


def test_the_form_offers_five_labelled_choices_once_the_answer_is_published(client: FlaskClient) -> None:
    """Proves: no rating section before the answer; after it, 5 radios with the Vietnamese labels
    of DESIGN.md §6, the reason select and the comment, posting to the rating route."""
    d = recently_answered()
    html = client.get(page(d)).get_data(as_text=True)
    (form,) = [attrs for attrs, _ in elements(html, "form", id="rating-form")]
    assert form["action"] == f"{page(d)}/rating" and form["method"] == "post"
    radios = [attrs["value"] for attrs, _ in elements(html, "input", type="radio", name="score")]
    assert radios == ["1", "2", "3", "4", "5"]
    assert texts(html, "label", class_="choice") == LABELS
    reasons = [attrs["value"] for attrs, _ in elements(html, "option") if attrs.get("value")]
    assert reasons == ["not_answered", "not_resolved", "late", "attitude"]
    assert elements(html, "textarea", name="comment")
    assert elements(html, "form", id="reopen-form") == []  # nothing to reopen before a low rating


def test_no_rating_section_before_the_answer(client: FlaskClient) -> None:
    waiting = desk()
    html = client.get(page(waiting)).get_data(as_text=True)
    assert texts(html, "h1")  # the page itself is there
    assert elements(html, "section", id="danh-gia") == []
    token, _ = form_fields(client)
    status = client.post(f"{page(waiting)}/rating", data={"csrf_token": token, "score": "5"})
    assert status.status_code == 400
    assert texts(status.get_data(as_text=True), "p", role="status") == ["Chưa có câu trả lời để đánh giá."]
    assert ratings(waiting) == []


@pytest.mark.parametrize("score", ["0", "6"])
def test_0_and_6_re_render_the_page_with_a_clear_message(client: FlaskClient, score: str) -> None:
    d = recently_answered()
    status, html = post_rating(client, d, score=score)
    assert status == 400
    assert texts(html, "p", id="rating-error") == ["Hãy chọn một mức đánh giá từ 1 đến 5."]
    assert ratings(d) == []


def test_below_3_without_a_reason_is_refused_and_the_choice_is_kept(client: FlaskClient) -> None:
    """Proves: without JavaScript, a 2 without a reason comes back with the message, the 2 still
    checked and the comment still there."""
    d = recently_answered()
    status, html = post_rating(client, d, score="2", comment="Vẫn còn rác")
    assert status == 400
    assert texts(html, "p", id="rating-error") == ["Với mức đánh giá dưới 3, hãy chọn lý do bạn chưa hài lòng."]
    assert [attrs["value"] for attrs, _ in elements(html, "input", name="score", checked="")] == ["2"]
    assert texts(html, "textarea", name="comment") == ["Vẫn còn rác"]
    assert ratings(d) == []


def test_a_rating_then_a_second_one_in_the_same_cycle_changes_it(client: FlaskClient) -> None:
    d = recently_answered()
    response = client.post(f"{page(d)}/rating", data={"csrf_token": csrf(client, d), "score": "2", "reason": "late"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{page(d)}#danh-gia")
    html = client.get(page(d)).get_data(as_text=True)
    assert texts(html, "p", id="rating-current")[0].startswith("Bạn đã đánh giá: 2/5 (không hài lòng).")
    assert elements(html, "form", id="reopen-form")  # below 3, within 30 days: the offer
    assert post_rating(client, d, score="5")[0] == 303
    (row,) = ratings(d)
    assert (row.score, row.reason) == (5, None) and row.changed_at is not None
    db.session.refresh(d.item)
    assert d.item.status is Status.CLOSED


def test_a_resident_rating_someone_elses_item_gets_404(client: FlaskClient) -> None:
    """Proves: the resident's token on another item's code (or a wrong token) is a 404; nothing stored."""
    d = recently_answered()
    other = make_feedback(d.directory)
    other.code = make_code(str(current_app.config["TRACKING_PREFIX"]), 2026, other.id)
    other.token_hash = hash_token("jeton-dun-autre-resident-000000000")
    db.session.commit()
    token = csrf(client, d)
    for url in (f"/t/{other.code}/{TOKEN}/rating", f"/t/{d.item.code}/wrong-token-123/rating",
                f"/t/{other.code}/{TOKEN}/reopen"):
        assert client.post(url, data={"csrf_token": token, "score": "1", "reason": "late"}).status_code == 404
    assert ratings(d) == []


def test_reopen_sends_it_back_to_the_unit_with_a_new_clock_and_tells_the_front(client: FlaskClient) -> None:
    d = recently_answered(days_ago=2)
    unit_id = d.item.current_unit_id
    assert post_rating(client, d, score="1", reason="not_resolved")[0] == 303
    response = client.post(f"{page(d)}/reopen", data={"csrf_token": csrf(client, d)})
    assert response.status_code == 303
    db.session.refresh(d.item)
    assert d.item.status is Status.IN_PROGRESS and d.item.current_unit_id == unit_id
    open_resolution = db.session.scalars(sa.select(Deadline).where(
        Deadline.feedback_id == d.item.id, Deadline.clock == "resolution", Deadline.closed_at.is_(None))).all()
    assert len(open_resolution) == 1 and open_resolution[0].starts_at > datetime.now(UTC) - timedelta(minutes=5)
    told = db.session.scalars(sa.select(Notification.recipient_unit_id).where(
        Notification.feedback_id == d.item.id, Notification.kind == "reopened")).all()
    assert d.directory.front_ha_tu.id in told
    html = client.get(page(d)).get_data(as_text=True)
    assert texts(html, "p", id="rating-reopened")
    assert elements(html, "form", id="rating-form") == [] and elements(html, "form", id="reopen-form") == []


def test_reopen_after_30_days_is_not_offered_and_refused(client: FlaskClient) -> None:
    d = recently_answered(days_ago=31)
    assert post_rating(client, d, score="1", reason="late")[0] == 303  # rating is still possible
    html = client.get(page(d)).get_data(as_text=True)
    assert elements(html, "form", id="reopen-form") == []
    response = client.post(f"{page(d)}/reopen", data={"csrf_token": csrf(client, d)})
    assert response.status_code == 400
    assert texts(response.get_data(as_text=True), "p", id="rating-error") == [
        "Đã quá 30 ngày kể từ khi có câu trả lời: không thể mở lại ý kiến."]
    db.session.refresh(d.item)
    assert d.item.status is Status.ANSWERED


def test_the_rating_keeps_the_unit_name_of_the_answer_after_a_rename(client: FlaskClient) -> None:
    d = recently_answered()
    unit = db.session.get(Unit, d.item.current_unit_id)
    assert unit is not None
    name_then = unit.name
    unit.name = "Tên mới sau sáp nhập"
    db.session.commit()
    html = client.get(page(d)).get_data(as_text=True)
    assert name_then in texts(html, "legend")[-1]
    assert post_rating(client, d, score="4")[0] == 303
    (row,) = ratings(d)
    assert row.unit_name == name_then
