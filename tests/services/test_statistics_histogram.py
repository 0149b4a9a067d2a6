"""The exact medians read through the answers' histogram (``stat_answer_hist``,
``statistics.histogram``; issue #9 item 7): hand-counted odd and even counts, a middle value
exactly on a bucket's edge and two middle values in two buckets, kept by the writer's deltas
(an answer in, out); equal to ``percentile_cont`` for random answers and random ranges; and the
questions it answers (the others keep ``percentile_cont``). PostgreSQL only, as the histogram's
reads are (SQLite keeps the simple path: tests/services/test_statistics_sqlite.py)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.median_buckets import EDGES, bucket_of
from feedback.domain.statistics import Period
from feedback.domain.status import Kind
from feedback.extensions import db
from feedback.models import StatAnswerHist, StatFact
from feedback.services import statistics
from feedback.services.statistics import Scope
from feedback.services.statistics.histogram import histogram_medians, windowed_medians
from feedback.services.statistics.queries import HistogramQuestion, filters_of, histogram_question
from feedback.services.statistics.rollups import apply_deltas
from tests.factories import make_directory
from tests.services.test_statistics_medians import NOW, World

E = EDGES[100]  # a bucket's lower edge (826,837 s, about 9.6 days): E counts in bucket 101, E - 1 in 100
FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28))


def _answer(world: World, unit_id: int, locality_id: int, day: date, seconds: int) -> None:
    row = world.row(unit_id=unit_id, locality_id=locality_id, day=day, seconds=seconds)
    db.session.execute(sa.insert(StatFact), [row])
    apply_deltas(db.session(), [(1, row)])
    db.session.flush()


def _medians_days(group: statistics.Grouping, scope: Scope = Scope()) -> dict[str, float | None]:
    rows = statistics.figures(db.session(), period=FEBRUARY, group=group, scope=scope, now=NOW)
    return {r.key: r.median_days_to_answer for r in rows}


def test_answer_bucket_in_sql_is_bucket_of(db_session: Session) -> None:
    values = sorted({0, 1, 59} | {e + delta for e in EDGES for delta in (-1, 0, 1)})
    found = dict(db.session.execute(sa.text("SELECT v, answer_bucket(v) FROM unnest(CAST(:values AS integer[])) v"),
                                    {"values": values}).all())
    assert found == {v: bucket_of(v) for v in values}


def test_hand_counted_medians_odd_even_and_on_a_bucket_edge(db_session: Session) -> None:
    d = make_directory()
    world = World(d, random.Random(0))
    ha_tu, van_don = d.ubnd_ha_tu.id, d.ubnd_van_don.id
    # Hà Tu, odd: 100, E - 1, E, E + 7, 2E in February: the middle one is E, exactly on an edge
    # (its neighbour below, E - 1, is in the bucket under it). An answer of 1 s on 31/1, and
    # one on 1/3, are outside the range.
    for day, seconds in ((date(2026, 2, 1), 100), (date(2026, 2, 10), E - 1), (date(2026, 2, 11), E),
                         (date(2026, 2, 20), E + 7), (date(2026, 2, 28), 2 * E), (date(2026, 1, 31), 1),
                         (date(2026, 3, 1), 1)):
        _answer(world, ha_tu, d.ha_tu.id, day, seconds)
    # Vân Đồn, even: 50, E - 1, E, 4E: the two middle values E - 1 and E lie in two buckets.
    for day, seconds in ((date(2026, 2, 3), E), (date(2026, 2, 14), 50), (date(2026, 2, 21), 4 * E),
                         (date(2026, 2, 27), E - 1)):
        _answer(world, van_don, d.van_don.id, day, seconds)

    first, last = FEBRUARY.start, FEBRUARY.end
    assert histogram_medians(db.session(), first, last, "unit") == {ha_tu: E, van_don: E - 0.5}
    assert histogram_medians(db.session(), first, last, "commune") == {d.ha_tu.id: E, d.van_don.id: E - 0.5}
    # All nine: 50, 100, E - 1, E - 1, E, E, E + 7, 2E, 4E: the fifth.
    assert histogram_medians(db.session(), first, last, "all") == {0: E}
    assert histogram_medians(db.session(), first, last, "unit", only=[van_don]) == {van_don: E - 0.5}
    # One day alone; the 31st of January alone (the 1 s answer).
    assert histogram_medians(db.session(), date(2026, 2, 11), date(2026, 2, 11), "unit") == {ha_tu: E}
    assert histogram_medians(db.session(), date(2026, 1, 31), date(2026, 1, 31), "all") == {0: 1}
    # The pages show them (through the histogram: the question is the whole tree's, by unit).
    assert _medians_days("unit") == {d.ubnd_ha_tu.code: E / 86400, d.ubnd_van_don.code: (E - 0.5) / 86400}

    # An answer out (the writer's delta -1): Vân Đồn's 4E goes, its median is now E - 1, and
    # the histogram keeps no row at 0.
    fact = db.session.scalars(sa.select(StatFact).where(StatFact.unit_id == van_don,
                                                        StatFact.seconds == 4 * E)).one()
    world.remove(fact)
    assert histogram_medians(db.session(), first, last, "unit") == {ha_tu: E, van_don: E - 1}
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(StatAnswerHist)
                                 .where(StatAnswerHist.answers <= 0))


def _percentile_cont(first: date, last: date, column: str) -> dict[int, float]:
    return {group: float(value) for group, value in db.session.execute(sa.text(
        f"SELECT {column}, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM stat_fact "
        "WHERE measure = 'answered' AND day >= :first AND day <= :last GROUP BY 1"), {"first": first, "last": last})}


@pytest.mark.parametrize("seed", [4, 5])
def test_medians_equal_percentile_cont_for_random_ranges(db_session: Session, seed: int) -> None:
    d = make_directory()
    world = World(d, random.Random(seed))
    rng = world.rng
    _random_answers(world, 400)
    for _ in range(40):
        first = date(2025, 10, 1) + timedelta(days=rng.randrange(420))
        last = first + timedelta(days=rng.randrange(1, 400))
        for dimension, column in (("unit", "unit_id"), ("commune", "commune_id"), ("all", "0"),
                                  ("topic", "topic_id")):
            assert histogram_medians(db.session(), first, last, dimension) == _percentile_cont(first, last, column), \
                (first, last, dimension)


def _random_answers(world: World, count: int) -> None:
    """``count`` answered facts in the rollups and the histogram: durations from a second to a
    month, a third of them on a bucket's edge or next to it."""
    rng = world.rng
    rows: list[dict[str, Any]] = []
    for _ in range(count):
        edge = rng.choice(EDGES[:160])
        seconds = rng.choice([edge - 1, edge, edge + 1]) if rng.random() < 0.33 else rng.randrange(1, 2_600_000)
        rows.append(world.row(seconds=seconds))
    db.session.execute(sa.insert(StatFact), rows)
    apply_deltas(db.session(), [(1, r) for r in rows])
    db.session.flush()


