"""Reading admin pages in tests as elements, not substrings (stdlib html.parser, no extra package)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    nodes: list[Element | str] = field(default_factory=list)

    @property
    def children(self) -> list[Element]:
        return [node for node in self.nodes if isinstance(node, Element)]

    @property
    def text(self) -> str:
        """The element's text with its descendants', in document order, whitespace collapsed."""
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> list[str]:
        out: list[str] = []
        for node in self.nodes:
            out.extend([node] if isinstance(node, str) else node._texts())
        return out

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        """Descendants named ``tag`` whose attributes include ``attrs`` (class_ matches one class)."""
        found = []
        for child in self.children:
            if child.tag == tag and _has(child, attrs):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str, **attrs: str) -> Element:
        matches = self.find_all(tag, **attrs)
        assert matches, f"no <{tag} {attrs}> in the page"
        return matches[0]


def _has(element: Element, attrs: dict[str, str]) -> bool:
    for name, wanted in attrs.items():
        if name == "class_":
            if wanted not in element.attrs.get("class", "").split():
                return False
        elif element.attrs.get(name) != wanted:
            return False
    return True


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].nodes.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].nodes.append(data)


def parse(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
