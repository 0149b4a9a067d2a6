"""The locality directory: provinces and communes imported from the `vietnam-provinces` package.

The package holds the post-2025 structure (34 provinces, about 3,300 xã, phường and đặc khu)
with the NSO (Tổng cục Thống kê) codes. Names and division types are copied as data, never
written here: "Tỉnh" became "Thành phố" for some provinces in 2026 and the next change will come
with a new version of the package, picked up by running the import again. Villages come from a
CSV file (feedback.services.directory.villages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import func, literal, select, update
from vietnam_provinces import Province, Ward

from feedback.domain.paths import child_path
from feedback.domain.text import fold
from feedback.extensions import db
from feedback.models import Locality, LocalityLevel

# Called with the number of source records handled since the previous call (click's
# ProgressBar.update has exactly this shape).
Progress = Callable[[int], None]

State = Literal["created", "updated", "unchanged"]

# Progress is reported every this many communes: often enough for a bar, rarely enough to be free.
PROGRESS_STEP = 100
PROVINCE_CODE_DIGITS = 2
COMMUNE_CODE_DIGITS = 5


@dataclass
class LevelCounts:
    """What an import did to the localities of one level."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def add(self, state: State) -> None:
        setattr(self, state, getattr(self, state) + 1)


@dataclass
class ImportCounts:
    """Per-level counts of an import; ``of(level)`` is zero for a level the import did not touch."""

    levels: dict[LocalityLevel, LevelCounts] = field(default_factory=dict)

    def of(self, level: LocalityLevel) -> LevelCounts:
        return self.levels.setdefault(level, LevelCounts())

    @property
    def created(self) -> int:
        return sum(c.created for c in self.levels.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.levels.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.levels.values())


class DirectoryError(Exception):
    """Base of the directory's errors; ``str()`` is a Vietnamese message for the user."""


class UnknownProvince(DirectoryError, LookupError):
    """The province code is not in the `vietnam-provinces` package."""


class CodeConflict(DirectoryError):
    """A code of the source is already used by a locality of another level."""


def normalize_province_code(code: str | int) -> str:
    """The NSO code of a province as stored: two digits, zero-padded ("1" → "01").

    Raises ``UnknownProvince`` when ``code`` is not a number of the package's provinces.
    """
    text = str(code).strip()
    if not text.isdigit() or not _source_provinces_by_code().get(text.zfill(PROVINCE_CODE_DIGITS)):
        raise UnknownProvince(_("Không có tỉnh, thành phố mã %(code)s.", code=text))
    return text.zfill(PROVINCE_CODE_DIGITS)


def source_size(province_code: str | None) -> int:
    """How many provinces plus communes ``import_provinces(province_code)`` reads (a progress bar's length).

    Raises ``UnknownProvince`` like ``import_provinces``.
    """
    provinces, wards = _source(province_code)
    return len(provinces) + len(wards)


def import_provinces(province_code: str | None, *, progress: Progress | None = None) -> ImportCounts:
    """Create or update the province ``province_code`` (all 34 when None) and its communes, then commit.

    Each locality is found by its NSO code (province "22", commune "06652"); name, kind (the
    package's division type: "tỉnh", "xã", "phường", "đặc khu", ...), folded search name,
    parent and path are set from the package. Idempotent: a second run creates nothing and
    counts every locality unchanged; a renamed locality is updated in place, so its id, its
    villages and the items filed there stay. A locality that disappeared from the package is
    left alone (items refer to it). The ``remote`` and ``ethnic_minority_area`` flags are
    administrators' data and never touched.

    Bulk: one query loads the existing localities, new rows are inserted in batches; no query
    per row. Raises ``UnknownProvince`` for an unknown code and ``CodeConflict`` when a code of
    the package already belongs to a village; nothing is written then.
    """
    provinces, wards = _source(province_code)
    counts = ImportCounts()
    existing = localities_by_code(
        [_code(p.code, PROVINCE_CODE_DIGITS) for p in provinces] + [_code(w.code, COMMUNE_CODE_DIGITS) for w in wards]
    )
    for loc in existing.values():
        if loc.level == LocalityLevel.VILLAGE:
            raise CodeConflict(_("Mã %(code)s đã được dùng cho thôn %(name)s.", code=loc.code, name=loc.name))

    try:
        _write(provinces, wards, existing, counts, progress)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return counts


