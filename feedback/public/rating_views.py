"""The rating form of the resident's secret-link page (DESIGN.md §6): ``POST /t/<code>/<token>/rating``
rates the published answer, ``POST /t/<code>/<token>/reopen`` reopens it when unsatisfied.

The page itself (``track_private``) is rendered elsewhere; it includes
``public/_rating.html``, which asks the template global ``rating_panel()`` (registered here)
what to show, from the code and token of the current URL. Without JavaScript everything works:
a refused rating re-renders the page with the message and what the resident chose; a wrong
code or token is a 404, as on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from feedback.domain.satisfaction import Reason, Score
from feedback.domain.tracking import InvalidCode
from feedback.extensions import limiter
from feedback.public.tracking_views import private_headers
from feedback.services.handling import HandlingError, ItemNotFound
from feedback.services.intake import canonical_code, private_view
from feedback.services.ratings import RatingPanel, rate, rating_panel, reopen

SECTION = "danh-gia"  # the id of the rating section, the anchor redirects return to

SCORE_LABELS: dict[Score, LazyString] = {
    Score.VERY_UNSATISFIED: _l("rất không hài lòng"),
    Score.UNSATISFIED: _l("không hài lòng"),
    Score.NEUTRAL: _l("bình thường"),
    Score.SATISFIED: _l("hài lòng"),
    Score.VERY_SATISFIED: _l("rất hài lòng"),
}
REASON_LABELS: dict[Reason, LazyString] = {
    Reason.NOT_ANSWERED: _l("chưa trả lời đúng nội dung"),
    Reason.NOT_RESOLVED: _l("đã trả lời nhưng chưa giải quyết được"),
    Reason.LATE: _l("trả lời chậm"),
    Reason.ATTITUDE: _l("thái độ chưa đúng mực"),
}


def _rate_limit() -> str:
    return str(current_app.config["TRACK_RATE_LIMIT"])


# The same per-address budget as the tracking pages: the token is what these check.
_limited = limiter.shared_limit(_rate_limit, scope="tracking")


def add_rating_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/t/<code>/<token>/rating", "rate", _limited(rate_answer), methods=["POST"])
    bp.add_url_rule("/t/<code>/<token>/reopen", "reopen", _limited(reopen_item), methods=["POST"])
    bp.add_app_template_global(panel_for_page, "rating_panel")


@dataclass(frozen=True)
class RatingPage:
    """What ``public/_rating.html`` renders."""

    panel: RatingPanel
    scores: list[tuple[int, LazyString]]
    reasons: list[tuple[str, LazyString]]
    rate_url: str
    reopen_url: str

    def score_label(self, score: int) -> LazyString:
        return SCORE_LABELS[Score(score)]

    def reason_label(self, reason: Reason) -> LazyString:
        return REASON_LABELS[reason]


def panel_for_page() -> RatingPage | None:
    """The rating section of the secret-link page being rendered (code and token from the URL),
    or None when there is no published answer (or no such page)."""
    args = request.view_args or {}
    code, token = args.get("code"), args.get("token")
    if not isinstance(code, str) or not isinstance(token, str):
        return None
    try:
        canonical = canonical_code(code)
    except InvalidCode:
        return None
    panel = rating_panel(canonical, token, now=datetime.now(UTC))
    if panel is None:
        return None
    return RatingPage(
        panel=panel,
        scores=[(int(score), label) for score, label in SCORE_LABELS.items()],
        reasons=[(reason.value, label) for reason, label in REASON_LABELS.items()],
        rate_url=url_for("public.rate", code=canonical, token=token),
        reopen_url=url_for("public.reopen", code=canonical, token=token),
    )


def rate_answer(code: str, token: str) -> ResponseReturnValue:
    """Rate (or, within 7 days, change the rating of) the published answer."""
    canonical = _canonical(code)
    form = request.form
    chosen = {"score": form.get("score", ""), "reason": form.get("reason", ""), "comment": form.get("comment", "")}
    try:
        rated = rate(canonical, token, chosen["score"], reason=chosen["reason"], comment=chosen["comment"],
                     now=datetime.now(UTC))
    except ItemNotFound:
        abort(404)
    except HandlingError as refused:
        return _page_with_error(canonical, token, refused.message, chosen)
    if rated.changed:
        flash(_("Đã cập nhật đánh giá của bạn."), "success")
    else:
        flash(_("Cảm ơn bạn đã đánh giá câu trả lời."), "success")
    return redirect(url_for("public.track_private", code=canonical, token=token, _anchor=SECTION), 303)


def reopen_item(code: str, token: str) -> ResponseReturnValue:
    """Reopen the answered item (rated below 3, within 30 days of the answer)."""
    canonical = _canonical(code)
    try:
        reopen(canonical, token, now=datetime.now(UTC))
    except ItemNotFound:
        abort(404)
    except HandlingError as refused:
        return _page_with_error(canonical, token, refused.message, {})
    flash(_("Ý kiến đã được mở lại và chuyển về đơn vị đã trả lời để giải quyết lại."), "success")
    return redirect(url_for("public.track_private", code=canonical, token=token, _anchor=SECTION), 303)


def _canonical(code: str) -> str:
    try:
        return canonical_code(code)
    except InvalidCode:
        abort(404)


def _page_with_error(code: str, token: str, message: str, chosen: dict[str, str]) -> ResponseReturnValue:
    """The secret-link page again, with the refusal above the form and the resident's choices kept."""
    item = private_view(code, token, now=datetime.now(UTC))
    if item is None:
        abort(404)
    if panel_for_page() is None:  # no rating section on the page (no answer yet): say it above the page
        flash(message, "error")
    body = render_template("public/track_private.html", item=item, rating_error=message, rating_input=chosen)
    return body, 400, private_headers()
