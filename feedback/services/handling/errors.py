"""What a handling action refuses, as typed exceptions whose ``str()`` is a translated message.

A shell maps them: ``NotAllowed`` to 403, the others to a clear message on the same page.
Nothing is written when one is raised (the service rolls back).
"""

from __future__ import annotations


class HandlingError(ValueError):
    """Base class: an action that was not carried out; ``message`` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ItemNotFound(HandlingError):
    """No item (or answer, request) with that id or code."""


class NotAllowed(HandlingError):
    """The current user may not take this action on this item (403)."""


class WrongStatus(HandlingError):
    """The action does not fit the item's (or the draft's) current status."""


class InvalidInput(HandlingError):
    """A missing or out-of-bounds value: an empty reason, a 50,000-character answer, an unknown code."""


class DraftConflict(HandlingError):
    """Someone else saved the answer since this user read it: nothing was overwritten.

    ``text`` is what this user tried to save (so nothing is lost); ``current_version`` is the
    version now stored, to reload and merge.
    """

    def __init__(self, message: str, *, text: str, current_version: int) -> None:
        super().__init__(message)
        self.text = text
        self.current_version = current_version
