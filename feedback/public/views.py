"""Pages for residents: home, the form and its receipt, the locality lists used by the form.

Tracking pages are in ``tracking_views``; both hang on the ``public`` blueprint.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Blueprint, Response, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from feedback.domain.status import Channel
from feedback.extensions import limiter
from feedback.public.forms import PostedSubmission, SubmitForm, posted_submission
from feedback.public.receipts import (
    SECRET_LINK_WINDOW, forget_resident, held_for_form, hold_for_form, is_spent_form, release_held, remember_receipt,
    remembered_token, sender_id,
)
from feedback.public.rating_views import add_rating_routes
from feedback.public.redact import install_log_redaction
from feedback.public.scoreboard_views import add_scoreboard_routes
from feedback.web.site import current_language
from feedback.public.tracking_views import add_tracking_routes, example_code, private_headers
from feedback.services.intake import (
    MAX_BODY,
    MAX_TITLE,
    Submission,
    SubmissionInvalid,
    Upload,
    UploadRejected,
    communes,
    held_files,
    hold_files,
    private_view,
    reclaim_files,
    search_localities,
    submit_feedback,
    topic_options,
    villages,
)

bp = Blueprint("public", __name__)
add_tracking_routes(bp)
add_rating_routes(bp)
add_scoreboard_routes(bp)
bp.record_once(lambda state: install_log_redaction())

# The "Chọn thôn/khu phố" button of the form without JavaScript: re-render with the villages.
VILLAGE_STEP = "village"


@bp.get("/")
def home() -> str:
    return render_template("public/home.html", example_code=example_code())


def _submit_rate_limit() -> str:
    return str(current_app.config["SUBMIT_RATE_LIMIT"])


def _no_store(view: ResponseReturnValue) -> Response:
    """``view``'s response, never stored by a browser or proxy: the form carries its key and CSRF
    token, the receipt a secret link; a shared computer's cache must not give them to the next person."""
    response = make_response(view)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/submit", methods=["GET", "POST"])
@limiter.limit(_submit_rate_limit, methods=["POST"])
def submit() -> Response:
    """The form. POST either shows the villages of the chosen commune (no JavaScript) or submits.

    CSRF is checked for every POST by CSRFProtect before this runs (a friendly 400 page). Every
    answer is ``no-store``.
    """
    return _no_store(_submit())


def _submit() -> ResponseReturnValue:
    # A POST that makes the item never shows the form: its fields are read as the form would hold
    # them (``posted_submission``) and the form is built only for a page that shows it (issue #11).
    posted = posted_submission()
    form: SubmitForm | PostedSubmission = posted if posted is not None else SubmitForm()
    if not form.submission_key.data:
        # Generated when the form is first shown, kept through re-renders: a repeated POST of
        # this form from this session with the same content (double click, reload) lands on the
        # same item; a changed report or another session makes a new one (domain.repeats).
        form.submission_key.data = secrets.token_urlsafe(24)
    sender = sender_id()  # before the first answer, so the form's page sets the session cookie
    # The commune, village and topic lists are built only for a page that shows them
    # (``_form_page``): a POST that makes the item only redirects, and building them was half
    # of its time (issue #11).
    if request.method != "POST":  # GET, and HEAD (which Flask routes here too)
        return _form_page(_full(form))

    # Only the CSRF token can fail here (CSRFProtect checked it already); a PostedSubmission is
    # made only once CSRFProtect has passed the request, when the form's own check passes too.
    if isinstance(form, SubmitForm) and not form.validate():
        raise CSRFError(_("Biểu mẫu đã hết hạn hoặc không hợp lệ."))
    form_key = str(form.submission_key.data)
    if is_spent_form(form_key):
        # Back and "resubmit" after "forget me": never send the previous resident's report again.
        flash(_("Biểu mẫu này đã được gửi và máy đã quên nó. Hãy điền biểu mẫu mới."), "info")
        return redirect(url_for("public.submit"), 303)
    files = _read_uploads()
    if request.form.get("step") == VILLAGE_STEP:
        page = _full(form)
        if not page.commune.data or villages(page.commune.data) is None:
            page.commune.errors = [_("Hãy chọn xã, phường hoặc đặc khu trước khi chọn thôn, khu phố.")]
        hold_id = _hold(page, form_key, files) if files else held_for_form(form_key)
        return _form_page(page, hold_id=hold_id, files_dropped=bool(files) and not hold_id,
                          village_step=not page.commune.errors)
    if not files and (hold_id := held_for_form(form_key)):
        # The files chosen before a re-render; new files chosen now replace them instead.
        reclaimed = reclaim_files(hold_id, upload_dir=Path(current_app.config["UPLOAD_DIR"]))
        if reclaimed is None:
            release_held()
            page = _full(form)
            page.attachments.errors = [_("Không còn giữ được tệp bạn đã chọn trước đó (quá lâu): hãy chọn lại tệp.")]
            return _form_page(page), 422
        files = reclaimed
    now = datetime.now(UTC)
    try:
        receipt = submit_feedback(_submission(form, files, sender), now=now)
    except SubmissionInvalid as invalid:
        page = _full(form)
        page.attach_errors(invalid.errors)
        hold_id = _hold(page, form_key, files) if files and "attachments" not in invalid.errors else None
        return _form_page(page, hold_id=hold_id, files_dropped=bool(files) and not hold_id), 422

    # Post/Redirect/Get. The token travels in the session, never in a URL of this redirect. A
    # repeat (same session, key and content) gets it again only within the item's first minutes.
    if receipt.token is not None:
        remember_receipt(receipt.code, receipt.token, form_key=form_key, issued_at=receipt.received_at, now=now)
    if remembered_token(receipt.code, now=now) is not None:
        return redirect(url_for("public.receipt", code=receipt.code), 303)
    return redirect(url_for("public.track", code=receipt.code), 303)


