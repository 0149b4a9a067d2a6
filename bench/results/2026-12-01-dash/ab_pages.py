"""One A/B run: bench/pages.py's whole pages of ``root`` (main's or the branch's code) on the
1 M database, only the dashboard pages, the public /units and the open data."""
import sys
from pathlib import Path
root, out = sys.argv[1], Path(sys.argv[2])
sys.path.insert(0, root)
from bench import stats as b, pages
assert pages.__file__.startswith(root), pages.__file__
import feedback
assert feedback.__file__.startswith(root), feedback.__file__
KEEP = ("dashboard by", "public /units", "open data")
every = pages.cases
pages.cases = lambda today: [c for c in every(today) if any(k in c.label for k in KEEP)]
url = "postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench_dash"
app = b._app(url)
results = pages.time_pages(app, b.NOW, b.TODAY, runs=int(sys.argv[3]), forget=b._forget_kept)
pages.write_json(results, out, items=1_000_000, now=b.NOW.isoformat(), runs=int(sys.argv[3]), code=root)
