"""The permission matrix (issue #8 item 6): every role over every staff and secret-link route.

Every rule of the app's url_map under ``/unit/``, ``/admin/``, ``/t/``, ``/monitor/`` and the
public figures (``/units``, ``/answers``, ``/open-data/``) is requested, for each method it accepts among GET and POST, by each of seven roles, and
the answer is compared with the table ``MATRIX`` below. A route that the table does not list
fails ``test_every_route_is_in_the_matrix``, and a row whose route is gone fails too: whoever
adds a route adds its row.

Table format: one line per (endpoint, method, variant), the expected outcome per role in the
column order of ``ROLES``::

    #  endpoint                method  variant        anon   resident officer head  front  board  admin
    ("units.item",             "GET",  OWN,          (LOGIN, LOGIN,   OK,     OK,   DENY,  DENY,  DENY)),

- Outcomes: ``OK`` 2xx or a 3xx that is not to the login page (allowed), ``LOGIN`` 302 to
  /login, ``DENY`` 403, ``GONE`` 404 (another unit's item or another resident's token: a URL
  never confirms that an item exists), ``INPUT`` 400 or 422 (let in, but the form refused: give
  the endpoint a valid form in ``_forms`` rather than expect this for an allowed role).
- Variants say which item the URL names: ``OWN`` the item held by the officer's and head's unit,
  with the resident's own token and the item's own file; ``OTHER_UNIT`` an item held by another
  unit (its code and file); ``FOREIGN_TOKEN`` the resident's item code with another resident's
  token. Every (endpoint, method) needs an ``OWN`` row; add the other variants where the route
  names an item.
- URL arguments come from ``World.arguments`` (``code``, ``token``, ``attachment_id``,
  ``rule_id``, ``job_id``, ``day``, ``key_id``, and for the Front dashboard ``figure``, ``name``, ``fmt``): a route with a new argument adds it there. The token in the
  URL is the one the role holds: the resident's own, for everybody else a guessed one.
- POSTs carry a valid CSRF token (so a refusal is the permission, not CSRF) and the form of
  ``_forms`` for that endpoint, empty when it is not listed.

Roles: anonymous; the resident (not logged in, holding their secret link); an officer and the
head of the unit holding the item; a Front monitor of the item's commune; an Inspection Board
member of its village; an administrator.

The handling actions are not routes yet on this branch: their role table is at service level in
tests/services/test_handling_permissions.py (an officer publishing without approval is refused
there). When a route arrives, its rows go here, e.g. an officer's POST to the publish route
expected ``DENY``; a resident's rating POST under /t/<code>/<token>/ is ``SECRET`` for the own
token and ``NOBODY`` for ``FOREIGN_TOKEN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from feedback.domain.status import Status
from feedback.domain.tracking import hash_token, make_code
from feedback.extensions import db
from feedback.models import ApiKey, Assignment, Attachment, Feedback, HotSpot, ImportJob, Role, RoutingRule, User
from feedback.services.briefing import generate_report
from feedback.services.recommendations import RecommendationDraft, issue_recommendation

from tests.factories import make_feedback, make_user
from tests.services.handling_rows import TOKEN, desk
from tests.web.auth_helpers import csrf_token, log_in

# The public figures (/units, /answers, /open-data/) are listed too: anyone may read them.
PREFIXES = ("/unit/", "/admin/", "/t/", "/monitor/", "/units", "/answers", "/open-data/")
METHODS = ("GET", "POST")


class Outcome(StrEnum):
    OK = "allowed (2xx, or 3xx not to the login page)"
    LOGIN = "302 to the login page"
    DENY = "403"
    GONE = "404"
    INPUT = "400 or 422 (let in, the empty form refused)"


OK, LOGIN, DENY, GONE, INPUT = Outcome.OK, Outcome.LOGIN, Outcome.DENY, Outcome.GONE, Outcome.INPUT

# Which item the URL names (see the module docstring).
OWN, OTHER_UNIT, FOREIGN_TOKEN = "own", "other unit", "foreign token"

ROLES = ("anonymous", "resident", "officer", "head", "front", "board", "admin")

# Staff pages: anonymous and resident are sent to log in; only the right role gets in.
UNIT_PAGE = (LOGIN, LOGIN, OK, OK, DENY, DENY, DENY)
UNIT_OTHER = (LOGIN, LOGIN, GONE, GONE, DENY, DENY, DENY)
ADMIN_PAGE = (LOGIN, LOGIN, DENY, DENY, DENY, DENY, OK)
# The Front dashboard: Front monitors and Inspection Board members, within their commune; an item
# of another commune is 404 for them (tests/web/test_monitor_dashboard.py names every such URL).
MONITOR_PAGE = (LOGIN, LOGIN, DENY, DENY, OK, OK, DENY)
MONITOR_OTHER = (LOGIN, LOGIN, DENY, DENY, GONE, GONE, DENY)
PUBLIC = (OK, OK, OK, OK, OK, OK, OK)
# The secret link opens for its holder only; a guessed or someone else's token is 404.
SECRET = (GONE, OK, GONE, GONE, GONE, GONE, GONE)
NOBODY = (GONE, GONE, GONE, GONE, GONE, GONE, GONE)
# The resident's rating and reopening POSTs with an empty form: let in, the form refused.
SECRET_FORM = (GONE, INPUT, GONE, GONE, GONE, GONE, GONE)

MATRIX: list[tuple[str, str, str, tuple[Outcome, ...]]] = [
    # endpoint                      method  variant        anon   resident officer head  front  board  admin
    ("units.inbox",                 "GET",  OWN,           UNIT_PAGE),
    ("units.item",                  "GET",  OWN,           UNIT_PAGE),
    ("units.item",                  "GET",  OTHER_UNIT,    UNIT_OTHER),
    ("units.attachment",            "GET",  OWN,           UNIT_PAGE),
    ("units.attachment",            "GET",  OTHER_UNIT,    UNIT_OTHER),
    ("units.attachment_inline",     "GET",  OWN,           UNIT_PAGE),
    ("units.attachment_inline",     "GET",  OTHER_UNIT,    UNIT_OTHER),
    # One handling action (accept) stands for the table of actions: which roles may take each
    # one is tests/services/test_handling_permission_table.py; here, who reaches the route.
    ("units.act",                   "POST", OWN,           UNIT_PAGE),
    ("units.act",                   "POST", OTHER_UNIT,    UNIT_OTHER),
    ("admin.index",                 "GET",  OWN,           ADMIN_PAGE),
    ("admin.directory",             "GET",  OWN,           ADMIN_PAGE),
    ("admin.items_index",           "GET",  OWN,           ADMIN_PAGE),
    ("admin.item_detail",           "GET",  OWN,           ADMIN_PAGE),
    ("admin.item_detail",           "GET",  OTHER_UNIT,    ADMIN_PAGE),
    ("admin.item_handover",         "POST", OWN,           ADMIN_PAGE),
    ("admin.item_route",            "POST", OWN,           ADMIN_PAGE),
    ("admin.attachment",            "GET",  OWN,           ADMIN_PAGE),
    ("admin.calendar_index",        "GET",  OWN,           ADMIN_PAGE),
    ("admin.calendar_add",          "POST", OWN,           ADMIN_PAGE),
    ("admin.calendar_remove",       "POST", OWN,           ADMIN_PAGE),
    ("admin.rules_index",           "GET",  OWN,           ADMIN_PAGE),
    ("admin.rule_new",              "GET",  OWN,           ADMIN_PAGE),
    ("admin.rule_new",              "POST", OWN,           ADMIN_PAGE),
    ("admin.rule_edit",             "GET",  OWN,           ADMIN_PAGE),
    ("admin.rule_edit",             "POST", OWN,           ADMIN_PAGE),
    ("admin.rule_delete",           "GET",  OWN,           ADMIN_PAGE),
    ("admin.rule_delete",           "POST", OWN,           ADMIN_PAGE),
    ("admin.rules_import",          "GET",  OWN,           ADMIN_PAGE),
    ("admin.rules_import",          "POST", OWN,           ADMIN_PAGE),
    ("admin.rules_import_job",      "GET",  OWN,           ADMIN_PAGE),
    ("monitor.index",               "GET",  OWN,           MONITOR_PAGE),
    ("monitor.items",               "GET",  OWN,           MONITOR_PAGE),
    ("monitor.item",                "GET",  OWN,           MONITOR_PAGE),
    ("monitor.item",                "GET",  OTHER_UNIT,    MONITOR_OTHER),
    ("monitor.attachment",          "GET",  OWN,           MONITOR_PAGE),
    ("monitor.attachment",          "GET",  OTHER_UNIT,    MONITOR_OTHER),
    ("monitor.overdue",             "GET",  OWN,           MONITOR_PAGE),
    ("monitor.export",              "GET",  OWN,           MONITOR_PAGE),
    ("admin.api_keys_index",        "GET",  OWN,           ADMIN_PAGE),
    ("admin.api_key_create",        "POST", OWN,           ADMIN_PAGE),
    ("admin.api_key_revoke",        "POST", OWN,           ADMIN_PAGE),
    ("public.track",                "GET",  OWN,           PUBLIC),
    ("public.track_slash",          "GET",  OWN,           PUBLIC),
    ("public.track_json",           "GET",  OWN,           PUBLIC),
    ("public.track_private",        "GET",  OWN,           SECRET),
    ("public.track_private",        "GET",  FOREIGN_TOKEN, NOBODY),
    ("public.track_file",           "GET",  OWN,           SECRET),
    ("public.track_file",           "GET",  FOREIGN_TOKEN, NOBODY),
    ("public.track_private",        "POST", OWN,           SECRET),
    ("public.track_private",        "POST", FOREIGN_TOKEN, NOBODY),
    ("public.rate",                 "POST", OWN,           SECRET_FORM),
    ("public.rate",                 "POST", FOREIGN_TOKEN, NOBODY),
    ("public.reopen",               "POST", OWN,           SECRET_FORM),
    ("public.reopen",               "POST", FOREIGN_TOKEN, NOBODY),
    # Hot spots and briefing reports (the hot spot and the report of the item's commune).
    ("watch.hot_spot_list",         "GET",  OWN,           MONITOR_PAGE),
    ("watch.hot_spot",              "GET",  OWN,           MONITOR_PAGE),
    ("watch.report_list",           "GET",  OWN,           MONITOR_PAGE),
    ("watch.report",                "GET",  OWN,           MONITOR_PAGE),
    ("watch.report_xlsx",           "GET",  OWN,           MONITOR_PAGE),
    # Public figures and open data.
    ("public.units",                "GET",  OWN,           PUBLIC),
    ("public.answers",              "GET",  OWN,           PUBLIC),
    ("public.open_data_csv",        "GET",  OWN,           PUBLIC),
    ("public.open_data_json",       "GET",  OWN,           PUBLIC),
    # Recommendations: the Front and the Board of the territory (another territory's is 404).
    ("monitor_recs.index",          "GET",  OWN,           MONITOR_PAGE),
    ("monitor_recs.new",            "GET",  OWN,           MONITOR_PAGE),
    ("monitor_recs.create",         "POST", OWN,           MONITOR_PAGE),
    ("monitor_recs.detail",         "GET",  OWN,           MONITOR_PAGE),
    ("monitor_recs.detail",         "GET",  OTHER_UNIT,    MONITOR_OTHER),
    ("monitor_recs.file",           "GET",  OWN,           MONITOR_PAGE),
    ("monitor_recs.file",           "GET",  OTHER_UNIT,    MONITOR_OTHER),
]

EXPECTED: dict[tuple[str, str, str, str], Outcome] = {
    (endpoint, method, variant, role): outcome
    for endpoint, method, variant, outcomes in MATRIX
    for role, outcome in zip(ROLES, outcomes, strict=True)
}

OTHER_TOKEN = "bi-mat-cua-nguoi-khac-9876543210"
GUESSED_TOKEN = "doan-bua-ma-bi-mat-khong-dung-00"
# A day with an administrator's override, for admin.calendar_remove.
OVERRIDE_DAY = date(2026, 12, 31)


@dataclass
class World:
    """What the URLs name: the resident's item (held by the officer's and head's unit), another
    unit's item, one file each, a routing rule, an import job and the logged-in users."""

    own: Feedback
    other: Feedback
    own_file: Attachment
    other_file: Attachment
    rule: RoutingRule
    job: ImportJob
    key_id: int
    usernames: dict[str, str]
    hot_spot_id: int = 0
    report_id: int = 0
    # A recommendation of the item's commune (to its People's Committee) and one of Vân Đồn, each
    # with a file: (recommendation id, attachment id).
    recommendation: tuple[int, int] = (0, 0)
    other_recommendation: tuple[int, int] = (0, 0)
    addressee_id: int = 0  # the People's Committee of the item's commune: the Front and the Board may address it

    def arguments(self, variant: str, role: str) -> dict[str, object]:
        item, attached = (self.other, self.other_file) if variant == OTHER_UNIT else (self.own, self.own_file)
        token = TOKEN if role == "resident" else GUESSED_TOKEN
        if variant == FOREIGN_TOKEN:
            token = OTHER_TOKEN
        recommendation, file_id = self.other_recommendation if variant == OTHER_UNIT else self.recommendation
        return {"code": item.code, "token": token, "attachment_id": attached.id, "rule_id": self.rule.id,
                "job_id": self.job.id, "day": OVERRIDE_DAY.isoformat(), "action": "accept",
                "recommendation_id": recommendation, "file_id": file_id,
                # the Front dashboard: a figure to drill into, a table to export
                "figure": "received", "name": "figures", "fmt": "csv",
                # hot spots and briefing reports (of the item's commune)
                "hot_spot_id": self.hot_spot_id, "report_id": self.report_id,
                "key_id": self.key_id}


