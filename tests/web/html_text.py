"""Reading rendered pages as HTML, not as strings: the text of elements, the value of inputs."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


class _Elements(HTMLParser):
    """Collects (tag, attributes, text) of every element; text includes that of descendants."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}, []))
        if tag not in VOID:
            self._open.append(len(self.found) - 1)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, -1, -1):
            if self.found[self._open[depth]][0] == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        for index in self._open:
            self.found[index][2].append(data)


def elements(html: str, tag: str, **attrs: str) -> list[tuple[dict[str, str], str]]:
    """(attributes, whitespace-normalised text) of each ``tag`` whose attributes include ``attrs``.

    ``class_="x"`` matches an element having the class x among others.
    """
    parser = _Elements()
    parser.feed(html)
    wanted = {k.rstrip("_"): v for k, v in attrs.items()}
    result = []
    for found_tag, found_attrs, text in parser.found:
        if found_tag != tag:
            continue
        if all((v in found_attrs.get(k, "").split()) if k == "class" else found_attrs.get(k) == v
               for k, v in wanted.items()):
            result.append((found_attrs, " ".join("".join(text).split())))
    return result


def texts(html: str, tag: str, **attrs: str) -> list[str]:
    """The text of each matching element (see ``elements``)."""
    return [text for _, text in elements(html, tag, **attrs)]


def main_text(html: str) -> str:
    """The text of the page's <main>, whitespace-normalised (the header and footer left out)."""
    found = texts(html, "main")
    assert found, "the page has no <main>"
    return found[0]
