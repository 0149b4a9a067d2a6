"""XML of the Open311 API, as the specification's examples write it (the Spark convention: a list
is an element named in the plural holding one element per entry, named in the singular).

``None`` is an empty element, booleans are ``true``/``false``; characters that XML 1.0 cannot
carry (control characters a unit's answer might hold) are left out rather than making the
document unreadable. UTF-8, with the XML declaration.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

# The element of one entry of each list the API returns.
SINGULAR = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def document(root: str, payload: dict[str, Any] | list[Any]) -> bytes:
    """The XML document whose root element is ``root``: a list becomes one child per entry (named
    after ``SINGULAR[root]``), a mapping one child per key. Raises ``KeyError`` for a list under
    a name that has no singular (a programming error)."""
    element = Element(root)
    _fill(element, root, payload)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="unicode").encode("utf-8")


def _fill(element: Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(SubElement(element, key), key, child)
    elif isinstance(value, list | tuple):
        for entry in value:
            _fill(SubElement(element, SINGULAR[name]), SINGULAR[name], entry)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = _NOT_XML.sub("", str(value))
