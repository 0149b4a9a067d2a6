"""Where a page's process CPU goes, least of ``runs`` requests (the least moved by the machine's
other jobs): the question read from the URL (``asked``), the filter's choices (``choices``), the
statistics (``dashboard``: feedback.services.statistics, SQL and Python), the recommendations'
counts (``recs``), the template with its charts and tables (``render``), and the whole request
(``total``: with the session, the login check and the test client); then the Python function
calls of one request (cProfile's count: exact, whatever the load).

    python parts.py <tree> <database url> <runs> "<page label>" ["<page label>" ...]
"""
import cProfile, functools, pstats, sys, time
from datetime import datetime
root, url, runs, labels = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
sys.path.insert(0, root)
from bench import stats as b, pages
assert pages.__file__.startswith(root)
import feedback.monitor.views as mv
import feedback.public.scoreboard_views as sv

spent: dict[str, float] = {}


def timed(name, f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return f(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - start
    return wrapper


class _Fixed(datetime):
    @classmethod
    def now(cls, tz=None):
        return b.NOW


mv.monitoring.dashboard = timed("dashboard", mv.monitoring.dashboard)
mv.monitoring.recommendation_figures = timed("recs", mv.monitoring.recommendation_figures)
mv._filter_choices = timed("choices", mv._filter_choices)
mv._asked = timed("asked", mv._asked)
mv.render_template = timed("render", mv.render_template)
sv.scoreboard.scoreboard = timed("dashboard", sv.scoreboard.scoreboard)
sv.render_template = timed("render", sv.render_template)
sv.datetime = _Fixed
mv.now_utc = lambda: b.NOW
app = b._app(url)
with app.app_context():
    pages.ensure_accounts(b.NOW)
clients = {}
for user in (pages.PROVINCE_USER, pages.COMMUNE_USER):
    clients[user] = app.test_client(); pages.log_in(clients[user], user)
for label in labels:
    case = next(c for c in pages.cases(b.TODAY) if c.label == label)
    client = clients[case.user]
    client.get(case.url).get_data()
    least: dict[str, float] = {}
    for _ in range(runs):
        spent.clear()
        start = time.process_time()
        client.get(case.url).get_data()
        spent["total"] = time.process_time() - start
        for name, value in spent.items():
            least[name] = min(least.get(name, value), value)
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(case.url).get_data()
    profiler.disable()
    calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
    shown = ", ".join(f"{name} {least[name] * 1000:.1f}" for name in
                      ("total", "asked", "choices", "dashboard", "recs", "render") if name in least)
    print(f"| {label} | {shown} | {calls:,} |", flush=True)
