"""Text cells that a spreadsheet will never run: the rule for every CSV and XLSX export.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` is read by Excel and LibreOffice as a
formula (CSV injection: ``=HYPERLINK(...)``, ``=cmd|...``), and a leading tab or carriage return
lets such a text slip past a naive check. The titles of items are typed by anyone, so every text
cell of an export goes through ``safe_text``: such a text gets a leading apostrophe, which both
programs show as text and never evaluate. Numbers are written as numbers, never as text, so a
count or a rate is never touched. Pure.
"""

from __future__ import annotations

# OWASP "CSV Injection": the characters that start a formula, and the two that hide one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """``text`` unchanged, or with a leading apostrophe when it starts with a formula character
    (``FORMULA_STARTS``), so that a spreadsheet shows it as text. Pure, idempotent on its output
    only in the sense that an already neutralised text starts with ``'`` and is left alone."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