def _percentile_cont_of(first: date, last: date, column: str, groups: list[int]) -> float | None:
    value = db.session.scalar(sa.text(
        f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM stat_fact WHERE measure = 'answered' "
        f"AND day >= :first AND day <= :last AND {column} = ANY(:groups)"), {"first": first, "last": last,
                                                                           "groups": groups})
    return float(value) if value is not None else None


@pytest.mark.parametrize("seed", [6, 7])
def test_summed_groups_and_months_equal_percentile_cont(db_session: Session, seed: int) -> None:
    """Groups summed from several of a dimension's (a topic area, some communes), and one
    window per month of a range (a trend), read in one statement, each equal to
    ``percentile_cont`` over the same answers."""
    d = make_directory()
    world = World(d, random.Random(seed))
    rng = world.rng
    _random_answers(world, 400)
    ids = {"unit": world.units, "commune": [d.ha_tu.id, d.van_don.id, d.province.id], "topic": world.topics}
    for _ in range(25):
        first = date(2025, 10, 1) + timedelta(days=rng.randrange(420))
        last = first + timedelta(days=rng.randrange(1, 120))
        dimension = rng.choice(sorted(ids))
        members = {out: frozenset(rng.sample(ids[dimension], rng.randrange(1, len(ids[dimension]) + 1)))
                   for out in range(3)}
        months = Period(first, last).months()
        windows = {m: (max(first, start), min(last, (start.replace(day=28) + timedelta(days=4)).replace(day=1)
                                               - timedelta(days=1)))
                   for m in months if (start := date.fromisoformat(m + "-01"))}
        windows["whole"] = (first, last)
        found = windowed_medians(db.session(), dimension, windows, members)
        want = {(key, out): value for key, (low, high) in windows.items() for out, groups in members.items()
                if (value := _percentile_cont_of(low, high, f"{dimension}_id", sorted(groups))) is not None}
        assert found == want, (first, last, dimension, members)
    assert windowed_medians(db.session(), "topic", {"empty": (date(2026, 3, 2), date(2026, 3, 1))}) == {}
    assert windowed_medians(db.session(), "topic", {0: (date(2025, 1, 1), date(2027, 1, 1))}, {0: frozenset()}) == {}


