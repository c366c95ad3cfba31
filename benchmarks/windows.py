"""Benchmark of window metrics: a rolling 7-day rate and a rolling 7-day distinct count.

    python benchmarks/windows.py [--legs 1m] [--days 365] [--reps 5]

Generates the demo contact center over a whole year (365 days, seed 7; `--days` for fewer
days with the per-day volume scaled up to the same number of legs; a year of 10M legs takes
about 6 GB of memory and 9 minutes to generate on 2 cores) into
benchmarks/data/windows-<legs>[-<days>d]/ (kept between runs), seeds and builds a copy of
the project there, then times, in turns after a warm-up, on one read-only connection:

1. `abandonment_rate_7d` by queue at day grain over all the days (a rolling window over the
   day table's partials) against the same plain `abandonment_rate` (target: <= 2x);
2. `callers_7d` at day grain over all the days (distinct customers recomputed from each
   window's rows) against a hand-written DuckDB query of the same thing (target: <= 1.2x).

Every run checks that the rows equal hand-written SQL (1e-9 relative). The figures go into
the "Windows" block of benchmarks/results.md's Findings section, which run.py keeps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (benchmarks/run.py: the shared timing and project helpers)

DAYS = 365
# Call legs the generator writes per day at --scale 1 (645k over 365 days, 162k over 92; below
# scale 1 a floor of agents and volumes keeps it higher: 0.155 and 0.438 both gave ~360k)
LEGS_PER_DAY_AT_SCALE_1 = 645_000 / 365
BEGIN = "<!-- windows benchmark: written by benchmarks/windows.py -->"
END = "<!-- /windows benchmark -->"


def markers(label: str, days: int) -> tuple[str, str]:
    """The comments around a run's block in results.md: one block per data set (the year of
    1m legs keeps the first markers)."""
    tag = folder(label, days)
    if tag == "windows-1m":
        return BEGIN, END
    return (
        f"<!-- windows benchmark {tag}: written by benchmarks/windows.py -->",
        f"<!-- /windows benchmark {tag} -->",
    )


C1 = "direction = 'inbound' AND leg_seq = 1"
HAND_RATE = f"""
WITH daily AS (
    SELECT CAST(offered_ts AS DATE) AS day, queue,
           count(*) FILTER (WHERE {C1} AND answered_ts IS NULL) AS abandoned,
           count(*) FILTER (WHERE {C1}) AS offered
    FROM src.call_legs WHERE offered_ts IS NOT NULL GROUP BY 1, 2
)
SELECT day, queue,
       CAST(sum(abandoned) OVER w AS DOUBLE) / nullif(sum(offered) OVER w, 0)
FROM daily
WINDOW w AS (PARTITION BY queue ORDER BY day RANGE BETWEEN INTERVAL 6 DAY PRECEDING
             AND CURRENT ROW)
"""
HAND_DISTINCT = f"""
SELECT d.day, count(DISTINCT c.customer_id)
FROM (SELECT CAST(range AS DATE) AS day
      FROM range(DATE '{{start}}', DATE '{{end}}' + INTERVAL 1 DAY, INTERVAL 1 DAY)) AS d
JOIN src.call_legs AS c
  ON c.offered_ts >= d.day - INTERVAL 6 DAY AND c.offered_ts < d.day + INTERVAL 1 DAY
