"""stat_answer_hist: the answers per bucket per topic too, with its bucket index on the answers:
the first view of a question by topic, or filtered by a topic (one or a topic area's), by
month too, reads a few histogram rows and one bucket's answers per group, not every answer of
the range; and the answers of one topic by day, for a question filtered by a topic and grouped
by another dimension (by unit, by commune: ``percentile_cont`` over that topic's answers only,
not everyone's of the range) (issue #9 item 7)

The rows are summed from the answered facts by a copy of ``statistics.rebuild.histogram_sql``
for the new dimension (its rows are deleted first, and the index made only when missing:
``bench/stats.py generate`` loads with the code's own histogram and indexes, then upgrades).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-01 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

EDGES = tuple(round(60 * 1.1 ** k) for k in range(183))
# What the median reads of an answered fact besides the index keys (models.statistics.ANSWER_COLUMNS).
ANSWER_COLUMNS = ("seconds", "unit_id", "commune_id", "locality_id", "village_id", "topic_id", "kind")


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
        WITH days AS (
            SELECT 'topic' AS dimension, topic_id AS group_id, day, {bucket} AS bucket, count(*) AS n FROM stat_fact
            WHERE measure = 'answered' AND seconds IS NOT NULL GROUP BY topic_id, day, {bucket}),
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
    op.execute("DELETE FROM stat_answer_hist WHERE dimension = 'topic'")
    op.execute(_fill_sql(postgresql))
    if postgresql:
        op.create_index('ix_stat_fact_bucket_topic', 'stat_fact', ['topic_id', sa.text('answer_bucket(seconds)'), 'day'],
                        unique=False, postgresql_include=['seconds'],
                        postgresql_where=sa.text("measure = 'answered'"), if_not_exists=True)
    op.create_index('ix_stat_fact_answered_topic', 'stat_fact', ['topic_id', 'day'], unique=False,
                    postgresql_include=[c for c in ANSWER_COLUMNS if c not in ('topic_id', 'day')],
                    postgresql_where=sa.text("measure = 'answered'"), sqlite_where=sa.text("measure = 'answered'"),
                    if_not_exists=True)


def downgrade():
    op.drop_index('ix_stat_fact_answered_topic', table_name='stat_fact')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_stat_fact_bucket_topic', table_name='stat_fact')
    op.execute("DELETE FROM stat_answer_hist WHERE dimension = 'topic'")
