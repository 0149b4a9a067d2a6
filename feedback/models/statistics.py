"""The statistics' stored facts and rollups (DESIGN.md §6, §7).

- ``StatFact``: one row per counted fact, as it was when it happened (unit, place, topic, kind,
  local day; the answer's verdict and time to answer, the rating's verdict). The per-answer
  durations make the median exact; the rows make the drill-down and the live rollups' deltas.
- ``StatDaily``: the figures per (unit, locality, topic, kind, local day): the base rollup.
- ``StatMonthly``: the same per (unit, commune, topic, kind, month): what a whole-month,
  province- or commune-wide question by topic reads;
- ``StatMonthlyUnit``: per (unit, commune, kind, month): the same without topics.
- ``StatMonthlyPlace``: per (unit, locality, kind, month), commune and village riding along:
  what a whole-month question by village, or within a village, reads.
- ``StatDailyUnit``: per (unit, commune, kind, local day): the days around a custom range's
  whole months when neither topic nor village matters.
- The whole tree's rollups, without the commune (``TreeRollup``: a question over the whole tree
  needs no commune, yet ``stat_monthly_unit`` still holds a row per commune a unit served):
  ``StatMonthlyUnitKind``, ``StatDailyUnitKind`` per (unit, kind, month or day): the province's
  and the platform's totals, units, kinds and trend; ``StatMonthlyTopicKind``,
  ``StatDailyTopicKind`` per (topic, kind, …): by topic, and a topic's figures;
  ``StatMonthlyCommuneKind``, ``StatDailyCommuneKind`` per (commune, kind, …): by commune, and
  one commune's totals, kinds and trend; ``StatMonthlyLocalityKind`` per (locality, kind, month),
  commune and village riding along: by village, without units.
- ``StatAnswerHist``: how many answers took each span of durations (a bucket), per unit, per
  commune and in all, per day, ten-day, month, quarter and year: an exact median's first phase
  (``feedback.services.statistics.histogram``).
- ``StatUnitName``: the unit's code and name on its latest fact of each day (labels as they were).
- ``StatMedian``: medians computed ahead for the wide questions (the Front's provinces, the open
  data), each with the ``answer_changes`` stamp of its group when computed: used only while the
  rollups still show that stamp (``feedback.services.statistics.medians``).

All are written by ``feedback.services.statistics`` only, in the transaction of the fact.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger, Boolean, Date, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, SmallInteger, String,
    UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback.domain.status import Kind
from feedback.extensions import Model
from feedback.models.types import NAME, SHORT, UTCDateTime, str_enum

# What the median reads of an answered fact besides its index keys: its duration, its filters
# and its groups.
ANSWER_COLUMNS = ("seconds", "unit_id", "commune_id", "locality_id", "village_id", "topic_id", "kind")
# A rollup row's summed columns: a province-wide read of a period covered by its period index
# alone (PostgreSQL: INCLUDE, index-only scans; 10 to 80 times fewer blocks than the rows' heap).
SUMMED_COLUMNS = ("received", "answered", "answered_on_time", "transfers", "reopened", "ratings", "satisfied",
                  "answer_changes")


class StatFact(Model):
    """One counted fact (measure: received, answered, transfer, rating, reopened)."""

    __tablename__ = "stat_fact"
    __table_args__ = (
        UniqueConstraint("measure", "feedback_id", "ref", name="uq_stat_fact"),
        # The median and the drill-down: one unit's facts of a period; everyone's of a period (by
        # item within a day: the drill-down's first item, one probe a day).
        Index("ix_stat_fact_unit_day", "measure", "unit_id", "day"),
        Index("ix_stat_fact_commune_day", "measure", "commune_id", "day"),
        # The drill-down by village: one village's facts of a period (0037).
        Index("ix_stat_fact_village_day", "measure", "village_id", "day"),
        Index("ix_stat_fact_day", "measure", "day", "feedback_id"),
        # The median's answers read from the index alone (PostgreSQL: INCLUDE, index-only scans):
        # one unit's, one commune's, one topic's (0035), everyone's of a period.
        *(Index(f"ix_stat_fact_answered_{name}", *columns, postgresql_include=[c for c in ANSWER_COLUMNS if c not in columns],
                postgresql_where=text("measure = 'answered'"), sqlite_where=text("measure = 'answered'"))
          for name, columns in (("unit", ("unit_id", "day")), ("commune", ("commune_id", "day")),
                                ("topic", ("topic_id", "day")), ("day", ("day",)))),
        # An exact median's second phase: the answers of one bucket (``answer_bucket``, a SQL
        # function of migration 0025: PostgreSQL only) of one unit's, one commune's, everyone's,
        # one topic's (0035).
        *(Index(f"ix_stat_fact_bucket_{name}", *columns, text("answer_bucket(seconds)"), "day",
                postgresql_include=["seconds"], postgresql_where=text("measure = 'answered'"))
          for name, columns in (("unit", ("unit_id",)), ("commune", ("commune_id",)), ("all", ()),
                                ("topic", ("topic_id",)))),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    measure: Mapped[str] = mapped_column(String(16))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    ref: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(Integer)
    locality_id: Mapped[int] = mapped_column(Integer)
    commune_id: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[int | None] = mapped_column(Integer)
    topic_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date] = mapped_column(Date)
    on_time: Mapped[bool] = mapped_column(Boolean, default=False)
    seconds: Mapped[int | None] = mapped_column(Integer)
    satisfied: Mapped[bool] = mapped_column(Boolean, default=False)


class _Counts:
    """The counted figures of a rollup row (rates, medians and overdue are derived elsewhere)."""

    received: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answered_on_time: Mapped[int] = mapped_column(Integer, default=0)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    # Not a figure: how many times an answered fact entered or left the row (+1 each, never
    # less). A rollup row is kept while it is not zero, so the sum over a question's rows only
    # grows, and is unchanged exactly when the answers (the median's input) are unchanged.
    answer_changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class StatDaily(_Counts, Model):
    """Figures per (unit, locality, topic, kind, local day); commune and village ride along for
    the filters."""

    __tablename__ = "stat_daily"
    __table_args__ = (
        Index("ix_stat_daily_day", "day"),
        Index("ix_stat_daily_unit_day", "unit_id", "day"),
        Index("ix_stat_daily_commune_day", "commune_id", "day"),
        Index("ix_stat_daily_village_day", "village_id", "day"),
        Index("ix_stat_daily_topic_day", "topic_id", "day"),
    )

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    locality_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    commune_id: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[int | None] = mapped_column(Integer)


class StatMonthly(_Counts, Model):
    """Figures per (unit, commune, topic, kind, month); ``month`` is its first day."""

    __tablename__ = "stat_monthly"
    __table_args__ = (
        Index("ix_stat_monthly_month", "month",
              postgresql_include=["unit_id", "commune_id", "topic_id", "kind", *SUMMED_COLUMNS]),
        Index("ix_stat_monthly_unit_month", "unit_id", "month"),
        Index("ix_stat_monthly_commune_month", "commune_id", "month"),
        Index("ix_stat_monthly_topic_month", "topic_id", "month",
              postgresql_include=["unit_id", "commune_id", "kind", *SUMMED_COLUMNS]),
    )

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class StatMonthlyUnit(_Counts, Model):
    """Figures per (unit, commune, kind, month), all topics together: the smallest rollup, read
    when a question neither groups nor filters by topic."""

    __tablename__ = "stat_monthly_unit"
    __table_args__ = (  # "smu": stat_monthly already has an ix_stat_monthly_unit_month
        Index("ix_smu_month", "month", postgresql_include=["unit_id", "commune_id", "kind", *SUMMED_COLUMNS]),
        Index("ix_smu_unit_month", "unit_id", "month"),
        Index("ix_smu_commune_month", "commune_id", "month"),
    )

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class StatMonthlyPlace(_Counts, Model):
    """Figures per (unit, locality, kind, month), all topics together; commune and village ride
    along for the filters and the village grouping: a commune-year by village reads a few
    thousand of these where ``stat_daily`` holds tens of thousands of rows."""

    __tablename__ = "stat_monthly_place"
    __table_args__ = (  # "smp": like "smu"
        Index("ix_smp_commune_month", "commune_id", "month",
              postgresql_include=["unit_id", "locality_id", "village_id", "kind", *SUMMED_COLUMNS]),
        Index("ix_smp_locality_month", "locality_id", "month"),
    )

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    locality_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    commune_id: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[int | None] = mapped_column(Integer)


class StatDailyUnit(_Counts, Model):
    """Figures per (unit, commune, kind, local day), all topics and villages together: the days
    of a custom range's partial months when neither topic nor village matters (a province-day is
    a few hundred of these against a few thousand ``stat_daily`` rows)."""

    __tablename__ = "stat_daily_unit"
    __table_args__ = (  # "sdu": like "smu"
        Index("ix_sdu_day", "day", postgresql_include=["unit_id", "commune_id", "kind", *SUMMED_COLUMNS]),
        Index("ix_sdu_unit_day", "unit_id", "day"),
        Index("ix_sdu_commune_day", "commune_id", "day"),
    )

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


def _tree_key(table: str, period: str, *key: str, riding: tuple[str, ...] = ()) -> PrimaryKeyConstraint:
    """A whole-tree rollup's primary key: led by the period, the columns riding along and the
    summed ones included (PostgreSQL: a range of months or days is read from this one index
    alone, index-only; the writer's upsert names the same columns, in its own order)."""
    return PrimaryKeyConstraint(period, *key, name=f"pk_{table}", postgresql_include=[*riding, *SUMMED_COLUMNS])


class StatMonthlyUnitKind(_Counts, Model):
    """Figures per (unit, kind, month), every commune and topic together: a question over the
    whole tree by unit or by kind, its totals and its trend (a few hundred rows a month where
    ``stat_monthly_unit`` keeps one per commune a unit served too)."""

    __tablename__ = "stat_monthly_unit_kind"
    __table_args__ = (_tree_key(__tablename__, "month", "unit_id", "kind"),)

    unit_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    month: Mapped[date] = mapped_column(Date)


class StatDailyUnitKind(_Counts, Model):
    """Figures per (unit, kind, local day): the days around the whole months of those questions."""

    __tablename__ = "stat_daily_unit_kind"
    __table_args__ = (_tree_key(__tablename__, "day", "unit_id", "kind"),)

    unit_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    day: Mapped[date] = mapped_column(Date)


class StatMonthlyTopicKind(_Counts, Model):
    """Figures per (topic, kind, month), every unit and place together: by topic, and any
    question of a topic over the whole tree that does not ask for units or places."""

    __tablename__ = "stat_monthly_topic_kind"
    __table_args__ = (_tree_key(__tablename__, "month", "topic_id", "kind"),)

    topic_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    month: Mapped[date] = mapped_column(Date)


class StatDailyTopicKind(_Counts, Model):
    """Figures per (topic, kind, local day): the days around their whole months (``stat_daily``
    keeps a row per village and unit too)."""

    __tablename__ = "stat_daily_topic_kind"
    __table_args__ = (_tree_key(__tablename__, "day", "topic_id", "kind"),)

    topic_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    day: Mapped[date] = mapped_column(Date)


class StatMonthlyCommuneKind(_Counts, Model):
    """Figures per (commune, kind, month), every unit and topic together: the province by
    commune, and a commune's own totals, kinds and trend."""

    __tablename__ = "stat_monthly_commune_kind"
    __table_args__ = (_tree_key(__tablename__, "month", "commune_id", "kind"),)

    commune_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    month: Mapped[date] = mapped_column(Date)


class StatDailyCommuneKind(_Counts, Model):
    """Figures per (commune, kind, local day): the days around their whole months."""

    __tablename__ = "stat_daily_commune_kind"
    __table_args__ = (_tree_key(__tablename__, "day", "commune_id", "kind"),)

    commune_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    day: Mapped[date] = mapped_column(Date)


class StatMonthlyLocalityKind(_Counts, Model):
    """Figures per (locality, kind, month), every unit and topic together; commune and village
    ride along: by village without units (the province's villages, a commune's)."""

    __tablename__ = "stat_monthly_locality_kind"
    __table_args__ = (
        _tree_key(__tablename__, "month", "locality_id", "kind", riding=("commune_id", "village_id")),
        # "smlk": a commune's villages (its rows only, not the province's month).
        Index("ix_smlk_commune_month", "commune_id", "month",
              postgresql_include=["locality_id", "village_id", "kind", *SUMMED_COLUMNS]),
    )

    locality_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    month: Mapped[date] = mapped_column(Date)
    commune_id: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[int | None] = mapped_column(Integer)


class StatAnswerHist(Model):
    """How many answers (``answers``) of ``span`` took a duration of ``bucket``
    (``feedback.domain.median_buckets``: spans and buckets), per unit (``dimension`` "unit",
    ``group_id`` the unit), per commune ("commune"), per topic ("topic") and in all
    ("all", 0). Each answer counts in
    the five spans of its day; rows at 0 go. Kept by the one writer with the rollups."""

    __tablename__ = "stat_answer_hist"
    __table_args__ = (
        # The first phase reads a question's spans of one dimension: one index range per span,
        # the counts in the index (PostgreSQL: INCLUDE, index-only scans).
        PrimaryKeyConstraint("dimension", "span", "group_id", "bucket", name="pk_stat_answer_hist",
                             postgresql_include=["answers"]),
    )

    dimension: Mapped[str] = mapped_column(String(8))
    span: Mapped[str] = mapped_column(String(12))
    group_id: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[int] = mapped_column(SmallInteger)
    answers: Mapped[int] = mapped_column(Integer)


class StatUnitName(Model):
    """The unit's code and name on its latest fact of ``day`` (``at``): a table's label is the
    name on the unit's latest day within the period."""

    __tablename__ = "stat_unit_name"
    # The drill-down by unit finds the units that acted under a code (``queries._group_condition``).
    __table_args__ = (Index("ix_stat_unit_name_code", "code"),)

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    code: Mapped[str] = mapped_column(SHORT)
    name: Mapped[str] = mapped_column(NAME)


class StatMedian(Model):
    """The median time to answer of one group of one question, as computed when the group's
    rollup rows summed ``stamp`` answer changes. ``scope_key`` names the question's filters
    (``medians.scope_key``), ``grouping`` its grouping ("" for the totals), ``group_key`` the
    group ("" for the totals); ``seconds`` is None when the group has no answer left."""

    __tablename__ = "stat_median"

    scope_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    end: Mapped[date] = mapped_column(Date, primary_key=True)
    grouping: Mapped[str] = mapped_column(String(16), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)
    seconds: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
