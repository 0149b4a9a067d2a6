"""Administrator pages: the blueprint and its dashboard.

Each area of administration lives in its own module registering its routes on ``bp``
(rules.py, ...); the package's __init__ imports them, so they exist whenever ``bp`` does.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from feedback.auth.permissions import role_required
from feedback.models import Role
from feedback.services.items import code_directory, count_directory

bp = Blueprint("admin", __name__)


@bp.get("/")
@role_required(Role.ADMIN)
def index() -> str:
    return render_template("admin/index.html", counts=count_directory())


@bp.get("/directory")
@role_required(Role.ADMIN)
def directory() -> str:
    """Read-only list of the unit, topic and locality codes a routing-rules CSV file uses."""
    query = (request.args.get("q") or "").strip()[:100]
    return render_template("admin/directory.html", codes=code_directory(query), query=query)