def test_the_questions_the_histogram_answers(db_session: Session) -> None:
    d = make_directory()
    session = db.session()

    def asked(group: statistics.Grouping | None, scope: Scope) -> HistogramQuestion | None:
        return histogram_question(session, group, filters_of(session, scope))

    whole = Scope(territory_id=d.province.id)  # the tree's only root: every commune
    for scope in (Scope(), whole):
        for group in ("unit", "commune", "topic"):
            assert asked(group, scope) == HistogramQuestion(group)
        assert asked(None, scope) == asked("month", scope) == HistogramQuestion("all")
    unit = d.ubnd_ha_tu.id
    assert asked(None, Scope(unit_id=unit)) == asked("month", Scope(unit_id=unit)) == HistogramQuestion(
        "unit", {0: frozenset({unit})})
    assert asked("unit", Scope(territory_id=d.province.id, unit_id=unit)) == HistogramQuestion(
        "unit", {unit: frozenset({unit})})
    # One commune's part of the tree: its totals and months summed, its own row by commune.
    ha_tu = Scope(territory_id=d.ha_tu.id)
    assert asked(None, ha_tu) == asked("month", ha_tu) == HistogramQuestion("commune", {0: frozenset({d.ha_tu.id})})
    assert asked("commune", ha_tu) == HistogramQuestion("commune", {d.ha_tu.id: frozenset({d.ha_tu.id})})
    # A topic area: its topics summed; by topic, each of them.
    area = Scope(territory_id=d.province.id, topic_id=d.environment.id)
    topics = frozenset({d.environment.id, d.waste.id})
    assert asked(None, area) == asked("month", area) == HistogramQuestion("topic", {0: topics})
    assert asked("topic", area) == HistogramQuestion("topic", {t: frozenset({t}) for t in topics})
    # Not kept: kinds, villages, two dimensions (a group and a filter of another, two filters).
    assert asked("kind", whole) is None and asked("village", whole) is None
    for scope in (Scope(kind=Kind.REPORT), Scope(territory_id=d.province.id, locality_id=d.village.id)):
        assert asked("unit", scope) is None and asked(None, scope) is None and asked("month", scope) is None
    for group in ("unit", "village", "topic"):
        assert asked(group, ha_tu) is None
    for group in ("unit", "commune", "village"):
        assert asked(group, area) is None
    assert asked("commune", Scope(unit_id=unit)) is None
    assert asked(None, Scope(territory_id=d.ha_tu.id, topic_id=d.environment.id)) is None
