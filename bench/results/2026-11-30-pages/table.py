"""Merge the before/after JSON runs into one Markdown table."""
import json, sys
from pathlib import Path
d = Path(sys.argv[1])
runs = {}
for name in ("before-1", "after-1", "before-2", "after-2"):
    f = d / f"{name}.json"
    if f.exists():
        runs[name] = {p["label"]: p for p in json.loads(f.read_text())["pages"]}
labels = list(runs["before-1"])
def ms(which, label, key="median_ms"):
    got = [runs[n][label][key] for n in (f"{which}-1", f"{which}-2") if n in runs and label in runs[n]]
    return ", ".join(f"{v:,.0f}" for v in got)
print("| page | statements before → after | before ms | after ms | SQL ms before | SQL ms after |")
print("|---|---:|---:|---:|---:|---:|")
for label in labels:
    b, a = runs["before-1"][label], runs.get("after-1", {}).get(label)
    st = f"{b['statements']} → {a['statements']}" if a else f"{b['statements']}"
    print(f"| {label} | {st} | {ms('before', label)} | {ms('after', label)} | {ms('before', label, 'sql_ms')} | {ms('after', label, 'sql_ms')} |")
print()
print("load averages:", {n: json.loads((d / f'{n}.json').read_text()).get('load_average') for n in runs})
