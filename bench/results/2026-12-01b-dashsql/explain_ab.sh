#!/bin/sh
# For each page: main's code (A) and this branch's (B), alternated, 3 rounds: statements sent,
# EXPLAIN ANALYZE execution time summed over the page's SELECTs, the buffers they touched.
DB=${DB:-postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench_dashsql}
HERE=$(cd "$(dirname "$0")/../../.." && pwd)
PY=$HERE/.venv/bin/python
for url in "/monitor/?period=this_month&group=unit" "/monitor/?period=this_year&group=unit" \
           "/monitor/?period=this_year&group=commune" "/monitor/?period=this_year&group=village" \
           "/monitor/?period=this_year&group=topic" "/monitor/?period=this_year&group=kind" \
           "/monitor/?period=custom&from=2026-02-17&to=2026-10-09&group=unit" \
           "/monitor/?period=this_year&group=commune&topic=17" "/monitor/?period=this_year&locality=60" \
           "/units?from=2025-12-01&to=2026-11-30" "/open-data/units.csv?from=2025-12-01&to=2026-11-30"; do
  for round in 1 2 3; do
    for tree in /work/main "$HERE"; do
      label=$([ "$tree" = /work/main ] && echo A || echo B)
      out=$($PY "$HERE/bench/page_sql.py" --database "$DB" "$url" --explain --summary --tree "$tree")
      statements=$(echo "$out" | head -1 | sed -E 's/.* ([0-9]+) statements.*/\1/')
      echo "$url | $label | round $round | $statements statements | $(echo "$out" | tail -1)"
    done
  done
done
