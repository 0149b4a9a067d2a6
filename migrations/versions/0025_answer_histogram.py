"""stat_answer_hist: the answers per bucket of duration, per unit, per commune and in all, per day,
ten-day, month, quarter and year; answer_bucket() and the answers' bucket indexes (PostgreSQL):
an exact median of any range of days reads a few hundred histogram rows, then the answers of
one bucket per group, not every answer of the range (issue #9 item 7)

The buckets' edges are those of ``feedback.domain.median_buckets.EDGES`` (copied here: a later
change of the edges is a migration that refills the table). The table is filled from the
answered facts by a copy of ``statistics.rebuild.histogram_sql``.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

EDGES = tuple(round(60 * 1.1 ** k) for k in range(183))
BUCKET_INDEXES = (('ix_stat_fact_bucket_unit', ('unit_id',)), ('ix_stat_fact_bucket_commune', ('commune_id',)),
                  ('ix_stat_fact_bucket_all', ()))


def _fill_sql(postgresql):
    if postgresql:
        bucket = "answer_bucket(seconds)"
        day, month, year = "to_char(day, 'YYYY-MM-DD')", "to_char(day, 'YYYY-MM')", "to_char(day, 'YYYY')"
        day_of_month, quarter = "extract(day FROM day)", "to_char(day, 'Q')"
    else:
        bucket = "CASE " + " ".join(f"WHEN seconds < {edge} THEN {i}" for i, edge in enumerate(EDGES)) + \
            f" ELSE {len(EDGES)} END"
        day, month, year = "strftime('%Y-%m-%d', day)", "strftime('%Y-%m', day)", "strftime('%Y', day)"
        day_of_month = "CAST(strftime('%d', day) AS INTEGER)"
        quarter = "((CAST(strftime('%m', day) AS INTEGER) + 2) / 3)"
    dekad = f"':' || CASE WHEN {day_of_month} <= 10 THEN '1' WHEN {day_of_month} <= 20 THEN '2' ELSE '3' END"
    return f"""
        WITH base AS (
            SELECT unit_id, commune_id, day, {bucket} AS bucket, count(*) AS n FROM stat_fact
            WHERE measure = 'answered' AND seconds IS NOT NULL GROUP BY unit_id, commune_id, day, {bucket}),
        days AS (
            SELECT 'unit' AS dimension, unit_id AS group_id, day, bucket, sum(n) AS n FROM base
            GROUP BY unit_id, day, bucket
            UNION ALL
            SELECT 'commune', commune_id, day, bucket, sum(n) FROM base GROUP BY commune_id, day, bucket
            UNION ALL
            SELECT 'all', 0, day, bucket, sum(n) FROM base GROUP BY day, bucket),
        spans AS (
            SELECT dimension, {day} AS span, group_id, bucket, n FROM days
            UNION ALL SELECT dimension, {month} || {dekad}, group_id, bucket, n FROM days
            UNION ALL SELECT dimension, {month}, group_id, bucket, n FROM days
            UNION ALL SELECT dimension, {year} || '-Q' || {quarter}, group_id, bucket, n FROM days
            UNION ALL SELECT dimension, {year}, group_id, bucket, n FROM days)
        INSERT INTO stat_answer_hist (dimension, span, group_id, bucket, answers)
        SELECT dimension, span, group_id, bucket, sum(n) FROM spans GROUP BY dimension, span, group_id, bucket"""


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        edges = ', '.join(str(edge) for edge in EDGES)
        op.execute(f"""
            CREATE FUNCTION answer_bucket(seconds integer) RETURNS integer
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT width_bucket(seconds, ARRAY[{edges}]::integer[]) $$""")
    op.create_table('stat_answer_hist',
    sa.Column('dimension', sa.String(length=8), nullable=False),
    sa.Column('span', sa.String(length=12), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.SmallInteger(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dimension', 'span', 'group_id', 'bucket', name='pk_stat_answer_hist',
                            postgresql_include=['answers'])
    )
    op.execute(_fill_sql(postgresql))
    if postgresql:
        for name, columns in BUCKET_INDEXES:
            op.create_index(name, 'stat_fact', [*columns, sa.text('answer_bucket(seconds)'), 'day'], unique=False,
                            postgresql_include=['seconds'], postgresql_where=sa.text("measure = 'answered'"))


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        for name, _columns in BUCKET_INDEXES:
            op.drop_index(name, table_name='stat_fact')
    op.drop_table('stat_answer_hist')
    if postgresql:
        op.execute("DROP FUNCTION answer_bucket(integer)")