def _file(item: Feedback) -> Attachment:
    name = f"{item.id:032x}"
    (Path(current_app.config["UPLOAD_DIR"]) / name).write_bytes(b"%PDF-1.4\n%%EOF\n")
    attached = Attachment(feedback_id=item.id, storage_name=name, original_name="biên bản.pdf",
                          content_type="application/pdf", size=15, sha256="0" * 64)
    db.session.add(attached)
    return attached


def make_world() -> World:
    """A routed item with its token (tests/services/handling_rows.desk), an item of Vân Đồn's
    People's Committee with another token, and one user per staff role."""
    d = desk()
    directory = d.directory
    other = make_feedback(directory, locality=directory.remote_village, status=Status.ASSIGNED,
                          current_unit=directory.ubnd_van_don, received_at=d.item.received_at)
    other.code = make_code(str(current_app.config["TRACKING_PREFIX"]), 2026, other.id)
    other.token_hash = hash_token(OTHER_TOKEN)
    db.session.add(Assignment(feedback_id=other.id, unit_id=directory.ubnd_van_don.id,
                              assigned_at=other.received_at))
    make_user("ban-thanh-tra", Role.INSPECTION_BOARD, territory=directory.village)
    make_user("quan-tri", Role.ADMIN)
    rule = RoutingRule(locality=directory.van_don, topic=directory.land, unit=directory.ubnd_van_don)
    job = ImportJob(content="", actor="quan-tri")
    db.session.add_all([rule, job])
    key = ApiKey(name="ung-dung-thu", key_hash="0" * 64, prefix="o311_0000000", created_by="test")
    db.session.add(key)
    db.session.flush()
    world = World(d.item, other, _file(d.item), _file(other), rule, job, key.id, {
        "officer": d.officer.username, "head": d.head.username, "front": d.monitor.username,
        "board": "ban-thanh-tra", "admin": "quan-tri"},
        recommendation=_recommendation(d.monitor, directory.ubnd_ha_tu.id),
        other_recommendation=_recommendation(
            make_user("mttq-van-don", Role.FRONT_MONITOR, unit=directory.ubnd_van_don, territory=directory.van_don),
            directory.ubnd_van_don.id),
        addressee_id=directory.ubnd_ha_tu.id)
    spot = HotSpot(locality_id=directory.ha_tu.id, topic_id=directory.waste.id, started_on=date(2026, 3, 2),
                   last_seen_on=date(2026, 3, 3), recent_count=5, baseline_count=0, peak_count=5)
    db.session.add(spot)
    db.session.flush()
    world.hot_spot_id = spot.id
    world.report_id = generate_report(directory.ha_tu.code, date(2026, 2, 1), now=d.item.received_at).report_id
    # Committed (a savepoint in tests): a refused POST rolls its session back, which must not take
    # the world with it, as it never would in production.
    db.session.commit()
    return world


