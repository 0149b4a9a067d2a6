"""Dump the bodies of pages, with the code of the tree given, to a directory."""
import sys, pathlib, hashlib
tree, out, db = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
sys.path.insert(0, tree)
from bench import pages
from bench.stats import NOW, TODAY, _app
import feedback, feedback.monitor.views as monitor_views
assert feedback.__file__.startswith(tree), feedback.__file__
from feedback.extensions import db as fdb
app = _app(db)
monitor_views.now_utc = lambda: NOW
with app.app_context():
    pages.ensure_accounts(NOW)
    hot = pages.ensure_hot_spot(NOW)
clients = {}
for user in (pages.PROVINCE_USER, pages.COMMUNE_USER):
    clients[user] = app.test_client(); pages.log_in(clients[user], user)
out.mkdir(parents=True, exist_ok=True)
for case in pages.cases(TODAY):
    if "xlsx" in case.label or "drill" in case.label or "hot spot" in case.label:
        continue
    url = case.url.format(hot_spot=hot)
    body = clients[case.user].get(url).get_data()
    body2 = clients[case.user].get(url).get_data()
    name = hashlib.sha1(case.label.encode()).hexdigest()[:10]
    (out / f"{name}.body").write_bytes(body2)
    (out / f"{name}.label").write_text(case.label + ("" if body == body2 else " (first differs)"))
print("done", len(list(out.glob('*.body'))))