WHERE {C1}
GROUP BY 1
"""


def folder(label: str, days: int) -> str:
    """benchmarks/data/<folder>: windows-1m for a year, windows-10m-92d for 92 days."""
    return f"windows-{label}" + ("" if days == DAYS else f"-{days}d")


def generate(label: str, days: int, data: Path) -> tuple[Path, float | None]:
    """The days of demo data for a number of call legs (reused when already generated)."""
    seeds = data / folder(label, days) / "seeds"
    scale = run.legs_of(label) / (LEGS_PER_DAY_AT_SCALE_1 * days)
    wanted = {"days": days, "scale": round(scale, 4), "seed": run.SEED}
    marker = seeds / ".generated.json"
    # a table the project now declares (seeds/<table>.yml) that older data lacks: regenerate
    tables = {yml.stem for yml in (run.REPO / "seeds").glob("*.yml")}
    written = [f for f in seeds.rglob("*") if f.is_file() and not f.name.startswith(".")]
    present = {f.relative_to(seeds).parts[0].split(".")[0] for f in written}
    if marker.exists() and json.loads(marker.read_text()) == wanted and tables <= present:
        return seeds, None
    if seeds.exists():
        shutil.rmtree(seeds)
    run.log(f"generating {label} call legs over {days} days (scale {scale:.3f})")
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(run.REPO / "scripts" / "generate_demo_data.py"),
            *("--days", str(days), "--scale", str(wanted["scale"])),
            *("--seed", str(run.SEED), "--out", str(seeds)),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(json.dumps(wanted))
    return seeds, time.perf_counter() - started


def measure(project_dir: Path, reps: int) -> dict[str, Any]:
    """Both comparisons: timings, ratios and the rows each side returned."""
    from metricflow_lite.jobs.pipeline import make_request, run_query
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec
    from metricflow_lite.warehouse import connect

    project = load_project(project_dir)
    spec = load_spec(project)
    warehouse = connect(project, read_only=True)
    con = warehouse.connection  # type: ignore[attr-defined]
    first, last = con.execute(
        "SELECT min(CAST(offered_ts AS DATE)), max(CAST(offered_ts AS DATE)) FROM src.call_legs"
    ).fetchone()
    start, end = first.isoformat(), last.isoformat()

    def api(metrics: str, by: str | None) -> Any:
        request = make_request(spec, metrics, by, "day", start, end)
        return run_query(project, warehouse, request, spec).rows

    out: dict[str, Any] = {"start": start, "end": end, "legs": con.execute(
        "SELECT count(*) FROM src.call_legs").fetchone()[0]}  # fmt: skip
    try:
        (rolling, rolling_rows), (plain, _) = run.timed_pair(
            lambda: api("abandonment_rate_7d", "queue"), lambda: api("abandonment_rate", "queue"),
            reps,
        )  # fmt: skip
        hand_rate = con.execute(HAND_RATE).fetchall()
        check("abandonment_rate_7d", rolling_rows, hand_rate, keys=2)
        (window, window_rows), (hand, hand_rows) = run.timed_pair(
            lambda: api("callers_7d", None),
            lambda: con.execute(HAND_DISTINCT.format(start=start, end=end)).fetchall(),
            reps,
        )
        check("callers_7d", window_rows, hand_rows, keys=1)
    finally:
        warehouse.close()
    out.update(
        rolling=rolling, plain=plain, window=window, hand=hand, rows=len(rolling_rows),
        days=len(window_rows),
    )  # fmt: skip
    return out


def check(
    name: str, got: Sequence[Sequence[Any]], hand: Sequence[Sequence[Any]], keys: int
) -> None:
    """mfl's rows equal the hand query's (1e-9 relative) on every row the hand query has; a
    row only mfl has is a day whose window has calls but which has none itself."""
    ours = run.normalise(got, keys)
    theirs = run.normalise(hand, keys)
    missing = sorted(set(theirs) - set(ours), key=repr)[:5]
    assert not missing, f"{name}: rows missing from mfl: {missing}"
    run.assert_same(name, {k: ours[k] for k in theirs}, theirs, "in-process")


def report(label: str, days: int, found: dict[str, Any], generated: float | None, load: str) -> str:
    rolling, plain, window, hand = found["rolling"], found["plain"], found["window"], found["hand"]
    rate_ratio = rolling.median / plain.median
    distinct_ratio = window.median / hand.median
    made = f"{generated:.0f} s" if generated is not None else "reused from an earlier run"
    command = f"--legs {label}" + ("" if days == DAYS else f" --days {days}")
    span = "a year" if days == DAYS else f"{days} days, the per-day volume scaled up"
    begin, end = markers(label, days)
    return "\n".join(
        [
            begin,
            "### Windows (benchmarks/windows.py)"
            + ("" if days == DAYS and label == "1m" else f", {label} legs over {days} days"),
            "",
            f"Run on {dt.date.today()} with `python benchmarks/windows.py {command}`:"
            f" {found['legs']:,} call legs over {found['start']}..{found['end']} ({span};"
            f" generated: {made}); medians of {len(rolling.runs)} runs after a warm-up, in"
            f" turns, min-max in brackets; load average before the run {load} on 2 cores"
            " shared with other work, so single runs vary by tens of percent.",
            "",
            "| query | mfl (s) | against (s) | ratio | target | met |",
            "|---|---:|---:|---:|---:|---|",
            f"| `abandonment_rate_7d` by queue, day grain, all days ({found['rows']:,} rows)"
            f" against plain `abandonment_rate` | {rolling.median:.3f} ({rolling.spread})"
            f" | {plain.median:.3f} ({plain.spread}) | {rate_ratio:.2f} | <= 2 |"
            f" {'yes' if rate_ratio <= 2 else 'no'} |",
            f"| `callers_7d`, day grain, all days ({found['days']:,} rows) against hand-written"
            f" SQL | {window.median:.3f} ({window.spread}) | {hand.median:.3f} ({hand.spread})"
            f" | {distinct_ratio:.2f} | <= 1.2 | {'yes' if distinct_ratio <= 1.2 else 'no'} |",
            "",
            "The rolling rate reads the day table's partials of each 7-day frame (one join of"
            " the frames to a day x queue table); the distinct count joins each day's frame"
            " to the call legs of its 7 days, as the hand-written query does. Both equal"
            " hand-written SQL row for row.",
            end,
        ]
    )


def write(results: Path, block: str, label: str, days: int) -> None:
    """Put the block at the end of the Findings section (replacing an earlier one)."""
    begin, end = markers(label, days)
    text = results.read_text(encoding="utf-8") if results.exists() else "## Findings\n"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        after = rest.split(end, 1)[1]
        text = before.rstrip("\n") + "\n\n" + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    results.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", default="1m", help="call legs over the year: 1m, 10m")
    parser.add_argument("--days", type=int, default=DAYS, help="days of data (default 365)")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions (default 5)")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="generated data")
    parser.add_argument("--out", type=Path, default=HERE / "results.md", help="results file")
    options = parser.parse_args(argv)
    load = run.load_average()
    seeds, generated = generate(options.legs, options.days, options.data)
    project = run.make_project(
        run.REPO, seeds, options.data / folder(options.legs, options.days) / "project"
    )
    run.log("seeding and building")
    run.mfl_seed(project)
    run.build_once(project)
    run.log("measuring")
    found = measure(project, options.reps)
    block = report(options.legs, options.days, found, generated, load)
    write(options.out, block, options.legs, options.days)
    print(block)


if __name__ == "__main__":
    os.environ.setdefault("MFL_PROJECT_DIR", str(run.REPO))
    main()
