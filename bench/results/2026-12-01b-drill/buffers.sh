#!/bin/sh
# For each drill-down and overdue-list page of bench/pages.py: the blocks its statements touch
# (EXPLAIN ANALYZE BUFFERS of each, load-independent), their time on the server, the process's
# CPU time; main's code (A: an export of main at /tmp/drill-main) then this branch's (B).
# Usage: buffers.sh DATABASE_URL OUTPUT_FILE
DB=$1; OUT=$2
HERE=$(cd "$(dirname "$0")/../../.." && pwd)
"$HERE/.venv/bin/python" - "$HERE" <<'PY' > /tmp/drill-urls.txt
import sys
sys.path.insert(0, sys.argv[1])
from datetime import date
from bench import pages
for case in pages.cases(date(2026, 11, 30)):
    if "rill-down" in case.label or "overdue list" in case.label:
        print(case.user, case.url)
PY
echo "== $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/')" >> "$OUT"
while read -r user url; do
  for side in A B; do
    if [ $side = A ]; then TREE=/tmp/drill-main; else TREE=$HERE; fi
    (cd "$TREE" && BUFFERS=1 "$HERE/.venv/bin/python" "$HERE/bench/results/2026-12-01b-drill/statements.py" "$DB" "$url" "$user" 2>&1 \
      | grep "^BUFFERS" | sed "s/^BUFFERS/$side/" >> "$OUT")
  done
done < /tmp/drill-urls.txt
