"""Pages for residents: home, the form and its receipt, the locality lists used by the form.

Tracking pages are in ``tracking_views``; both hang on the ``public`` blueprint.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from feedback.domain.status import Channel
from feedback.extensions import limiter
from feedback.public.forms import SubmitForm
from feedback.public.receipts import remember_receipt, remembered_token
from feedback.public.redact import install_log_redaction
from feedback.public.tracking_views import add_tracking_routes, example_code, private_headers
from feedback.services.intake.form_choices import communes, search_localities, topic_options, villages
from feedback.services.intake.submission import MAX_BODY, MAX_TITLE, Submission, SubmissionInvalid, Upload, submit_feedback
from feedback.services.intake.tracking import private_view

bp = Blueprint("public", __name__)
add_tracking_routes(bp)
bp.record_once(lambda state: install_log_redaction())

# The "Chọn thôn/khu phố" button of the form without JavaScript: re-render with the villages.
VILLAGE_STEP = "village"


@bp.get("/")
def home() -> str:
    return render_template("public/home.html", example_code=example_code())


def _submit_rate_limit() -> str:
    return str(current_app.config["SUBMIT_RATE_LIMIT"])


@bp.route("/submit", methods=["GET", "POST"])
@limiter.limit(_submit_rate_limit, methods=["POST"])
def submit() -> ResponseReturnValue:
    """The form. POST either shows the villages of the chosen commune (no JavaScript) or submits.

    CSRF is checked for every POST by CSRFProtect before this runs (a friendly 400 page).
    """
    form = SubmitForm()
    if not form.submission_key.data:
        # Generated when the form is first shown, kept through re-renders: every POST of this
        # form (double click, reload, back and resubmit) lands on the same item.
        form.submission_key.data = secrets.token_urlsafe(24)
    commune_code = form.commune.data or ""
    village_places = villages(commune_code) if commune_code else None
    form.fill_choices(communes(), village_places or [], topic_options())
    if request.method == "GET":
        return _form_page(form)

    if not form.validate():  # only the CSRF token can fail here (CSRFProtect checked it already)
        raise CSRFError(_("Biểu mẫu đã hết hạn hoặc không hợp lệ."))
    files = _read_uploads()
    if request.form.get("step") == VILLAGE_STEP:
        if village_places is None:
            form.commune.errors = [_("Hãy chọn xã, phường hoặc đặc khu trước khi chọn thôn, khu phố.")]
        return _form_page(form, files_dropped=bool(files), village_step=not form.commune.errors)
    try:
        receipt = submit_feedback(_submission(form, files), now=datetime.now(UTC))
    except SubmissionInvalid as invalid:
        form.attach_errors(invalid.errors)
        return _form_page(form, files_dropped=bool(files)), 422

    # Post/Redirect/Get. The token travels in the session, never in a URL of this redirect.
    if receipt.token is not None:
        remember_receipt(receipt.code, receipt.token)
    if remembered_token(receipt.code) is not None:
        return redirect(url_for("public.receipt", code=receipt.code), 303)
    return redirect(url_for("public.track", code=receipt.code), 303)


@bp.get("/submitted/<code>")
def receipt(code: str) -> ResponseReturnValue:
    """The receipt shown once after sending: the code big, and the resident's secret link."""
    token = remembered_token(code)
    item = private_view(code, token, now=datetime.now(UTC)) if token else None
    if item is None or token is None:
        return redirect(url_for("public.track", code=code))
    secret_url = url_for("public.track_private", code=code, token=token, _external=True, lang=None)
    body = render_template("public/receipt.html", item=item, secret_url=secret_url)
    return body, 200, private_headers()


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


def _form_page(form: SubmitForm, **extra: object) -> str:
    config = current_app.config
    limits = {
        "title": MAX_TITLE,
        "body": MAX_BODY,
        "files": int(config["MAX_ATTACHMENTS"]),
        "file_mb": f"{int(config['MAX_ATTACHMENT_BYTES']) / (1024 * 1024):g}",
    }
    return render_template("public/submit.html", form=form, limits=limits, **extra)


def _read_uploads() -> tuple[Upload, ...]:
    """The chosen files; each read to at most one byte over the limit, enough to refuse it."""
    limit = int(current_app.config["MAX_ATTACHMENT_BYTES"])
    files = []
    for storage in request.files.getlist("attachments"):
        if storage is None or not storage.filename:
            continue  # an empty file input still sends one empty part
        files.append(Upload(filename=storage.filename, data=storage.stream.read(limit + 1)))
    return tuple(files)


def _submission(form: SubmitForm, files: tuple[Upload, ...]) -> Submission:
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
        channel=Channel.WEB,
    )

