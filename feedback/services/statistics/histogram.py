"""Exact medians of the answers of any range of days from the answers' histogram
(``stat_answer_hist``, kept by ``rollups``), PostgreSQL only. Read only.

Per group, in one statement (one snapshot, so the counts and the answers agree):

1. the histogram rows of the range's spans (``median_buckets.spans_covering``: a handful of
   days, ten-days, months, quarters and years) are summed per bucket: the group's answers (n)
   and, in bucket order, how many took less than each bucket;
2. the bucket(s) holding the middle rank(s), (n - 1) / 2 and n / 2 counted from 0 (one for an
   odd count, one or two for an even one), are read from the answers themselves (one range of
   ``ix_stat_fact_bucket_*`` each: the group, the bucket, the days), sorted, and the values at
   those ranks picked. The median is their mean, as ``percentile_cont(0.5)`` computes it.

So a question reads the few hundred histogram rows of its spans and the answers of one or two
buckets per group (a bucket spans a tenth more than the one below: a few percent of a
group's answers), not every answer of the range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import groupby
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from feedback.domain.median_buckets import spans_covering
from feedback.services.statistics.rollups import HISTOGRAM_DIMENSIONS

_COLUMN = dict(HISTOGRAM_DIMENSIONS)  # dimension → the answered fact's column naming its group


def _statement(dimension: str, only: bool) -> str:
    column = _COLUMN[dimension]
    in_group = f"f.{column} = w.group_id AND " if column is not None else ""
    chosen = "AND group_id = ANY(:only) " if only else ""
    return f"""
        WITH counted AS (
            SELECT group_id, bucket, sum(answers) AS n FROM stat_answer_hist
            WHERE dimension = :dimension AND span = ANY(:spans) {chosen}
            GROUP BY group_id, bucket HAVING sum(answers) > 0),
        ranked AS (
            SELECT group_id, bucket, n,
                   CAST(sum(n) OVER (PARTITION BY group_id ORDER BY bucket) AS bigint) - n AS below,
                   CAST(sum(n) OVER (PARTITION BY group_id) AS bigint) AS total
            FROM counted),
        wanted AS (
            SELECT group_id, bucket, total, greatest((total - 1) / 2, below) AS first_rank,
                   least(total / 2, below + n - 1) - greatest((total - 1) / 2, below) + 1 AS ranks,
                   greatest((total - 1) / 2, below) - below AS skipped
            FROM ranked WHERE below <= total / 2 AND (total - 1) / 2 < below + n)
        SELECT w.group_id, w.total, w.first_rank, v.seconds
        FROM wanted w CROSS JOIN LATERAL (
            SELECT f.seconds FROM stat_fact f
            WHERE f.measure = 'answered' AND {in_group}answer_bucket(f.seconds) = w.bucket
                  AND f.day >= :first AND f.day <= :last
            ORDER BY f.seconds OFFSET w.skipped LIMIT w.ranks) v
        ORDER BY w.group_id, w.first_rank, v.seconds"""


def histogram_medians(session: Session, first: date, last: date, dimension: str,
                      only: Iterable[int] | None = None) -> dict[int, float]:
    """The exact median (seconds) of the answers of the days ``first`` to ``last`` per group of
    ``dimension`` ("unit", "commune"; "all": one group, 0), of the groups ``only`` when given."""
    chosen = sorted(set(only)) if only is not None else None
    if chosen == [] or last < first:
        return {}
    parameters: dict[str, object] = {"dimension": dimension, "spans": spans_covering(first, last),
                                     "first": first, "last": last}
    if chosen is not None:
        parameters["only"] = chosen
    values: dict[int, dict[int, int]] = defaultdict(dict)  # group → rank → seconds
    totals: dict[int, int] = {}
    read = session.execute(text(_statement(dimension, chosen is not None)), parameters).all()
    for (group_id, total, first_rank), rows in groupby(read, key=lambda row: tuple(row[:3])):
        # One bucket's values at its wanted ranks, in order from the first of them.
        for offset, row in enumerate(rows):
            values[group_id][first_rank + offset] = row.seconds
        totals[group_id] = total
    return {group_id: (ranked[(totals[group_id] - 1) // 2] + ranked[totals[group_id] // 2]) / 2
            for group_id, ranked in values.items()}
