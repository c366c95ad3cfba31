"""Generate the demo contact center's raw exports into seeds/.

Example: python scripts/generate_demo_data.py --days 92 --scale 1 --seed 7
Benchmark data (about 10 million call legs):
    python scripts/generate_demo_data.py --scale 60 --format parquet --out benchmarks/data
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from demo_data import DEFAULT_START, FORMATS, DemoOptions, generate


def parse_args(argv: list[str] | None = None) -> DemoOptions:
    """The generator options from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=92, help="days of data (default 92)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 = a 40-seat center; volumes scale with it"
    )
    parser.add_argument("--seed", type=int, default=7, help="same seed, same bytes (default 7)")
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=DEFAULT_START,
        help=f"first day, YYYY-MM-DD (default {DEFAULT_START.isoformat()})",
    )
    parser.add_argument("--out", type=Path, default=Path("seeds"), help="folder (default seeds/)")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="format of the big tables; auto (default): call_legs .parquet, the others .csv.gz;"
        " sites, agents and attendance are always .csv",
    )
    args = parser.parse_args(argv)
    if args.days < 1 or args.scale <= 0:
        parser.error("--days and --scale must be positive")
    return DemoOptions(args.days, args.scale, args.seed, args.start, args.out, args.format)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    began = time.perf_counter()
    files = generate(options, progress=lambda message: print(f"  {message}", file=sys.stderr))
    for written in files:
        size = written.path.stat().st_size
        extra = f", {written.malformed} malformed lines" if written.malformed else ""
        print(f"{written.path}: {written.rows} rows{extra}, {size / 1024:.0f} KiB")
    print(f"done in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
