"""Exact medians of the answers of any range of days from the answers' histogram
(``stat_answer_hist``, kept by ``rollups``), PostgreSQL only. Read only.

A question is a dimension of the histogram (unit, commune, topic, all), the groups it
asks for (each of the dimension's groups alone, or groups summed: a topic area is its topics,
a commune monitor's totals its commune), and one or more windows of days (one range; or each
month of a range, for a trend). Per window and group, in one statement (one snapshot, so the
counts and the answers agree):

1. the histogram rows of the window's spans (``median_buckets.spans_covering``: a handful of
   days, ten-days, months, quarters and years) are summed per bucket over the group's
   histogram groups: the group's answers (n) and, in bucket order, how many took less than
   each bucket;
2. the bucket(s) holding the middle rank(s), (n - 1) / 2 and n / 2 counted from 0 (one for an
   odd count, one or two for an even one), are read from the answers themselves (one range of
   ``ix_stat_fact_bucket_*`` per histogram group: the group, the bucket, the days), sorted, and
   the values at those ranks picked. The median is their mean, as ``percentile_cont(0.5)``
   computes it.

So a question reads the few hundred histogram rows of its spans and the answers of one or two
buckets per group (a bucket spans a tenth more than the one below: a few percent of a
group's answers), not every answer of the range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from datetime import date
from itertools import groupby
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from feedback.domain.median_buckets import spans_covering
from feedback.services.statistics.rollups import HISTOGRAM_DIMENSIONS

_COLUMN = dict(HISTOGRAM_DIMENSIONS)  # dimension → the answered fact's column naming its group
W = TypeVar("W", bound=Hashable)


def _statement(dimension: str, summed: bool) -> str:
    """The two phases for ``dimension``; ``summed``: the groups asked for are given
    (``members``: each a sum of histogram groups), else each of the dimension's groups alone."""
    column = _COLUMN[dimension]
    if column is None:
        in_group = ""
    elif summed:
        in_group = f"f.{column} = ANY(ARRAY(SELECT m.group_id FROM members m WHERE m.out_id = w.out_id)) AND "
    else:
        in_group = f"f.{column} = w.out_id AND "
    members = (""",
        members AS (SELECT * FROM unnest(CAST(:member_outs AS integer[]), CAST(:member_groups AS integer[]))
                    AS m(out_id, group_id))""" if summed else "")
    out, joined = ("m.out_id", "CROSS JOIN members m JOIN stat_answer_hist h ON h.group_id = m.group_id AND"
                   ) if summed else ("h.group_id", "JOIN stat_answer_hist h ON")
    return f"""
        WITH windows AS (
            SELECT * FROM unnest(CAST(:window_ids AS integer[]), CAST(:firsts AS date[]), CAST(:lasts AS date[]))
                     AS d(window_id, first_day, last_day)),
        spans AS (
            SELECT * FROM unnest(CAST(:span_windows AS integer[]), CAST(:span_names AS varchar[]))
                     AS s(window_id, span)){members},
        counted AS (
            SELECT s.window_id, {out} AS out_id, h.bucket, sum(h.answers) AS n
            FROM spans s {joined} h.dimension = :dimension AND h.span = s.span
            GROUP BY 1, 2, 3 HAVING sum(h.answers) > 0),
        ranked AS (
            SELECT window_id, out_id, bucket, n,
                   CAST(sum(n) OVER (PARTITION BY window_id, out_id ORDER BY bucket) AS bigint) - n AS below,
                   CAST(sum(n) OVER (PARTITION BY window_id, out_id) AS bigint) AS total
            FROM counted),
        wanted AS (
            SELECT window_id, out_id, bucket, total, greatest((total - 1) / 2, below) AS first_rank,
                   least(total / 2, below + n - 1) - greatest((total - 1) / 2, below) + 1 AS ranks,
                   greatest((total - 1) / 2, below) - below AS skipped
            FROM ranked WHERE below <= total / 2 AND (total - 1) / 2 < below + n)
        SELECT w.window_id, w.out_id, w.total, w.first_rank, v.seconds
        FROM wanted w JOIN windows d ON d.window_id = w.window_id CROSS JOIN LATERAL (
            SELECT f.seconds FROM stat_fact f
            WHERE f.measure = 'answered' AND {in_group}answer_bucket(f.seconds) = w.bucket
                  AND f.day >= d.first_day AND f.day <= d.last_day
            ORDER BY f.seconds OFFSET w.skipped LIMIT w.ranks) v
        ORDER BY w.window_id, w.out_id, w.first_rank, v.seconds"""


def windowed_medians(session: Session, dimension: str, windows: Mapping[W, tuple[date, date]],
                     members: Mapping[int, Iterable[int]] | None = None) -> dict[tuple[W, int], float]:
    """The exact median (seconds) of the answers of each window (key → first and last day) per
    group of ``dimension`` ("unit", "commune", "topic"; "all": one group, 0): each
    group with answers there, or with ``members`` the groups it names, each the sum of its
    histogram groups. Keyed by (window, group)."""
    keys = [key for key, (first, last) in windows.items() if first <= last]
    listed = {out: sorted(set(groups)) for out, groups in members.items()} if members is not None else None
    if not keys or (listed is not None and not any(listed.values())):
        return {}
    spans = [(index, span) for index, key in enumerate(keys) for span in spans_covering(*windows[key])]
    parameters: dict[str, object] = {
        "dimension": dimension, "window_ids": list(range(len(keys))),
        "firsts": [windows[key][0] for key in keys], "lasts": [windows[key][1] for key in keys],
        "span_windows": [index for index, _ in spans], "span_names": [span for _, span in spans]}
    if listed is not None:
        pairs = [(out, group) for out, groups in sorted(listed.items()) for group in groups]
        parameters |= {"member_outs": [out for out, _ in pairs], "member_groups": [group for _, group in pairs]}
    values: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)  # (window, group) → rank → seconds
    totals: dict[tuple[int, int], int] = {}
    read = session.execute(text(_statement(dimension, listed is not None)), parameters).all()
    for (window, out, total, first_rank), rows in groupby(read, key=lambda row: tuple(row[:4])):
        # One bucket's values at its wanted ranks, in order from the first of them.
        for offset, row in enumerate(rows):
            values[(window, out)][first_rank + offset] = row.seconds
        totals[(window, out)] = total
    return {(keys[window], out): (ranked[(totals[(window, out)] - 1) // 2] + ranked[totals[(window, out)] // 2]) / 2
            for (window, out), ranked in values.items()}


def histogram_medians(session: Session, first: date, last: date, dimension: str,
                      only: Iterable[int] | None = None) -> dict[int, float]:
    """The exact median (seconds) of the answers of the days ``first`` to ``last`` per group of
    ``dimension`` (``windowed_medians``), of the groups ``only`` when given."""
    members = {group: (group,) for group in only} if only is not None else None
    return {group: seconds for (_, group), seconds in
            windowed_medians(session, dimension, {0: (first, last)}, members).items()}
