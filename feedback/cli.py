"""Flask commands: thin wrappers over services."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach the project's commands to ``flask``."""
