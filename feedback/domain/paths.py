"""Materialised paths of the directory's trees (localities, topics): the ids from the root down,
spelt "/1/7/42/". A subtree is a prefix of paths, so "everything in this commune" is one
``LIKE '/1/7/%'`` query. Every spelling and reading of a path goes through here."""

from __future__ import annotations


def path_of(ids: tuple[int, ...]) -> str:
    """The path of the node whose ancestors and itself are ``ids``, root first: (1, 7) → "/1/7/"."""
    return "/" + "".join(f"{node_id}/" for node_id in ids)


def child_path(parent_path: str | None, node_id: int) -> str:
    """The path of node ``node_id`` under a parent with ``parent_path`` (None or "" for a root)."""
    return f"{parent_path or '/'}{node_id}/"


def ids_of(path: str) -> tuple[int, ...]:
    """The ids a path names, root first: "/1/7/" → (1, 7); "" → ()."""
    return tuple(int(part) for part in path.strip("/").split("/") if part)