def _full(form: SubmitForm | PostedSubmission) -> SubmitForm:
    """The form itself, for a page that shows it."""
    return form.full_form() if isinstance(form, PostedSubmission) else form


@bp.get("/submitted/<code>")
def receipt(code: str) -> ResponseReturnValue:
    """The receipt right after sending: the code big, and the resident's secret link.

    Only the session that sent the item, and only within ``SECRET_LINK_WINDOW``, sees the secret
    link; anyone else (the next person at a shared computer) goes to the public tracking page.
    """
    now = datetime.now(UTC)
    token = remembered_token(code, now=now)
    item = private_view(code, token, now=now) if token else None
    if item is None or token is None:
        return _no_store(redirect(url_for("public.track", code=code)))
    secret_url = url_for("public.track_private", code=code, token=token, _external=True, lang=None)
    body = render_template("public/receipt.html", item=item, secret_url=secret_url,
                           window_minutes=int(SECRET_LINK_WINDOW.total_seconds() // 60))
    return body, 200, private_headers()


@bp.post("/forget")
def forget() -> Response:
    """"Đây là máy dùng chung: quên tôi ngay": drop all this session holds of the resident.

    A POST with CSRF (CSRFProtect), so no other site can make a browser forget; idempotent.
    """
    forget_resident()
    flash(_("Đã xoá khỏi máy này mọi thông tin về ý kiến bạn vừa gửi. Hãy ghi lại mã tra cứu nếu chưa ghi."), "info")
    return _no_store(redirect(url_for("public.home"), 303))


@bp.get("/localities/<commune_code>/villages.json")
def villages_json(commune_code: str) -> ResponseReturnValue:
    """Villages of a commune for the picker: ``{"commune", "villages": [{code, name, folded}]}``."""
    places = villages(commune_code)
    if places is None:
        return jsonify(error={"code": 404, "message": _("Không tìm thấy xã, phường, đặc khu này.")}), 404
    return jsonify(commune=commune_code,
                   villages=[{"code": p.code, "name": p.name, "folded": p.folded} for p in places])


@bp.get("/localities/search.json")
def search_json() -> ResponseReturnValue:
    """Communes and villages matching ``q`` without regard to diacritics ("ha long" → "Hạ Long")."""
    query = request.args.get("q", "")[:100]
    results = [
        {"code": p.code, "name": p.name, "level": p.level, "commune_code": p.commune_code,
         "commune_name": p.commune_name}
        for p in search_localities(query)
    ]
    return jsonify(query=query, results=results)


def _form_page(form: SubmitForm, hold_id: str | None = None, **extra: object) -> str:
    """The form page; ``hold_id`` names the files held for it (listed so the resident knows)."""
    config = current_app.config
    commune_code = form.commune.data or ""
    village_places = villages(commune_code) if commune_code else None
    form.fill_choices(communes(), village_places or [], topic_options())
    held = held_files(hold_id, upload_dir=Path(config["UPLOAD_DIR"])) if hold_id else None
    limits = {
        "title": MAX_TITLE,
        "body": MAX_BODY,
        "files": int(config["MAX_ATTACHMENTS"]),
        "file_mb": f"{int(config['MAX_ATTACHMENT_BYTES']) / (1024 * 1024):g}",
    }
    return render_template("public/submit.html", form=form, limits=limits, held=held or [], **extra)


def _hold(form: SubmitForm, form_key: str, files: tuple[Upload, ...]) -> str | None:
    """Keep ``files`` on the server for this form while it is re-rendered (a browser never fills
    a file input again); an unacceptable file is reported on its field and nothing is kept.

    The files stay held after the item is made, so that a repeat of the same form (double click)
    has the same content; the worker's hourly tidy removes them, "forget me" at once.
    """
    config = current_app.config
    hold_id: str | None
    try:
        hold_id = hold_files(files, upload_dir=Path(config["UPLOAD_DIR"]),
                             max_bytes=int(config["MAX_ATTACHMENT_BYTES"]), max_files=int(config["MAX_ATTACHMENTS"]))
    except UploadRejected as rejected:
        form.attachments.errors = [rejected.message]
        hold_id = None
    hold_for_form(form_key, hold_id)
    return hold_id


def _read_uploads() -> tuple[Upload, ...]:
    """The chosen files; each read to at most one byte over the limit, enough to refuse it."""
    limit = int(current_app.config["MAX_ATTACHMENT_BYTES"])
    files = []
    for storage in request.files.getlist("attachments"):
        if storage is None or not storage.filename:
            continue  # an empty file input still sends one empty part
        files.append(Upload(filename=storage.filename, data=storage.stream.read(limit + 1)))
    return tuple(files)


def _submission(form: SubmitForm | PostedSubmission, files: tuple[Upload, ...], sender: str) -> Submission:
    return Submission(
        # Raw text; the service refuses anything that is not a Kind value.
        kind=form.kind.data or "",  # type: ignore[arg-type]
        locality_code=form.commune.data or "",
        village_code=form.village.data or None,
        topic_code=form.topic.data or "",
        title=form.title.data or "",
        body=form.body.data or "",
        name=form.name.data or None,
        phone=form.phone.data or None,
        email=form.email.data or None,
        consent_share_contact=bool(form.consent_share_contact.data),
        attachments=files,
        submission_key=form.submission_key.data or None,
        session_id=sender,
        channel=Channel.WEB,
        language=current_language(),
    )

