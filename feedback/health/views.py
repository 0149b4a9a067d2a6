"""/healthz for load balancers and monitoring: JSON facts, 200 when healthy, 503 otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify

from feedback.extensions import csrf
from feedback.services.health import health_report

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz() -> tuple[Response, int]:
    """503 when the database or the broker is unreachable or beat has not run for
    BEAT_MAX_AGE_SECONDS (10 minutes); the body says which. No personal data, no session."""
    report = health_report(datetime.now(UTC))
    response = jsonify(report)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if report["ok"] else 503
