"""Pages for residents: home, the form, tracking."""

from __future__ import annotations

from flask import Blueprint, render_template

from feedback.public.site import register_site_hooks

bp = Blueprint("public", __name__)
register_site_hooks(bp)


@bp.get("/")
def home() -> str:
    return render_template("public/home.html")


@bp.get("/submit")
def submit() -> str:
    return render_template("public/home.html")
