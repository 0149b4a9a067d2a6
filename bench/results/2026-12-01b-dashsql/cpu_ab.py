"""Process CPU time of the web process for one page, with a checkout's code: 2 warm-up requests,
then ``runs`` timed ones (``time.process_time``, which the load of other processes moves far less
than the wall clock). Usage: cpu_ab.py TREE DATABASE_URL URL [RUNS]"""
import statistics, sys, time
tree, db, url = sys.argv[1:4]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 15
sys.path.insert(0, tree)
from bench import pages  # noqa: E402
from bench.stats import NOW, _app  # noqa: E402
import feedback.monitor.views as monitor_views  # noqa: E402
app = _app(db)
monitor_views.now_utc = lambda: NOW
with app.app_context():
    pages.ensure_accounts(NOW)
client = app.test_client()
pages.log_in(client, pages.PROVINCE_USER)
for _ in range(2):
    client.get(url)
spent = []
for _ in range(runs):
    tick = time.process_time()
    client.get(url).get_data()
    spent.append((time.process_time() - tick) * 1000)
print(f"{tree} {url}: CPU ms median {statistics.median(spent):.1f}, min {min(spent):.1f}")