def _write(provinces: list[Province], wards: list[Ward], existing: dict[str, Locality], counts: ImportCounts,
           progress: Progress | None) -> None:
    parents: dict[str, Locality] = {}
    for source in provinces:
        loc, state = _upsert(existing, _code(source.code, PROVINCE_CODE_DIGITS), source.name,
                             source.division_type.value, LocalityLevel.PROVINCE, parent=None)
        parents[loc.code] = loc
        counts.of(LocalityLevel.PROVINCE).add(state)
    db.session.flush()  # ids of new provinces: their paths and their communes need them
    for province in parents.values():
        _set_path(province, None)
    if progress is not None:
        progress(len(provinces))

    communes: list[tuple[Locality, Locality, State]] = []
    for ward in wards:
        parent = parents[_code(ward.province_code, PROVINCE_CODE_DIGITS)]
        loc, state = _upsert(existing, _code(ward.code, COMMUNE_CODE_DIGITS), ward.name,
                             ward.division_type.value, LocalityLevel.COMMUNE, parent=parent)
        communes.append((loc, parent, state))
    db.session.flush()  # one batched INSERT for the new communes
    for done, (loc, parent, state) in enumerate(communes, start=1):
        if _set_path(loc, parent) and state == "unchanged":
            state = "updated"  # moved to another province
        counts.of(LocalityLevel.COMMUNE).add(state)
        if progress is not None and (done % PROGRESS_STEP == 0 or done == len(communes)):
            progress(done % PROGRESS_STEP or PROGRESS_STEP)


def _source(code: str | None) -> tuple[list[Province], list[Ward]]:
    if code is None:
        provinces = sorted(_source_provinces_by_code().values(), key=lambda p: int(p.code))
    else:
        provinces = [_source_provinces_by_code()[normalize_province_code(code)]]
    codes = {int(p.code) for p in provinces}
    wards = sorted((w for w in Ward.iter_all() if int(w.province_code) in codes), key=lambda w: int(w.code))
    return provinces, wards


def _source_provinces_by_code() -> dict[str, Province]:
    return {_code(p.code, PROVINCE_CODE_DIGITS): p for p in Province.iter_all()}


def _code(value: int, digits: int) -> str:
    """The package's codes are int enums (ProvinceCode.P_22 == 22); the NSO writes them padded."""
    return f"{int(value):0{digits}d}"


def _upsert(existing: dict[str, Locality], code: str, name: str, kind: str, level: LocalityLevel,
            parent: Locality | None) -> tuple[Locality, State]:
    """Find or add the locality ``code``; return it and "created", "updated" or "unchanged"."""
    # parent_id, not parent: comparing relationships would lazy-load one row per locality
    values: dict[str, object] = {"name": name, "kind": kind, "level": level, "search_name": fold(name),
              "parent_id": parent.id if parent is not None else None}
    loc = existing.get(code)
    if loc is None:
        loc = Locality(code=code, path="", **values)
        db.session.add(loc)
        existing[code] = loc
        return loc, "created"
    changed = assign_changed(loc, values)
    return loc, "updated" if changed else "unchanged"


def assign_changed(obj: object, values: Mapping[str, object]) -> bool:
    """Set the attributes of ``obj`` that differ from ``values``; tell whether any did.

    Unchanged rows are left clean, so that a re-import issues no UPDATE for them.
    """
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _set_path(loc: Locality, parent: Locality | None) -> bool:
    """Set ``loc.path`` from its parent's; when it moved, move its descendants' paths too.

    Returns whether the path changed. The descendants are rewritten by one UPDATE on the path
    prefix, since a subtree query is a prefix query (models.directory.Locality).
    """
    path = child_path(parent.path if parent is not None else None, loc.id)
    old = loc.path
    if old == path:
        return False
    loc.path = path
    if old:
        db.session.execute(
            update(Locality)
            .where(Locality.path.startswith(old, autoescape=True), Locality.id != loc.id)
            .values(path=literal(path) + func.substr(Locality.path, len(old) + 1)),
            execution_options={"synchronize_session": False},
        )
    return True


def localities_by_code(codes: Iterable[str]) -> dict[str, Locality]:
    """The localities whose code is in ``codes``, by code (one query)."""
    wanted = set(codes)
    if not wanted:
        return {}
    return {loc.code: loc for loc in db.session.scalars(select(Locality).where(Locality.code.in_(wanted)))}
