"""The medians computed ahead (issue #9 item 7) are exact: every median a page shows equals the
median of the answers in scope (percentile_cont's value, checked against a Python median over
the stored facts), whether it came from ``stat_median`` or from the answers, in random worlds,
after answers arrive, leave, change or move, and after a rebuild. A stored median is read only
while its group's stamp is current: a deliberately wrong stored value is shown while nothing
changed (so the fast path is really taken) and never once its group has a new answer."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.domain.statistics import Period, median, trend_period
from feedback.domain.status import Kind, Status
from feedback.extensions import db
from feedback.models import Feedback, StatFact, StatMedian
from feedback.services import statistics
from feedback.services.statistics import Scope
from feedback.services.statistics.facts import places
from feedback.services.statistics.medians import presets, refresh_medians
from feedback.services.statistics.queries import filters_of
from feedback.services.statistics.rollups import apply_deltas
from tests.factories import Directory, make_directory, make_feedback

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # Monday 30/11/2026 10:00 in Hà Nội
TODAY = date(2026, 11, 30)
GROUPS: tuple[statistics.Grouping | None, ...] = (None, "unit", "commune", "village", "topic", "kind", "month")


class World:
    """Answered facts (and a few others) written as the live writer writes them: the fact row
    and its signed delta to the rollups (``apply_deltas``, the one rollup writer)."""

    def __init__(self, d: Directory, rng: random.Random) -> None:
        self.d, self.rng = d, rng
        self.item = make_feedback(d).id
        self.where = places(db.session())
        self.ref = 0
        self.units = [d.environment_dept.id, d.ubnd_ha_tu.id, d.ubnd_van_don.id, d.province_committee.id]
        self.localities = [d.village.id, d.remote_village.id, d.ha_tu.id, d.van_don.id, d.province.id]
        self.topics = [d.environment.id, d.waste.id, d.land.id, d.other.id]

    def row(self, measure: str = "answered", **given: Any) -> dict[str, Any]:
        rng = self.rng
        self.ref += 1
        day = given.pop("day", date(2025, 11, 1) + timedelta(days=rng.randrange(395)))
        locality = given.pop("locality_id", rng.choice(self.localities))
        place = self.where[locality]
        at = datetime(day.year, day.month, day.day, 5, tzinfo=UTC)
        row = {"measure": measure, "feedback_id": self.item, "ref": self.ref, "unit_id": rng.choice(self.units),
               "locality_id": locality, "commune_id": place.commune_id, "village_id": place.village_id,
               "topic_id": rng.choice(self.topics), "kind": rng.choice(list(Kind)), "at": at, "day": day,
               "on_time": rng.random() < 0.5, "satisfied": False,
               # Few distinct durations: ties, and even counts whose median is a half-second.
               "seconds": rng.choice([3600, 7200, 86400, 86401, 3 * 86400, 10 * 86400]) + rng.randrange(3)
               if measure == "answered" else None}
        row.update(given)
        return row

    def add(self, count: int, **given: Any) -> None:
        rows = [self.row(**given) for _ in range(count)]
        rows += [self.row("received") for _ in range(count // 3)]
        db.session.execute(sa.insert(StatFact), rows)
        apply_deltas(db.session(), [(1, r) for r in rows])
        db.session.flush()

    def answers(self) -> list[StatFact]:
        return list(db.session.scalars(sa.select(StatFact).where(StatFact.measure == "answered").order_by(StatFact.id)))

    def remove(self, fact: StatFact) -> None:
        row = {c.key: getattr(fact, c.key) for c in StatFact.__table__.columns}
        db.session.execute(sa.delete(StatFact).where(StatFact.id == fact.id))
        apply_deltas(db.session(), [(-1, row)])
        db.session.flush()

    def change(self, fact: StatFact, **changed: Any) -> None:
        """The fact re-derived differently: one out, one in (as ``refresh_items`` does)."""
        before = {c.key: getattr(fact, c.key) for c in StatFact.__table__.columns}
        after = {**before, **changed}
        db.session.execute(sa.update(StatFact).where(StatFact.id == fact.id).values(**changed))
        apply_deltas(db.session(), [(-1, before), (1, after)])
        db.session.flush()
        db.session.expire_all()


def _oracle(period: Period, group: statistics.Grouping | None, scope: Scope) -> dict[str, float]:
    """The median (days) per group key, straight from the stored answers, in Python."""
    f = filters_of(db.session(), scope)
    values: dict[Any, list[float]] = defaultdict(list)
    for fact in db.session.scalars(sa.select(StatFact).where(StatFact.measure == "answered")):
        if not period.contains(fact.day) or f.empty or fact.seconds is None:
            continue
        if (f.unit_id is not None and fact.unit_id != f.unit_id) or (f.kind is not None and fact.kind is not f.kind) \
                or (f.communes is not None and fact.commune_id not in f.communes) \
                or (f.localities is not None and fact.locality_id not in f.localities) \
                or (f.topics is not None and fact.topic_id not in f.topics):
            continue
        key = {None: "*", "unit": fact.unit_id, "commune": fact.commune_id, "village": fact.village_id,
               "topic": fact.topic_id, "kind": fact.kind.value, "month": fact.day.strftime("%Y-%m")}[group]
        if key is not None:
            values[key].append(fact.seconds)
    return {str(k): m / 86400 for k, v in values.items() if (m := median(v)) is not None}


def _shown(period: Period, group: statistics.Grouping | None, scope: Scope) -> dict[str, float]:
    """The medians the pages show, by the same group keys as ``_oracle``."""
    session = db.session()
    if group is None:
        total = statistics.totals(session, period=period, scope=scope, now=NOW).median_days_to_answer
        return {"*": total} if total is not None else {}
    rows = statistics.figures(session, period=period, group=group, scope=scope, now=NOW)
    ids = _ids(group)
    return {str(ids.get(r.key, r.key)): r.median_days_to_answer for r in rows if r.median_days_to_answer is not None}


def _ids(group: statistics.Grouping) -> dict[str, Any]:
    """Row key (a code) → the id the facts carry."""
    from feedback.models import Locality, Topic, Unit

    model = {"unit": Unit, "commune": Locality, "village": Locality, "topic": Topic}.get(group)
    if model is None:
        return {}
    return {code: i for i, code in db.session.execute(sa.select(model.id, model.code))}


class Reads:
    """The statements sent that compute a median from the answers themselves (``stat_fact``:
    ``percentile_cont``, or through the answers' histogram)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "percentile_cont" in statement or ("stat_answer_hist" in statement and "answer_bucket" in statement):
            self.statements.append(statement)


@pytest.fixture
def answer_reads(db_session: Session) -> Iterator[Reads]:
    reads = Reads()
    engine = db_session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", reads)
    yield reads
    sa.event.remove(engine, "before_cursor_execute", reads)


def _questions(d: Directory) -> list[tuple[Period, statistics.Grouping | None, Scope]]:
    """Every question computed ahead, and narrower ones that never are."""
    asked = [(p.period, p.group, p.scope) for p in presets(db.session(), NOW)]
    narrow = [Scope(territory_id=d.ha_tu.id), Scope(territory_id=d.province.id, unit_id=d.ubnd_ha_tu.id),
              Scope(territory_id=d.province.id, topic_id=d.environment.id), Scope(kind=Kind.COMPLAINT),
              Scope(territory_id=d.province.id, locality_id=d.village.id)]
    year = Period.named("this_year", TODAY)
    asked += [(year, group, scope) for scope in narrow for group in GROUPS]
    asked += [(Period(date(2026, 2, 17), date(2026, 10, 9)), group, Scope(territory_id=d.province.id))
              for group in GROUPS]
    return asked


def _assert_exact(d: Directory) -> None:
    for period, group, scope in _questions(d):
        assert _shown(period, group, scope) == _oracle(period, group, scope), (period, group, scope)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_medians_shown_are_exact_fresh_stale_and_refreshed(db_session: Session, answer_reads: Reads,
                                                            seed: int) -> None:
    d = make_directory()
    world = World(d, random.Random(seed))
    world.add(120)
    assert world.answers(), "the world has answers"
    _assert_exact(d)  # nothing computed ahead yet: every median from the answers, kept by the views
    count = sa.select(sa.func.count()).select_from(StatMedian)
    assert db.session.scalar(count), "the views kept the medians they computed"
    answer_reads.statements.clear()
    _assert_exact(d)
    assert answer_reads.statements == [], "every question viewed again reads stat_median alone"
    assert refresh_medians(db.session(), NOW).computed == 0, "the views kept what the refresh computes"

    # New answers (today and earlier this year), one gone, one changed, one moved to another unit.
    rng = world.rng

    def change_the_answers() -> None:
        world.add(5, day=TODAY)
        world.add(5)
        answers = world.answers()
        world.remove(rng.choice(answers))
        world.change(rng.choice(answers[:-10]), seconds=12345)
        moving = rng.choice(answers[:-10])
        world.change(moving, unit_id=next(u for u in world.units if u != moving.unit_id))

    change_the_answers()
    # The beat computes the stale groups again, keeps the others; then all is exact from stat_median.
    assert refresh_medians(db.session(), NOW).computed > 0
    assert refresh_medians(db.session(), NOW).computed == 0
    answer_reads.statements.clear()
    year = Period.named("this_year", TODAY)
    for group in GROUPS[:-1]:
        _shown(year, group, Scope(territory_id=d.province.id))
    _shown(trend_period(year), "month", Scope(territory_id=d.province.id))
    assert answer_reads.statements == [], "the province's medians come from stat_median alone"
    _assert_exact(d)

    # Changed again: the views compute the stale groups from the answers, exact, and keep them.
    change_the_answers()
    answer_reads.statements.clear()
    _assert_exact(d)
    assert answer_reads.statements, "stale groups are computed from the answers"
    answer_reads.statements.clear()
    _assert_exact(d)
    assert answer_reads.statements == []
    assert refresh_medians(db.session(), NOW).computed == 0


def test_a_stored_median_is_used_only_while_its_stamp_is_current(db_session: Session) -> None:
    d = make_directory()
    world = World(d, random.Random(9))
    unit = d.ubnd_ha_tu.id
    world.add(20, unit_id=unit, day=date(2026, 3, 10))
    world.add(20, day=date(2026, 3, 12))
    refresh_medians(db.session(), NOW)
    year, scope = Period.named("this_year", TODAY), Scope(territory_id=d.province.id)
    truth = _shown(year, "unit", scope)
    # Spoil the stored medians: while nothing changes, the pages show what is stored (the fast path).
    db.session.execute(sa.update(StatMedian).where(StatMedian.grouping == "unit").values(seconds=86400 * 99))
    db.session.flush()
    spoiled = _shown(year, "unit", scope)
    assert spoiled and set(spoiled.values()) == {99.0} and spoiled != truth
    # One new answer of one unit: that unit's median is computed afresh, the others still read.
    world.add(1, unit_id=unit, day=date(2026, 4, 1), seconds=7200)
    shown = _shown(year, "unit", scope)
    assert shown[str(unit)] == _oracle(year, "unit", scope)[str(unit)] != 99.0
    assert all(v == 99.0 for k, v in shown.items() if k != str(unit))
    # An answer that leaves and comes back unchanged still moves the stamp (+2): never served.
    refresh_medians(db.session(), NOW)
    db.session.execute(sa.update(StatMedian).values(seconds=86400 * 99))
    db.session.flush()
    fact = world.answers()[0]
    world.change(fact, seconds=fact.seconds + 1)
    world.change(fact, seconds=fact.seconds - 1)
    shown = _shown(year, "unit", scope)
    assert shown[str(fact.unit_id)] == _oracle(year, "unit", scope)[str(fact.unit_id)] != 99.0


def test_a_group_whose_answers_all_left_shows_no_median(db_session: Session) -> None:
    d = make_directory()
    world = World(d, random.Random(4))
    world.add(6, unit_id=d.ubnd_van_don.id, day=date(2026, 5, 5))
    world.add(6, unit_id=d.ubnd_ha_tu.id, day=date(2026, 5, 6))
    refresh_medians(db.session(), NOW)
    for fact in world.answers():
        if fact.unit_id == d.ubnd_van_don.id:
            world.remove(fact)
    year, scope = Period.named("this_year", TODAY), Scope(territory_id=d.province.id)
    assert str(d.ubnd_van_don.id) not in _shown(year, "unit", scope)
    refresh_medians(db.session(), NOW)
    assert _shown(year, "unit", scope) == _oracle(year, "unit", scope)
    assert str(d.ubnd_van_don.id) not in _shown(year, "unit", scope)


def test_rebuild_forgets_the_medians_and_old_periods_go(db_session: Session) -> None:
    d = make_directory()
    World(d, random.Random(5)).add(10)
    refresh_medians(db.session(), NOW)
    count = sa.select(sa.func.count()).select_from(StatMedian)
    assert db.session.scalar(count)
    # A custom range viewed: its medians are kept too.
    custom = Period(date(2026, 2, 17), date(2026, 10, 9))
    _shown(custom, "unit", Scope(territory_id=d.province.id))
    periods = sa.select(StatMedian.start, StatMedian.end).distinct()
    before = {(r.start, r.end) for r in db.session.execute(periods)}
    assert (custom.start, custom.end) in before
    # A day later the periods running to today are new ones; yesterday's (and the custom range)
    # stay a day after they were last kept, then go.
    refresh_medians(db.session(), NOW + timedelta(days=1))
    after = {(r.start, r.end) for r in db.session.execute(periods)}
    assert before <= after and (date(2026, 1, 1), TODAY + timedelta(days=1)) in after
    refresh_medians(db.session(), NOW + timedelta(days=1, minutes=1))
    after = {(r.start, r.end) for r in db.session.execute(periods)}
    assert (date(2026, 1, 1), TODAY) in before and (date(2026, 1, 1), TODAY) not in after
    assert (custom.start, custom.end) not in after
    assert (date(2026, 1, 1), TODAY + timedelta(days=1)) in after
    # The rebuild derives the facts from raw rows (the world has none): the medians go with them.
    statistics.rebuild(db.session())
    assert db.session.scalar(count) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1


def test_the_beat_task_refreshes_the_medians_and_is_scheduled(db_session: Session) -> None:
    from feedback.jobs import REFRESH_MEDIANS
    from feedback.models import WorkerHeartbeat
    from worker.schedule import BEAT_SCHEDULE
    from worker.tasks.maintenance import refresh_medians as refresh_task

    d = make_directory()
    World(d, random.Random(6)).add(10)
    assert refresh_task.name == REFRESH_MEDIANS
    assert any(entry["task"] == REFRESH_MEDIANS for entry in BEAT_SCHEDULE.values())
    first = refresh_task(NOW.isoformat())
    assert first["computed"] > 0 and first["questions"] == len(presets(db.session(), NOW))
    assert refresh_task(NOW.isoformat())["computed"] == 0
    assert db.session.get(WorkerHeartbeat, REFRESH_MEDIANS) is not None


def test_rollups_upgraded_with_no_stamp_yet_still_give_exact_medians(db_session: Session) -> None:
    """Migration 0018 starts every stamp at 0 under the answers already counted."""
    from feedback.models import StatDaily, StatMonthly, StatMonthlyUnit

    d = make_directory()
    world = World(d, random.Random(8))
    world.add(40)
    for rollup in (StatDaily, StatMonthly, StatMonthlyUnit):
        db.session.execute(sa.update(rollup).values(answer_changes=0))
    db.session.flush()
    year, scope = Period.named("this_year", TODAY), Scope(territory_id=d.province.id)
    assert _shown(year, "unit", scope) == _oracle(year, "unit", scope) != {}
    assert refresh_medians(db.session(), NOW).computed > 0  # the other questions
    assert _shown(year, "unit", scope) == _oracle(year, "unit", scope)
    world.change(world.answers()[0], seconds=5)
    for group in GROUPS[:-1]:
        assert _shown(year, group, scope) == _oracle(year, group, scope), group


def _assert_presets_match_recount(d: Directory, now: datetime) -> None:
    from feedback.domain.calendar import local_date
    from feedback.domain.statistics import PERIOD_NAMES
    from feedback.services.statistics import recount

    session = db.session()
    for name in PERIOD_NAMES:
        period = Period.named(name, local_date(now))
        for scope in (Scope(), Scope(territory_id=d.province.id)):
            for group in statistics.GROUPINGS:
                assert statistics.figures(session, period=period, group=group, scope=scope, now=now) == \
                    recount.recount_figures(session, period=period, group=group, scope=scope, now=now), \
                    (name, scope, group)
            assert statistics.totals(session, period=period, scope=scope, now=now) == \
                recount.recount_totals(session, period=period, scope=scope, now=now), (name, scope)


def test_the_real_services_medians_equal_the_recount_computed_ahead_and_after_new_answers(
        db_session: Session, enqueued: Any) -> None:
    """The seeded random mix of test_statistics_random (answers, pauses, transfers, reopenings...)
    through the live hook; the recount (from the raw rows) is the oracle."""
    from tests.services.test_statistics_random import play

    p = play(2026, steps=120)
    assert refresh_medians(db.session(), p.now).computed > 0
    kept = sa.select(StatMedian.scope_key, StatMedian.start, StatMedian.end, StatMedian.grouping,
                     StatMedian.group_key, StatMedian.stamp)
    stored = set(db.session.execute(kept))
    _assert_presets_match_recount(p.d, p.now)
    # More of the mix: new answers, ratings, reopenings arrive after the medians were computed.
    answered = db.session.scalar(sa.select(sa.func.count()).select_from(StatFact).where(StatFact.measure == "answered"))
    from tests.services.test_statistics_random import REFUSALS, _act, _submit

    for _ in range(60):
        p.tick(p.rng.choice([1, 3, 8, 24]))
        if p.rng.random() < 0.2:
            _submit(p)
            continue
        items = list(db.session.scalars(sa.select(Feedback).where(
            Feedback.id.in_(p.items), Feedback.status.not_in([Status.REJECTED, Status.RECEIVED])).order_by(Feedback.id)))
        if not items:
            continue
        try:
            _act(p, p.rng.choice(items))
        except REFUSALS:
            db.session.rollback()
    now_answered = db.session.scalar(sa.select(sa.func.count()).select_from(StatFact)
                                     .where(StatFact.measure == "answered"))
    assert now_answered > answered, "new answers arrived"
    assert stored <= set(db.session.execute(kept)), "what the refresh computed is still stored"
    _assert_presets_match_recount(p.d, p.now)  # stale groups computed from the answers (and kept)
    _assert_presets_match_recount(p.d, p.now)  # read as kept
    refresh_medians(db.session(), p.now)
    _assert_presets_match_recount(p.d, p.now)
