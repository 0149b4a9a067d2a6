"""The bodies of the bench pages (bench/pages.py's cases, and a few more: the village table's
second page, a refused range, the public /units by named period) in Vietnamese and English,
written one file a page into ``out``, to diff main's pages against this branch's byte for byte.
The CSRF token of the logout form (a new one per session) is masked; the XLSX files (zip
timestamps) are left out. The clock is the generator's NOW on every page (the dashboard's seam,
and the public pages' ``datetime``), so that nothing falls overdue between two captures.

    python capture.py <tree> <database url> <out dir>
"""
import re, sys
from pathlib import Path
root, url, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
sys.path.insert(0, root)
from bench import stats as b, pages
assert pages.__file__.startswith(root), pages.__file__
import feedback.monitor.views as mv
import feedback.public.scoreboard_views as sv
from datetime import datetime


class _Fixed(datetime):
    @classmethod
    def now(cls, tz=None):
        return b.NOW


sv.datetime = _Fixed
out.mkdir(parents=True, exist_ok=True)
app = b._app(url)
mv.now_utc = lambda: b.NOW
with app.app_context():
    pages.ensure_accounts(b.NOW)
    hot_spot = pages.ensure_hot_spot(b.NOW)
extra = [
    pages.Case("dashboard by village, province, this_year, page 2", pages.PROVINCE_USER,
               "/monitor/?period=this_year&group=village&page=2"),
    pages.Case("dashboard refused range", pages.PROVINCE_USER, "/monitor/?period=custom&from=2026-10-09&to=2026-02-17"),
    pages.Case("dashboard by kind, province, last_month, kind filter", pages.PROVINCE_USER,
               "/monitor/?period=last_month&group=kind&kind=complaint"),
    pages.Case("public /units, this_quarter", pages.PROVINCE_USER, "/units?period=this_quarter"),
    pages.Case("commune: dashboard by village, this_month", pages.COMMUNE_USER, "/monitor/?period=this_month&group=village"),
]
token = re.compile(rb'(name="csrf_token" value=")[^"]+"')
for lang in ("vi", "en"):
    clients = {}
    for user in (pages.PROVINCE_USER, pages.COMMUNE_USER):
        clients[user] = app.test_client(); pages.log_in(clients[user], user)
    for case in [*pages.cases(b.TODAY), *extra]:
        if "xlsx" in case.url:
            continue
        url_ = case.url.format(hot_spot=hot_spot)
        if lang != "vi":
            url_ += ("&" if "?" in url_ else "?") + "lang=" + lang
        response = clients[case.user].get(url_)
        body = token.sub(rb'\1masked"', response.get_data())
        name = re.sub(r"[^A-Za-z0-9]+", "-", case.label).strip("-")
        (out / f"{lang}-{name}.txt").write_bytes(b"%d\n" % response.status_code + body)
        print(lang, response.status_code, len(body), case.label, flush=True)
