"""Staff open an item's images in the browser (issue #8 item 3). In the unit workspace the item
page links "Xem ảnh" for images only; on the admin item page each file name is a link. Both
routes send images inline with their type and the strict file headers, anything else as a
download, and a file the user may not see (another unit's, another item's) as a 404."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback.domain.status import Status
from feedback.extensions import db
from feedback.models import Assignment, Attachment, Event, Feedback, Role, Unit
from tests.factories import Directory, make_directory, make_feedback, make_user
from tests.web.admin_html import parse
from tests.web.auth_helpers import log_in
from tests.web.form_helpers import PNG

HTML = b"<script>alert(1)</script>"


@pytest.fixture
def d(client: FlaskClient, db_session: Session) -> Iterator[Directory]:
    """The test directory and a logged-in officer of UBND Phường Hà Tu; the files written are removed."""
    directory = make_directory()
    make_user("canbo-anh", Role.OFFICER, unit=directory.ubnd_ha_tu)
    assert log_in(client, "canbo-anh").status_code == 302
    upload_dir = Path(client.application.config["UPLOAD_DIR"])
    before = set(upload_dir.iterdir())
    yield directory
    for leftover in set(upload_dir.iterdir()) - before:
        leftover.unlink()


def item_with_files(client: FlaskClient, d: Directory, unit: Unit) -> tuple[Feedback, Attachment, Attachment]:
    """An item held by ``unit`` with a PNG photo and an HTML file, written where the intake writes."""
    item = make_feedback(d, status=Status.ASSIGNED, current_unit=unit)
    db.session.add(Assignment(feedback_id=item.id, unit_id=unit.id, assigned_at=item.received_at))
    upload_dir = Path(client.application.config["UPLOAD_DIR"])
    rows = []
    for index, (name, kind, data) in enumerate((("hien-truong.png", "image/png", PNG), ("trang.html", "text/html", HTML))):
        storage = f"{item.id:016x}{index:016x}"
        (upload_dir / storage).write_bytes(data)
        rows.append(Attachment(feedback_id=item.id, storage_name=storage, original_name=name, content_type=kind,
                               size=len(data), sha256="0" * 64))
    db.session.add_all(rows)
    db.session.flush()
    return item, rows[0], rows[1]


def test_an_image_opens_inline_with_strict_headers(client: FlaskClient, d: Directory) -> None:
    """Proves: the item page offers "Xem ảnh" for the photo only; it opens inline as image/png
    with nosniff, the strict CSP and no-store; the HTML file through the same route is a download."""
    item, photo, page_file = item_with_files(client, d, d.ubnd_ha_tu)
    section = parse(client.get(f"/unit/items/{item.code}").get_data(as_text=True)).find("section", class_="attachments")
    (view,) = section.find_all("a", class_="view-inline")
    assert view.text == "Xem ảnh"
    shown = client.get(view.attrs["href"])
    assert shown.status_code == 200 and shown.mimetype == "image/png" and shown.data == PNG
    assert shown.headers["Content-Disposition"].startswith("inline")
    for response in (shown, client.get(f"/unit/items/{item.code}/attachments/{page_file.id}/view")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; img-src 'self'"
        assert response.headers["Cache-Control"] == "no-store"
    downloaded = client.get(f"/unit/items/{item.code}/attachments/{page_file.id}/view")
    assert downloaded.mimetype == "application/octet-stream"
    assert downloaded.headers["Content-Disposition"].startswith("attachment")


def test_another_units_image_is_a_404(client: FlaskClient, d: Directory) -> None:
    """Proves: an officer of Hà Tu cannot open Vân Đồn's photo inline, by its own code or another."""
    mine, _, _ = item_with_files(client, d, d.ubnd_ha_tu)
    theirs, photo, _ = item_with_files(client, d, d.ubnd_van_don)
    assert client.get(f"/unit/items/{theirs.code}/attachments/{photo.id}/view").status_code == 404
    assert client.get(f"/unit/items/{mine.code}/attachments/{photo.id}/view").status_code == 404


def file_views(item: Feedback) -> list[dict[str, object]]:
    db.session.expire_all()
    return [dict(e.after or {}) | {"actor": e.actor, "public": e.public} for e in db.session.scalars(
        sa.select(Event).where(Event.feedback_id == item.id, Event.action == "personal_data_viewed")
        .order_by(Event.seq)) if (e.after or {}).get("fields") == ["attachment"]]


