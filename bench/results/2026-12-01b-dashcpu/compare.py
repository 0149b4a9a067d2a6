"""A Markdown table of ab_cpu.py's runs: per page, main's CPU ms in each run (the median, and the
least when the run kept it), the branch's, and the statements (main → branch).
    python compare.py base-1.json,base-2.json new-1.json,new-2.json"""
import json, sys
from pathlib import Path
sides = [[json.loads(Path(f).read_text()) for f in arg.split(",")] for arg in sys.argv[1:3]]
labels = [p["label"] for p in sides[0][0]["pages"]]
def of(run, label):
    return next(p for p in run["pages"] if p["label"] == label)
def ms(page):
    return f"{page['cpu_ms']} ({page['least_ms']})" if "least_ms" in page else str(page["cpu_ms"])
print("| page | main: CPU ms, median (least) | branch: CPU ms, median (least) | statements main → branch |")
print("|---|---:|---:|---:|")
for label in labels:
    base = [of(r, label) for r in sides[0]]; new = [of(r, label) for r in sides[1]]
    print(f"| {label} | {', '.join(ms(p) for p in base)} | {', '.join(ms(p) for p in new)} "
          f"| {base[0]['statements']} → {new[0]['statements']} |")
