"""overdue_item keeps its item's commune and village; one covering index for the dashboard's overdue counts (issue #9 item 7)

The dashboard grouped the kept overdue rows by locality and mapped each locality to its commune
or village in Python (reading the whole tree per call), and filtered a territory by the
locality's path through a subquery. The rows now carry ``commune_id`` and ``village_id`` (as
``statistics.facts.places`` derives them: a village's commune is its parent; a commune, or a
locality above the communes, is its own commune), set by the triggers from the locality's level
and parent:

- a clock's refresh of its pair reads them with the item's facts;
- a change of the item's locality copies them with the item's other facts;
- a locality whose level or parent changes (a directory import moving a village) moves them on
  its rows. On PostgreSQL that trigger takes a transaction-scoped advisory lock on the locality,
  which the refresh and the copy take shared: a row written by a transaction that read the
  locality before the move committed is seen and moved by the move, or waits for it.

Existing rows are filled in one UPDATE from ``locality``. ``ix_overdue_item_counts`` holds every
column the counts filter and group by, commune first (a commune's or a village's rows are a range
of it), so that they read the index only; ``ix_overdue_item_topic`` the same, topic first (a topic
area's rows), and ``ix_overdue_item_unit`` now too (a unit's rows).

``overdue_tally`` counts the rows per unit, commune, village, topic, kind and due month for the
pages over the whole tree (which would otherwise count every row): a trigger on ``overdue_item``
inserts one +1 or -1 row per change (never updates one, so writers never wait on a counter),
filled here from the existing rows, one row per group of each dimension.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

BREACHED = "{t}.met_at IS NULL AND {t}.closed_at IS NULL AND {t}.breached_at IS NOT NULL"
ITEM_FACTS = ("received_at", "current_unit_id", "status", "locality_id", "topic_id", "kind", "origin")
CLOCK_FACTS = "feedback_id, unit_id, clock, due_at, met_at, closed_at, breached_at"
# Advisory lock namespaces: one lock per item id (0019's), one per locality id.
LOCK = 1868
PLACE_LOCK = 1869


def commune_of(t: str) -> str:
    """The commune of the locality row ``t`` (``places``: a village's parent, else itself)."""
    return f"CASE WHEN {t}.level = 'village' AND {t}.parent_id IS NOT NULL THEN {t}.parent_id ELSE {t}.id END"


def village_of(t: str) -> str:
    return f"CASE WHEN {t}.level = 'village' THEN {t}.id END"


class Shape:
    """The triggers' statements for the table's columns: 0019's (``places=False``) or these."""

    def __init__(self, places: bool):
        self.places = places
        self.columns = ("deadline_id, feedback_id, unit_id, clock, due_at, received_at, current_unit_id, status, "
                        "locality_id, topic_id, kind, origin" + (", commune_id, village_id" if places else ""))
        self.picked = ("d.id, d.feedback_id, d.unit_id, d.clock, d.due_at, f.received_at, f.current_unit_id, "
                       "f.status, f.locality_id, f.topic_id, f.kind, f.origin"
                       + (f", {commune_of('l')}, {village_of('l')}" if places else ""))
        self.joined = ("deadline d JOIN feedback f ON f.id = d.feedback_id"
                       + (" JOIN locality l ON l.id = f.locality_id" if places else ""))
        copy = [f"{c} = NEW.{c}" for c in ITEM_FACTS]
        if places:
            copy += [f"commune_id = (SELECT {commune_of('l')} FROM locality l WHERE l.id = NEW.locality_id)",
                     f"village_id = (SELECT {village_of('l')} FROM locality l WHERE l.id = NEW.locality_id)"]
        self.copy = ", ".join(copy)

    def refresh(self, row: str, same_unit: str) -> str:
        """The statements that recompute the pair of ``row`` (NEW, OLD, or the function's arguments)."""
        feedback_id, unit_id = (f"{row}.feedback_id", f"{row}.unit_id") if row in ("NEW", "OLD") else row.split(",")
        return f"""
    DELETE FROM overdue_item WHERE feedback_id = {feedback_id} AND unit_id {same_unit} {unit_id};
    INSERT INTO overdue_item ({self.columns})
    SELECT {self.picked} FROM {self.joined}
    WHERE d.feedback_id = {feedback_id} AND d.unit_id {same_unit} {unit_id} AND {BREACHED.format(t='d')}
    ORDER BY d.due_at, d.id LIMIT 1;"""

    def place_lock(self, locality: str) -> str:
        return f"PERFORM pg_advisory_xact_lock_shared({PLACE_LOCK}, {locality});" if self.places else ""

    def postgresql(self) -> list[str]:
        either = f"(({BREACHED.format(t='OLD')}) OR ({BREACHED.format(t='NEW')}))"
        statements = [
            f"""CREATE FUNCTION overdue_item_refresh(f_id integer, u_id integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK}, f_id);
    {self.place_lock('(SELECT locality_id FROM feedback WHERE id = f_id)')}
    {self.refresh('f_id,u_id', 'IS NOT DISTINCT FROM')}
END $$""",
            """CREATE FUNCTION overdue_item_clock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM overdue_item_refresh(OLD.feedback_id, OLD.unit_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.feedback_id <> OLD.feedback_id
                                                  OR NEW.unit_id IS DISTINCT FROM OLD.unit_id)) THEN
        PERFORM overdue_item_refresh(NEW.feedback_id, NEW.unit_id);
    END IF;
    RETURN NULL;
END $$""",
            f"""CREATE FUNCTION overdue_item_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK}, NEW.id);
    {self.place_lock('NEW.locality_id')}
    UPDATE overdue_item SET {self.copy} WHERE feedback_id = NEW.id;
    RETURN NULL;
END $$""",
            f"CREATE TRIGGER overdue_item_insert AFTER INSERT ON deadline FOR EACH ROW "
            f"WHEN ({BREACHED.format(t='NEW')}) EXECUTE FUNCTION overdue_item_clock()",
            f"CREATE TRIGGER overdue_item_update AFTER UPDATE OF {CLOCK_FACTS} ON deadline FOR EACH ROW "
            f"WHEN {either} EXECUTE FUNCTION overdue_item_clock()",
            f"CREATE TRIGGER overdue_item_delete AFTER DELETE ON deadline FOR EACH ROW "
            f"WHEN ({BREACHED.format(t='OLD')}) EXECUTE FUNCTION overdue_item_clock()",
            f"CREATE TRIGGER overdue_item_facts AFTER UPDATE OF {', '.join(ITEM_FACTS)} ON feedback FOR EACH ROW "
            f"WHEN ({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in ITEM_FACTS)}) "
            f"EXECUTE FUNCTION overdue_item_facts()",
        ]
        if self.places:
            statements += [
                f"""CREATE FUNCTION overdue_item_places() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({PLACE_LOCK}, NEW.id);
    UPDATE overdue_item SET commune_id = {commune_of('NEW')}, village_id = {village_of('NEW')}
    WHERE locality_id = NEW.id;
    RETURN NULL;
END $$""",
                "CREATE TRIGGER overdue_item_places AFTER UPDATE OF level, parent_id ON locality FOR EACH ROW "
                "WHEN (OLD.level IS DISTINCT FROM NEW.level OR OLD.parent_id IS DISTINCT FROM NEW.parent_id) "
                "EXECUTE FUNCTION overdue_item_places()",
            ]
        return statements

    def sqlite(self) -> list[str]:
        either = f"({BREACHED.format(t='OLD')}) OR ({BREACHED.format(t='NEW')})"
        statements = [
            f"CREATE TRIGGER overdue_item_insert AFTER INSERT ON deadline WHEN {BREACHED.format(t='NEW')} "
            f"BEGIN {self.refresh('NEW', 'IS')} END",
            f"CREATE TRIGGER overdue_item_update AFTER UPDATE OF {CLOCK_FACTS} ON deadline WHEN {either} "
            f"BEGIN {self.refresh('OLD', 'IS')} {self.refresh('NEW', 'IS')} END",
            f"CREATE TRIGGER overdue_item_delete AFTER DELETE ON deadline WHEN {BREACHED.format(t='OLD')} "
            f"BEGIN {self.refresh('OLD', 'IS')} END",
            f"CREATE TRIGGER overdue_item_facts AFTER UPDATE OF {', '.join(ITEM_FACTS)} ON feedback "
            f"WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in ITEM_FACTS)} "
            f"BEGIN UPDATE overdue_item SET {self.copy} WHERE feedback_id = NEW.id; END",
        ]
        if self.places:
            statements.append(
                "CREATE TRIGGER overdue_item_places AFTER UPDATE OF level, parent_id ON locality "
                "WHEN OLD.level IS NOT NEW.level OR OLD.parent_id IS NOT NEW.parent_id "
                f"BEGIN UPDATE overdue_item SET commune_id = {commune_of('NEW')}, village_id = {village_of('NEW')} "
                "WHERE locality_id = NEW.id; END")
        return statements

    def create(self) -> None:
        postgresql = op.get_bind().dialect.name == 'postgresql'
        for statement in (self.postgresql() if postgresql else self.sqlite()):
            op.execute(statement)


def drop_triggers() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for trigger, table in (('overdue_item_insert', 'deadline'), ('overdue_item_update', 'deadline'),
                           ('overdue_item_delete', 'deadline'), ('overdue_item_facts', 'feedback'),
                           ('overdue_item_places', 'locality'), ('overdue_tally_change', 'overdue_item'),
                           ('overdue_tally_insert', 'overdue_item'), ('overdue_tally_delete', 'overdue_item'),
                           ('overdue_tally_update', 'overdue_item')):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}" if postgresql
                   else f"DROP TRIGGER IF EXISTS {trigger}")
    if postgresql:
        for function in ('overdue_item_clock()', 'overdue_item_facts()', 'overdue_item_places()',
                         'overdue_item_refresh(integer, integer)', 'overdue_tally_row()'):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")