def _recommendation(issuer: User, unit_id: int) -> tuple[int, int]:
    """A recommendation issued by ``issuer`` to ``unit_id``, with one file: (its id, the file's id)."""
    issued = issue_recommendation(issuer, RecommendationDraft(unit_id=unit_id, title="Thu gom rác",
                                                              text="Đề nghị kiểm tra.", topic_code="moi-truong"),
                                  now=datetime(2026, 3, 4, 2, 0, tzinfo=UTC))
    item = db.session.get(Feedback, issued.feedback_id)
    assert item is not None
    attached = _file(item)
    db.session.flush()
    return issued.recommendation_id, attached.id


def _forms(world: World) -> dict[str, dict[str, object]]:
    """Valid forms of the POSTs whose empty form would hide the permission behind a 400."""
    return {
        "admin.item_handover": {"unit": str(world.other.current_unit_id), "reason": "Không thuộc thẩm quyền"},
        "admin.calendar_add": {"day": OVERRIDE_DAY.isoformat(), "day_type": "off", "note": "Nghỉ bù"},
        "admin.api_key_create": {"name": "ung-dung-moi"},
        "monitor_recs.create": {"unit": str(world.addressee_id),
                                "title": "Rác thải", "text": "Đề nghị kiểm tra.", "topic": "moi-truong"},
    }


