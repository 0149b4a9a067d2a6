"""CPU time of the web process per export request (time.process_time), beside the wall time, for
an A/B of two checkouts on a machine too loaded for wall times alone: run it from each checkout
in turn (``cd <checkout> && .venv/bin/python <this file> <database URL> <label> <runs>``)."""

import json
import statistics as st
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from bench import pages  # noqa: E402
from bench import stats  # noqa: E402  (bench/stats.py: the app and NOW of the benchmark)

URLS = {
    "export overdue.csv, province": "/monitor/export/overdue.csv?period=this_month",
    "export overdue.xlsx, province": "/monitor/export/overdue.xlsx?period=this_month",
    "export dashboard.xlsx, province, this_month": "/monitor/export/dashboard.xlsx?period=this_month",
    "export figures.xlsx by village, province, this_year":
        "/monitor/export/figures.xlsx?period=this_year&group=village",
}


def main() -> None:
    url, label, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    import feedback.monitor.views as monitor_views

    app = stats._app(url)
    monitor_views.now_utc = lambda: stats.NOW
    with app.app_context():
        pages.ensure_accounts(stats.NOW)
    client = app.test_client()
    pages.log_in(client, pages.PROVINCE_USER)
    out = {}
    for name, path in URLS.items():
        client.get(path).get_data()  # the first request: caches warm
        cpu, wall = [], []
        for _ in range(runs):
            c, w = time.process_time(), time.perf_counter()
            response = client.get(path)
            size = len(response.get_data())
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
        out[name] = {"cpu_ms": round(st.median(cpu), 1), "wall_ms": round(st.median(wall), 1), "bytes": size}
        print(f"{label} | {name} | cpu {out[name]['cpu_ms']:,.0f} ms | wall {out[name]['wall_ms']:,.0f} ms | "
              f"{size / 1024:,.0f} KB", flush=True)
    (Path(__file__).parent / f"cpu-{label}.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