def month_of(t: str, postgresql: bool) -> str:
    """The local month (UTC+7 all year) of the due time of row ``t``, "YYYY-MM"."""
    if postgresql:
        return f"to_char(timezone('UTC', {t}.due_at) + interval '7 hours', 'YYYY-MM')"
    return f"strftime('%Y-%m', {t}.due_at, '+7 hours')"


def counted(t: str) -> str:
    """The rows the dashboard counts: residents' items, clocks of a unit."""
    return f"{t}.origin = 'resident' AND {t}.unit_id IS NOT NULL"


TALLY_COLUMNS = "unit_id, commune_id, village_id, topic_id, kind, month, n"


def tally(t: str, sign: int, postgresql: bool) -> str:
    """The statement adding ``sign`` to the groups of row ``t`` (OLD or NEW), when it counts."""
    return (f"INSERT INTO overdue_tally ({TALLY_COLUMNS}) SELECT {t}.unit_id, {t}.commune_id, {t}.village_id, "
            f"{t}.topic_id, {t}.kind, {month_of(t, postgresql)}, {sign} WHERE {counted(t)};")


TALLIED = ("origin", "unit_id", "commune_id", "village_id", "topic_id", "kind", "due_at")


def tally_triggers(postgresql: bool) -> list[str]:
    if postgresql:
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in TALLIED)
        return [
            f"""CREATE FUNCTION overdue_tally_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {tally('OLD', -1, True)}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {tally('NEW', 1, True)}
    END IF;
    RETURN NULL;
END $$""",
            "CREATE TRIGGER overdue_tally_change AFTER INSERT OR DELETE ON overdue_item FOR EACH ROW "
            "EXECUTE FUNCTION overdue_tally_row()",
            f"CREATE TRIGGER overdue_tally_update AFTER UPDATE OF {', '.join(TALLIED)} ON overdue_item FOR EACH ROW "
            f"WHEN ({changed}) EXECUTE FUNCTION overdue_tally_row()",
        ]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in TALLIED)
    return [
        f"CREATE TRIGGER overdue_tally_insert AFTER INSERT ON overdue_item BEGIN {tally('NEW', 1, False)} END",
        f"CREATE TRIGGER overdue_tally_delete AFTER DELETE ON overdue_item BEGIN {tally('OLD', -1, False)} END",
        f"CREATE TRIGGER overdue_tally_update AFTER UPDATE OF {', '.join(TALLIED)} ON overdue_item WHEN {changed} "
        f"BEGIN {tally('OLD', -1, False)} {tally('NEW', 1, False)} END",
    ]


