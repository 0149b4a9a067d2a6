"""Time the routing-rules CSV import: generate N rows that never tie and import them.

    python bench/rules_import.py [N]        (default 100000)

Runs against a throw-away SQLite database in a temporary folder (tables made by create_all, a
seeded directory of 200 communes). Prints the time to read and check the file and the time of
the whole import including the insert. Before issue #6 the tie check compared every row with
every other: 1,000 rows took 9 s, 2,000 rows 20 s; now it is linear.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import TestConfig  # noqa: E402
from feedback import create_app  # noqa: E402
from feedback.extensions import db  # noqa: E402
from feedback.models import Locality, LocalityLevel, Topic, Unit, UnitKind  # noqa: E402
from feedback.services import rules  # noqa: E402

HEADER = ",".join(rules.HEADER) + "\n"


def generate(count: int) -> str:
    """``count`` rows over 200 communes × 5 kinds, each with its own run of one-day periods."""
    kinds = ("góp ý", "phản ánh", "kiến nghị", "khiếu nại", "tố cáo")
    start = date(2000, 1, 1)
    lines = [HEADER]
    for i in range(count):
        commune, kind, day = i % 200, kinds[(i // 200) % 5], start + timedelta(days=i // 1000)
        lines.append(f"{10000 + commune:05d},bench,{kind},BENCH-UNIT,{day},{day},dòng {i + 2}\n")
    return "".join(lines)


def seed() -> None:
    province = Locality(code="99", name="Tỉnh thử", kind="tỉnh", level=LocalityLevel.PROVINCE)
    db.session.add(province)
    db.session.flush()
    province.path = f"/{province.id}/"
    for commune in range(200):
        place = Locality(code=f"{10000 + commune:05d}", name=f"Xã thử {commune}", kind="xã",
                         level=LocalityLevel.COMMUNE, parent=province)
        db.session.add(place)
    db.session.add(Topic(code="bench", name="Lĩnh vực thử", depth=1))
    db.session.add(Unit(code="BENCH-UNIT", name="Đơn vị thử", kind=UnitKind.OTHER, active=True))
    db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(TestConfig, UPLOAD_DIR=Path(folder) / "uploads",
                         SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db")
        with app.app_context():
            db.create_all()
            seed()
            text = generate(args.rows)
            checked: list[float] = []
            started = time.perf_counter()
            result = rules.import_rules(io.StringIO(text, newline=""), now=datetime.now(UTC), actor="bench",
                                        progress=lambda done, total: checked.append(time.perf_counter()))
            elapsed = time.perf_counter() - started
            print(f"{args.rows} rows: checked in {checked[-1] - started:.2f} s, imported in {elapsed:.2f} s "
                  f"({result.created} rules, {result.error_count} problems)")
            return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