def _request(client: FlaskClient, world: World, endpoint: str, method: str, variant: str,
             role: str) -> TestResponse:
    app: Flask = client.application
    url = app.url_map.bind("localhost").build(endpoint, world.arguments(variant, role))
    if method == "GET":
        return client.get(url)
    data = {"csrf_token": csrf_token(client.get("/submit").get_data(as_text=True)),
            **_forms(world).get(endpoint, {})}
    return client.post(url, data=data)


def _seen(response: TestResponse) -> Outcome | int:
    status = response.status_code
    if status == 302 and re.match(r"(https?://[^/]+)?/login\b", response.headers.get("Location", "")):
        return LOGIN
    if 200 <= status < 400:
        return OK
    return {403: DENY, 404: GONE, 400: INPUT, 422: INPUT}.get(status, status)


def _staff_rules(app: Flask) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(PREFIXES) for method in METHODS if method in (rule.methods or ())}


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    """Proves: every GET and POST under /unit/, /admin/, /t/ and /monitor/ has an OWN row (a new
    route without one fails here), and every row names a route that exists."""
    routes = _staff_rules(app)
    listed = {(endpoint, method) for endpoint, method, variant, _ in MATRIX if variant == OWN}
    assert routes - listed == set(), "routes missing from MATRIX in tests/web/test_permission_matrix.py"
    every_row = {(endpoint, method) for endpoint, method, _, _ in MATRIX}
    assert every_row - routes == set(), "rows of MATRIX whose route no longer exists"
    assert len(MATRIX) == len({row[:3] for row in MATRIX}), "a row of MATRIX is listed twice"


@pytest.mark.parametrize("role", ROLES)
def test_role_over_every_route(client: FlaskClient, db_session: Session, role: str) -> None:
    """Proves: this role, on every row of MATRIX in order, gets what the row says: allowed, sent to
    log in, 403, or 404 for another unit's item or another resident's token. One world per role
    (the rows that change data, such as deleting the rule, come after those that read it); every
    mismatch is listed."""
    world = make_world()
    if role in world.usernames:
        assert log_in(client, world.usernames[role]).status_code == 302
    wrong = []
    for endpoint, method, variant, _ in MATRIX:
        response = _request(client, world, endpoint, method, variant, role)
        expected = EXPECTED[endpoint, method, variant, role]
        if _seen(response) != expected:
            wrong.append(f"{method} {endpoint} ({variant}): expected {expected.name}, got {response.status_code} "
                         f"{response.headers.get('Location', '')}")
    assert wrong == []
