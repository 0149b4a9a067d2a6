"""Who may open a staff page: ``role_required`` for views of every staff blueprint."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import render_template
from flask_login import current_user

from feedback.domain.events import Actor
from feedback.extensions import login_manager
from feedback.models import Role

P = ParamSpec("P")
R = TypeVar("R")


def role_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let a view run only for a logged-in, active user holding at least one of ``roles``.

    An anonymous visitor is sent to the login page (302, with ``next`` set to the page asked
    for); a logged-in user without any of the roles gets the friendly 403 page. With no roles
    given, any logged-in user passes.
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not any(current_user.has_role(role) for role in roles):
                return render_template("auth/forbidden.html"), 403  # type: ignore[return-value]
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_actor() -> Actor:
    """The signed-in user as the audit log's actor (username and account id); call it only in a
    view that ``role_required`` guards."""
    return Actor.user(int(current_user.id), str(current_user.username))
