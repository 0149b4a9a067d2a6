"""Dump the unit inbox's and the admin overdue list's pages at a fixed ``now`` as JSON, to compare
two checkouts' code on the same database (``PYTHONPATH=<checkout>``; read only)::

    PYTHONPATH=/work/main .venv/bin/python bench/results/2026-12-01b-inbox/dump_pages.py feedback_bench_inbox > main.json
    .venv/bin/python bench/results/2026-12-01b-inbox/dump_pages.py feedback_bench_inbox > branch.json
    cmp main.json branch.json
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from typing import Any


def main() -> int:
    database = sys.argv[1]
    os.environ.update(FEEDBACK_ENV="production", SECRET_KEY=secrets.token_hex(32),
                      DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
                      REDIS_URL="redis://127.0.0.1:6379/12", CELERY_BROKER_URL="redis://127.0.0.1:6379/12",
                      UPLOAD_DIR=tempfile.mkdtemp(prefix="feedback-dump-"))
    from sqlalchemy import select

    from feedback import create_app
    from feedback.domain.access import Grant, Role, Viewer
    from feedback.domain.status import Kind, Status
    from feedback.extensions import db
    from feedback.models import User
    from feedback.services.access import viewer_for
    from feedback.services.items.admin_view import list_items
    from feedback.services.workspace.inbox import InboxFilters, inbox

    now = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)
    app = create_app()
    out: dict[str, Any] = {}
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.username == "canbo.hatu"))
        assert officer is not None, "the demo officer canbo.hatu (bench/run.py loads the demo)"
        viewer = viewer_for(officer)
        cases = {"no filter": InboxFilters(), "in progress": InboxFilters(status=Status.IN_PROGRESS),
                 "assigned": InboxFilters(status=Status.ASSIGNED), "closed": InboxFilters(status=Status.CLOSED),
                 "overdue": InboxFilters(overdue=True), "overdue in progress": InboxFilters(overdue=True,
                                                                                          status=Status.IN_PROGRESS),
                 "due soon": InboxFilters(due_soon=True), "report": InboxFilters(kind=Kind.REPORT),
                 "overdue report": InboxFilters(overdue=True, kind=Kind.REPORT)}
        for name, filters in cases.items():
            for number in (1, 3, 40):
                out[f"inbox {name} page {number}"] = dataclasses.asdict(
                    inbox(viewer, filters, page=number, per_page=25, now=now))
        admin = Viewer(grants=(Grant(Role.ADMIN),))
        for status in (None, Status.IN_PROGRESS, Status.ASSIGNED):
            for unit_id in (None, officer.memberships[0].unit_id if officer.memberships else None):
                for number in (1, 2, 401):
                    out[f"admin overdue {status} {unit_id} page {number}"] = dataclasses.asdict(list_items(
                        viewer=admin, status=status, unit_id=unit_id, overdue_only=True, page=number, now=now,
                        per_page=25))
    json.dump(out, sys.stdout, default=str, sort_keys=True, indent=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
