"""Accounts: staff users, their memberships, passwords (Argon2id) and authentication.

Shells import from here, not from the inner modules.
"""

from feedback.services.accounts.passwords import authenticate, end_sessions, log_in, user_for_session
from feedback.services.accounts.users import AccountError, create_user, list_users, set_password

__all__ = ["AccountError", "authenticate", "create_user", "end_sessions", "list_users", "log_in", "set_password",
           "user_for_session"]