def test_opening_the_residents_file_is_logged_as_a_view_of_personal_data(client: FlaskClient, d: Directory) -> None:
    """Proves: every opening of a file the resident sent (inline or as a download) is one
    internal personal_data_viewed event naming the officer and the file; a refused opening
    (another unit's item) logs nothing."""
    item, photo, page_file = item_with_files(client, d, d.ubnd_ha_tu)
    theirs, their_photo, _ = item_with_files(client, d, d.ubnd_van_don)

    assert client.get(f"/unit/items/{item.code}/attachments/{photo.id}/view").status_code == 200
    assert client.get(f"/unit/items/{item.code}/attachments/{page_file.id}").status_code == 200
    assert client.get(f"/unit/items/{theirs.code}/attachments/{their_photo.id}/view").status_code == 404

    views = file_views(item)
    assert [(v["attachment_id"], v["public"]) for v in views] == [(photo.id, False), (page_file.id, False)]
    assert all("canbo-anh" in str(v["actor"]) for v in views)
    assert file_views(theirs) == []


def test_the_administrator_opens_images_inline_and_downloads_the_rest(client: FlaskClient, d: Directory) -> None:
    """Proves: on the admin item page the photo's link opens it inline, the HTML file's link is a
    download (both with the strict headers); another item's file id is a 404; an officer gets 403."""
    item, photo, page_file = item_with_files(client, d, d.ubnd_van_don)
    other, _, _ = item_with_files(client, d, d.ubnd_van_don)
    assert client.get(f"/admin/items/{item.code}/attachments/{photo.id}").status_code == 403
    make_user("quantri-anh", Role.ADMIN)
    admin = type(client)(client.application, client.application.response_class, use_cookies=True)
    assert log_in(admin, "quantri-anh").status_code == 302
    links = {a.text: a for a in parse(admin.get(f"/admin/items/{item.code}").get_data(as_text=True)).find_all("a")
             if "/attachments/" in a.attrs.get("href", "")}
    assert set(links) == {"hien-truong.png", "trang.html"}
    assert "download" not in links["hien-truong.png"].attrs and "download" in links["trang.html"].attrs
    shown = admin.get(links["hien-truong.png"].attrs["href"])
    assert shown.mimetype == "image/png" and shown.headers["Content-Disposition"].startswith("inline")
    downloaded = admin.get(links["trang.html"].attrs["href"])
    assert downloaded.mimetype == "application/octet-stream"
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    for response in (shown, downloaded):
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; img-src 'self'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert admin.get(f"/admin/items/{other.code}/attachments/{photo.id}").status_code == 404


def test_the_residents_files_and_the_answers_files_are_listed_apart(client: FlaskClient, d: Directory) -> None:
    """Proves: on the unit's item page the files the resident sent and those of the unit's draft
    answer are under two headings, each file in one list only, so the head approving the draft
    sees which file goes out with the answer (before, one list held both, by name only)."""
    from feedback.domain.handling import DraftStatus
    from feedback.models import Answer, User

    item, photo, page_file = item_with_files(client, d, d.ubnd_ha_tu)
    officer = db.session.scalar(sa.select(User).where(User.username == "canbo-anh"))
    draft = Answer(feedback_id=item.id, cycle=1, status=DraftStatus.DRAFT, text="Dự thảo.", author_id=officer.id,
                   unit_id=d.ubnd_ha_tu.id, unit_code=d.ubnd_ha_tu.code, unit_name=d.ubnd_ha_tu.name,
                   created_at=item.received_at, updated_at=item.received_at)
    db.session.add(draft)
    db.session.flush()
    storage = f"{item.id:016x}{99:016x}"
    (Path(client.application.config["UPLOAD_DIR"]) / storage).write_bytes(PNG)
    db.session.add(Attachment(feedback_id=item.id, storage_name=storage, original_name="ket-qua.png",
                              content_type="image/png", size=len(PNG), sha256="0" * 64, answer_id=draft.id))
    db.session.commit()
    section = parse(client.get(f"/unit/items/{item.code}").get_data(as_text=True)).find("section", class_="attachments")
    assert [h.text for h in section.find_all("h3")] == ["Người gửi", "Tệp kèm theo câu trả lời"]
    names = {css: [a.text for a in section.find("ul", class_=css).find_all("a") if "download" in a.attrs]
             for css in ("resident-files", "answer-files")}
    assert names == {"resident-files": ["hien-truong.png", "trang.html"], "answer-files": ["ket-qua.png"]}