def fill_tally(postgresql: bool) -> str:
    """The tally of the existing rows, compacted: one row per group of each dimension."""
    keys = ["unit_id", "commune_id", "village_id", "topic_id", "kind", month_of("overdue_item", postgresql)]
    nulls = ["CAST(NULL AS INTEGER)"] * 4 + ["CAST(NULL AS VARCHAR(24))", "CAST(NULL AS VARCHAR(7))"]
    return f"INSERT INTO overdue_tally ({TALLY_COLUMNS}) " + " UNION ALL ".join(
        f"SELECT {', '.join(key if i == j else nulls[j] for j in range(len(keys)))}, count(*) FROM overdue_item "
        f"WHERE {counted('overdue_item')} AND {key} IS NOT NULL GROUP BY {key}" for i, key in enumerate(keys))


# Every existing row's commune and village, in one statement (a join on the locality's id).
FILL_PLACES = f"""
UPDATE overdue_item SET commune_id = {commune_of('l')}, village_id = {village_of('l')}
FROM locality l WHERE l.id = overdue_item.locality_id
"""


def upgrade():
    drop_triggers()  # no clock or item changes between them: the migration holds its transaction
    op.add_column('overdue_item', sa.Column('commune_id', sa.Integer(), nullable=True))
    op.add_column('overdue_item', sa.Column('village_id', sa.Integer(), nullable=True))
    op.execute(FILL_PLACES)
    with op.batch_alter_table('overdue_item') as batch_op:  # SQLite copies the table; PostgreSQL alters it
        batch_op.alter_column('commune_id', existing_type=sa.Integer(), nullable=False)
    op.create_index('ix_overdue_item_counts', 'overdue_item',
                    ['commune_id', 'village_id', 'origin', 'unit_id', 'topic_id', 'kind', 'due_at'], unique=False)
    op.create_index('ix_overdue_item_topic', 'overdue_item',
                    ['topic_id', 'origin', 'unit_id', 'commune_id', 'village_id', 'kind', 'due_at'], unique=False)
    op.drop_index('ix_overdue_item_unit', table_name='overdue_item')
    op.create_index('ix_overdue_item_unit', 'overdue_item',
                    ['unit_id', 'origin', 'commune_id', 'village_id', 'topic_id', 'kind', 'due_at'], unique=False)
    Shape(places=True).create()
    op.create_table(
        'overdue_tally',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('commune_id', sa.Integer(), nullable=True),
        sa.Column('village_id', sa.Integer(), nullable=True),
        sa.Column('topic_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=24), nullable=True),
        sa.Column('month', sa.String(length=7), nullable=True),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_overdue_tally')),
    )
    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.execute(fill_tally(postgresql))
    for statement in tally_triggers(postgresql):
        op.execute(statement)


def downgrade():
    drop_triggers()
    op.drop_table('overdue_tally')
    op.drop_index('ix_overdue_item_counts', table_name='overdue_item')
    op.drop_index('ix_overdue_item_topic', table_name='overdue_item')
    op.drop_index('ix_overdue_item_unit', table_name='overdue_item')
    op.create_index('ix_overdue_item_unit', 'overdue_item', ['unit_id'], unique=False)
    with op.batch_alter_table('overdue_item') as batch_op:
        batch_op.drop_column('village_id')
        batch_op.drop_column('commune_id')
    Shape(places=False).create()
