"""The statutory periods, as data (DESIGN.md §5).

This module changes when the law changes: it says how many days, of which type, on what legal
basis. Day arithmetic lives in `calendar.py`; clocks and due dates in `deadlines.py`.
`legal_basis` strings are Vietnamese data stored with each deadline, shown as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

from feedback.domain.status import Kind


class DayType(StrEnum):
    """How the days of a period are counted."""

    CALENDAR = "calendar"  # "N ngày": every day counts, last day rolled (BLDS 2015 Art. 147–148)
    WORKING = "working"  # "N ngày làm việc": weekends and days off are skipped


@dataclass(frozen=True)
class Period:
    """A legal period: `days` days of `day_type`, on `legal_basis` (Vietnamese text).

    Raises ValueError unless days >= 1.
    """

    days: int
    day_type: DayType
    legal_basis: str

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"a period lasts at least one day, not {self.days}")


# The 7-working-day acceptance of complaints applies to items received (local date) on or after
# this day (NĐ 124/2020 Art. 16 as amended by NĐ 155/2026). Before it, the "10 ngày" of Luật
# Khiếu nại 2011 Art. 27 and Art. 36 were working days: TT 07/2013/TT-TTCP Art. 5(1), in force
# until NĐ 155/2026 replaced it, counted them as "10 ngày làm việc".
COMPLAINT_ACCEPTANCE_REFORM = date(2026, 7, 1)

_AMENDED = "NĐ 124/2020, Điều 16 (sửa đổi bởi NĐ 155/2026)"
_BEFORE_REFORM = "TT 07/2013/TT-TTCP, Điều 5(1)"

# (complaint_round, remote, complex) -> days. Luật Khiếu nại 2011 Art. 28 (first round:
# 30, remote 45, complex 45, remote and complex 60) and Art. 37 (second round: 45, remote 60,
# complex 60, remote and complex 70), all counted from acceptance.
_COMPLAINT_RESOLUTION_DAYS: dict[tuple[int, bool, bool], int] = {
    (1, False, False): 30,
    (1, True, False): 45,
    (1, False, True): 45,
    (1, True, True): 60,
    (2, False, False): 45,
    (2, True, False): 60,
    (2, False, True): 60,
    (2, True, True): 70,
}
_COMPLAINT_ARTICLES = {1: ("Điều 27", "Điều 28"), 2: ("Điều 36", "Điều 37")}

# Luật Tố cáo 2018 Art. 24(1): process (vào sổ, phân loại, xử lý ban đầu) within 7 working days,
# up to 10 when several places must be checked; Art. 24 also gives 5 working days to transfer.
_DENUNCIATION_ACCEPTANCE = Period(7, DayType.WORKING, "Luật Tố cáo 2018, Điều 24")
_DENUNCIATION_ACCEPTANCE_SEVERAL = Period(
    10, DayType.WORKING, "Luật Tố cáo 2018, Điều 24 (xác minh nhiều địa điểm)"
)
# Art. 30(1): resolve within 30 days of acceptance; each extension at most 30 days.
_DENUNCIATION_RESOLUTION = Period(30, DayType.CALENDAR, "Luật Tố cáo 2018, Điều 30")
_DENUNCIATION_EXTENSION = Period(30, DayType.CALENDAR, "Luật Tố cáo 2018, Điều 30 (gia hạn)")
_DENUNCIATION_MAX_EXTENSIONS = {"complex": 1, "especially_complex": 2}

_TRANSFER = Period(5, DayType.WORKING, "Luật Tố cáo 2018, Điều 24; Luật Tiếp công dân 2013")

# Clocks opened by handling actions. Luật Tố cáo 2018 Art. 29(3): the denouncer is notified of
# the acceptance within 5 working days of the decision to accept. Luật Khiếu nại 2011 Art. 32:
# the first-round decision is sent to the complainant within 3 working days of being issued.
_DENUNCIATION_ACCEPTANCE_NOTICE = Period(5, DayType.WORKING, "Luật Tố cáo 2018, Điều 29(3)")
_COMPLAINT_DECISION_NOTICE = Period(3, DayType.WORKING, "Luật Khiếu nại 2011, Điều 32")

# Phản ánh, kiến nghị, góp ý: reply or notify within 10 working days (Luật Tiếp công dân 2013
# Art. 28); resolution and its one extension are set by the local quy chế, per topic.
_INFORMAL_ACCEPTANCE = Period(10, DayType.WORKING, "Luật Tiếp công dân 2013, Điều 28")
DEFAULT_TOPIC_RESOLUTION = Period(
    15, DayType.WORKING, "Quy chế địa phương (mặc định 15 ngày làm việc)"
)
DEFAULT_TOPIC_EXTENSION = Period(
    15, DayType.WORKING, "Quy chế địa phương (gia hạn một lần, mặc định 15 ngày làm việc)"
)

# Luật Thực hiện dân chủ ở cơ sở 2022 Art. 40(1)(c): the commune answers a BTTND kiến nghị
# within 15 days. Luật MTTQ Art. 28–30 set no number for kiến nghị sau giám sát.
_BTTND_ANSWER = Period(15, DayType.CALENDAR, "Luật Thực hiện dân chủ ở cơ sở 2022, Điều 40(1)(c)")
DEFAULT_FRONT_ANSWER_DAYS = 30


def _check_round(complaint_round: int) -> None:
    # Luật Khiếu nại 2011 has two administrative rounds; after the second, only a lawsuit.
    if complaint_round not in (1, 2):
        raise ValueError(f"complaint round must be 1 or 2, not {complaint_round}")


def acceptance_period(
    kind: Kind, received_on: date, *, complaint_round: int = 1, several_places: bool = False
) -> Period:
    """The first-step period (thụ lý / xử lý ban đầu / trả lời) for an item received on the local
    date `received_on`.

    Complaints received before COMPLAINT_ACCEPTANCE_REFORM get the old 10 working days, on or
    after it 7 working days, in both rounds. `several_places` only matters for tố cáo.
    Raises ValueError for a complaint round other than 1 or 2.
    """
    _check_round(complaint_round)
    if kind is Kind.COMPLAINT:
        article = _COMPLAINT_ARTICLES[complaint_round][0]
        if received_on < COMPLAINT_ACCEPTANCE_REFORM:
            return Period(10, DayType.WORKING, f"Luật Khiếu nại 2011, {article}; {_BEFORE_REFORM}")
        return Period(7, DayType.WORKING, f"Luật Khiếu nại 2011, {article}; {_AMENDED}")
    if kind is Kind.DENUNCIATION:
        return _DENUNCIATION_ACCEPTANCE_SEVERAL if several_places else _DENUNCIATION_ACCEPTANCE
    return _INFORMAL_ACCEPTANCE


def resolution_period(
    kind: Kind,
    *,
    remote: bool = False,
    complex: bool = False,
    complaint_round: int = 1,
    topic_resolution: Period | None = None,
) -> Period:
    """The resolution period (giải quyết / xử lý) of an item.

    Complaints: Luật Khiếu nại 2011 Art. 28 / 37 by round, remote area and complexity.
    Tố cáo: 30 days whatever the area; complexity is handled by extensions (`extension_period`).
    Comment, report, petition: `topic_resolution` when configured, else 15 working days; `remote`
    and `complex` do not apply (the topic configuration already says how long).
    Raises ValueError for a complaint round other than 1 or 2.
    """
    _check_round(complaint_round)
    if kind is Kind.COMPLAINT:
        days = _COMPLAINT_RESOLUTION_DAYS[(complaint_round, remote, complex)]
        qualifiers = [q for q, on in (("vùng sâu, vùng xa", remote), ("phức tạp", complex)) if on]
        suffix = f" ({'; '.join(qualifiers)})" if qualifiers else ""
        article = _COMPLAINT_ARTICLES[complaint_round][1]
        return Period(days, DayType.CALENDAR, f"Luật Khiếu nại 2011, {article}{suffix}")
    if kind is Kind.DENUNCIATION:
        return _DENUNCIATION_RESOLUTION
    return topic_resolution if topic_resolution is not None else DEFAULT_TOPIC_RESOLUTION


def transfer_period() -> Period:
    """5 working days to transfer an item to the competent unit (Luật Tố cáo 2018 Art. 24)."""
    return _TRANSFER


def acceptance_notice_period(kind: Kind) -> Period:
    """5 working days to notify the denouncer that the tố cáo was accepted (Art. 29(3)).

    Counted from the decision to accept. Only tố cáo has this separate clock: a complaint's
    acceptance notice is part of the acceptance step itself (Luật Khiếu nại 2011 Art. 27).
    Raises ValueError for any other kind.
    """
    if kind is not Kind.DENUNCIATION:
        raise ValueError(f"only a tố cáo has an acceptance-notice clock, not {kind}")
    return _DENUNCIATION_ACCEPTANCE_NOTICE


def decision_notice_period(kind: Kind, *, complaint_round: int = 1) -> Period:
    """3 working days to send a first-round complaint decision to the complainant (Art. 32).

    Counted from the day the decision is issued. Raises ValueError for a kind other than
    complaint, and for the second round, whose sending rule (Luật Khiếu nại 2011 Art. 41) is not
    in this table yet: answering with the first-round number would be a guess.
    """
    if kind is not Kind.COMPLAINT:
        raise ValueError(f"only a complaint decision has this clock, not {kind}")
    _check_round(complaint_round)
    if complaint_round != 1:
        raise ValueError("the second-round decision notice (Điều 41) is not modelled")
    return _COMPLAINT_DECISION_NOTICE


SupervisionSource = Literal["bttnd", "front"]
SUPERVISION_SOURCES: tuple[SupervisionSource, ...] = ("bttnd", "front")


class UnknownSupervisionSource(ValueError):
    """Raised for a supervision source that is neither "bttnd" nor "front" (any letter case).

    A misspelt source must not silently get another body's period; `source` is what was given.
    """

    def __init__(self, source: object) -> None:
        super().__init__(
            f"unknown supervision source {source!r}; expected one of {SUPERVISION_SOURCES}"
        )
        self.source = source


def supervision_source(source: str) -> SupervisionSource:
    """`source` normalised (surrounding blanks and letter case ignored): "bttnd" or "front".

    Raises UnknownSupervisionSource for anything else, including a non-string.
    """
    normalised = source.strip().casefold() if isinstance(source, str) else source
    if normalised == "bttnd":
        return "bttnd"
    if normalised == "front":
        return "front"
    raise UnknownSupervisionSource(source)


def supervision_period(source: str, configured_days: int | None = None) -> Period:
    """The period a unit has to answer a supervision recommendation.

    `source` is read by `supervision_source` ("BTTND" means "bttnd"); any other value raises
    UnknownSupervisionSource, never falls back to the Front's period.
    "bttnd": 15 days, fixed by Luật 10/2022 Art. 40(1)(c); passing `configured_days` raises
    ValueError, since a statutory period is not configurable. "front": kiến nghị sau giám sát of
    the Front, `configured_days` calendar days (default 30; the law sets no number). Raises
    ValueError for a configured value below 1.
    """
    if supervision_source(source) == "bttnd":
        if configured_days is not None:
            raise ValueError("the BTTND answer period is statutory (15 days), not configurable")
        return _BTTND_ANSWER
    days = DEFAULT_FRONT_ANSWER_DAYS if configured_days is None else configured_days
    basis = "Luật MTTQ Việt Nam 2015, Điều 28–30; " + (
        "quy chế (mặc định 30 ngày)" if configured_days is None else "quy chế"
    )
    return Period(days, DayType.CALENDAR, basis)


class RefusalCode(StrEnum):
    """Why an extension was refused; stable codes for the UI to translate."""

    REASON_REQUIRED = "reason_required"  # every extension is a decision with its reason
    COMPLEXITY_REQUIRED = "complexity_required"  # tố cáo extends only when complex
    LIMIT_REACHED = "limit_reached"  # no more extensions allowed for this kind
    USE_COMPLEX_PERIOD = "use_complex_period"  # complaints: reclassify as complex instead


class ExtensionRefused(Exception):
    """Raised when the law does not allow the requested extension; `code` says why."""

    def __init__(self, code: RefusalCode, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else str(code))
        self.code = code
        self.detail = detail


def may_extend_again(kind: Kind, extensions_granted: int,
                     complexity: Literal["complex", "especially_complex"] | None = None) -> bool:
    """Whether the law leaves room for one more extension of a resolution clock already extended
    ``extensions_granted`` times, so that an officer may ask for it (``extension_period`` decides the
    grant): a comment, report or petition once; a tố cáo once when complex, twice when especially
    complex (``complexity`` None: either); a complaint is reclassified complex once.
    Raises ValueError for a negative ``extensions_granted``."""
    if extensions_granted < 0:
        raise ValueError(f"extensions granted cannot be negative: {extensions_granted}")
    return extensions_granted < _extensions_allowed(kind, complexity)


def _extensions_allowed(kind: Kind, complexity: Literal["complex", "especially_complex"] | None) -> int:
    """How many extensions the law allows: a tố cáo once when complex, twice when especially
    complex (None: the most of either); every other kind once (a complaint's once is its
    reclassification)."""
    if kind is Kind.DENUNCIATION:
        return (_DENUNCIATION_MAX_EXTENSIONS[complexity] if complexity is not None
                else max(_DENUNCIATION_MAX_EXTENSIONS.values()))
    return 1


def extension_period(
    kind: Kind,
    extensions_granted: int,
    *,
    complexity: Literal["complex", "especially_complex"] | None,
    reason: str | None,
    topic_extension: Period | None = None,
) -> Period:
    """The period to add with `extend_term` for one more extension, or ExtensionRefused.

    - Tố cáo (Luật Tố cáo 2018 Art. 30): 30 days, once when complex, twice when especially
      complex; each extension is a decision, so a non-blank `reason` is required.
    - Comment, report, petition: once, with a non-blank reason; `topic_extension` when the topic
      configures one, else 15 working days (local quy chế).
    - Complaints always raise USE_COMPLEX_PERIOD: the law knows no extension, only a longer cap
      for complex cases counted from acceptance (Art. 28 / 37). Adding the difference to a due
      date already rolled past a weekend or Tết would exceed that cap, so the caller re-plans the
      resolution clock as complex from its start (`deadlines.reclassify_complex`).

    Checks run in this order: complaint, limit (and, for tố cáo, complexity), reason.
    Raises ValueError for a negative `extensions_granted`.
    """
    if extensions_granted < 0:
        raise ValueError(f"extensions granted cannot be negative: {extensions_granted}")
    if kind is Kind.COMPLAINT:
        raise ExtensionRefused(
            RefusalCode.USE_COMPLEX_PERIOD, "a complaint is extended by reclassifying it complex"
        )
    if kind is Kind.DENUNCIATION:
        if complexity is None:
            raise ExtensionRefused(RefusalCode.COMPLEXITY_REQUIRED, "tố cáo: only if complex")
        period = _DENUNCIATION_EXTENSION
    else:
        period = topic_extension if topic_extension is not None else DEFAULT_TOPIC_EXTENSION
    allowed = _extensions_allowed(kind, complexity)
    if extensions_granted >= allowed:
        raise ExtensionRefused(
            RefusalCode.LIMIT_REACHED, f"{extensions_granted} of {allowed} already granted"
        )
    if reason is None or not reason.strip():
        raise ExtensionRefused(RefusalCode.REASON_REQUIRED, "an extension needs a reason")
    return period


def check_complex_reclassification(already_complex: bool, reason: str | None) -> None:
    """Check that a complaint may be reclassified complex; raise ExtensionRefused if not.

    Once only (LIMIT_REACHED if it already is complex), and only by a decision with a non-blank
    reason (REASON_REQUIRED).
    """
    if already_complex:
        raise ExtensionRefused(RefusalCode.LIMIT_REACHED, "the complaint is already complex")
    if reason is None or not reason.strip():
        raise ExtensionRefused(RefusalCode.REASON_REQUIRED, "reclassifying needs a reason")

