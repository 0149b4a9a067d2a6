"""The floor of this stack for bench/run.py: Flask parses the form, one INSERT through a raw psycopg
connection pool, JSON back. No session, no CSRF, no ORM, no templates, no broker.

    gunicorn --chdir bench reference_app:app     (BENCH_REFERENCE_DSN=postgresql://…)
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from psycopg_pool import ConnectionPool

pool = ConnectionPool(os.environ["BENCH_REFERENCE_DSN"], min_size=1, max_size=int(os.environ.get("BENCH_REFERENCE_POOL", "2")),
                      open=True)
app = Flask(__name__)


@app.post("/reference")
def reference() -> ResponseReturnValue:
    form = request.form
    with pool.connection() as conn:
        row = conn.execute(
            "INSERT INTO bench_reference (kind, commune, topic, title, body) VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (form.get("kind", ""), form.get("commune", ""), form.get("topic", ""), form.get("title", ""),
             form.get("body", "")),
        ).fetchone()
    return jsonify(id=row[0] if row else None), 201
