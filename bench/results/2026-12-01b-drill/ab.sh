#!/bin/sh
# A/B of the drill-down and overdue-list pages: main's code (an export of main's tree with this
# branch's bench/pages.py, for the added cases) and this branch's, alternated, on one database.
# Usage: ab.sh DATABASE_URL OUTPUT_FILE ROUNDS
set -e
DB=$1; OUT=$2; ROUNDS=${3:-2}
HERE=$(cd "$(dirname "$0")/../../.." && pwd)
for round in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    if [ $side = A ]; then TREE=/tmp/drill-main; else TREE=$HERE; fi
    echo "== round $round, $side ($TREE) $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/')" >> "$OUT"
    for only in "rill-down" "overdue list"; do
      (cd "$TREE" && timeout 1200 "$HERE/.venv/bin/python" bench/stats.py pages --database "$DB" --only "$only" --runs 3 2>&1 \
        | grep "^| [a-z]" >> "$OUT")
    done
  done
done
