"""Benchmarks of issue 19: incremental against full builds, CLI start-up, validate.

    python benchmarks/build_bench.py --scale 1m [--reps 2] [--startup-reps 7]

At one scale of the demo (data generated as benchmarks/run.py does, into
benchmarks/data/<scale>/), the call legs go to seeds/call_legs/ as two files: every day but the
last, and the last day (the morning's new export). Then, measured in one run:

- full build of the data without the last day; then the new day's file is added and seeded and
  `mfl build` rebuilds incrementally; then `mfl build --full-refresh` builds the same data from
  scratch. Each further repetition re-exports the last day (one value changed per leg) and runs
  the incremental and the full build again, in turns. Ratio = incremental s / full s, per pair.
  After each pair every table of src and ind and every app view of the incremental build is
  compared row for row with the full build's (EXCEPT ALL both ways).
- peak memory of the full build (the subprocess's RUSAGE_CHILDREN maxrss).
- `mfl query` (warm: its cache entry exists) against
  `python -c "import duckdb; duckdb.connect(db, read_only=True).sql(q).fetchall()"` with the
  SQL mfl runs, in turns; and `mfl validate` (warm).

The figures go to a section of benchmarks/results.md between the BUILD-BENCH markers (kept
by benchmarks/run.py, which keeps everything after its "## Findings" heading).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402 - benchmarks/run.py, beside this file
    HERE,
    REPO,
    generate_data,
    make_project,
    mfl_command,
)

BEGIN, END = "<!-- BUILD-BENCH BEGIN -->", "<!-- BUILD-BENCH END -->"
DAY = "CAST(try_cast(offered_ts AS TIMESTAMP) AS DATE)"
QUERY = (
    "--metrics",
    "offered_calls,abandonment_rate,aht_seconds",
    "--by",
    "queue",
    "--grain",
    "week",
)


# A child's peak RSS starts from its parent's at the fork (Linux keeps the larger across the
# exec), so a build started from this script, which generated 10M rows in-process, read 5.6
# GiB for a build that `/usr/bin/time -v` measured at 2.6 GiB. The builds whose peak is
# reported start from a small launcher, which times its own child and reports that child's
# peak: what the command itself used.
LAUNCHER = """
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as out:
    out.write(f"{seconds} {peak}")
sys.exit(code)
"""


def timed(command: list[str], cwd: Path, peak: bool = False) -> tuple[float, float, str]:
    """Wall seconds, peak MiB (0 unless `peak`) and stdout of one run."""
    report = cwd / ".peak" if peak else None
    launched = [sys.executable, "-c", LAUNCHER, str(report), *command] if report else command
    # the pages the commands before wrote are flushed first: their writeback, which the kernel
    # does whenever it likes, fell inside whichever command came next (an incremental build
    # after a full one took 2.0 s or 2.8 s by that alone)
    os.sync()
    started = time.perf_counter()
    process = subprocess.run(launched, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stdout}\n{process.stderr}")
    if report is None:
        return seconds, 0.0, process.stdout
    measured, maxrss = report.read_text().split()
    report.unlink()
    return float(measured), int(maxrss) / 1024, process.stdout


def split_call_legs(project: Path, reexport: int = 0) -> str:
    """seeds/call_legs/{base,last}.parquet from the generated file; the last day's date."""
    generated = project / "seeds" / "call_legs.parquet"
    folder = project / "seeds" / "call_legs"
    whole = project / "call_legs_all.parquet"  # outside seeds/: not loaded itself
    con = duckdb.connect()
    source = f"read_parquet('{whole}')"
    if generated.exists():
        folder.mkdir(exist_ok=True)
        shutil.move(generated, whole)
    [[last]] = con.execute(f"SELECT max({DAY}) - 1 FROM {source}").fetchall()
    if not (folder / "call_legs_base.parquet").exists():
        con.execute(
            f"COPY (SELECT * FROM {source} WHERE {DAY} < DATE '{last}' OR {DAY} IS NULL)"
            f" TO '{folder / 'call_legs_base.parquet'}'"
        )
    # the re-export changes each leg's talk time, so every value of the day is new
    con.execute(
        f"COPY (SELECT * REPLACE (CAST(try_cast(talk_seconds AS INTEGER) + {reexport} AS VARCHAR)"
        f" AS talk_seconds) FROM {source} WHERE {DAY} >= DATE '{last}')"
        f" TO '{project / 'last_day.parquet'}'"
    )
    con.close()
    return str(last)


def _significant(column: str, offset: float = 0.0) -> str:
    """A DOUBLE column cut to 9 significant digits (0 and NULL as they are): the bucket of
    the grid of 1e-9 relative steps, shifted by `offset` of a step, that holds it."""
    value = f'"{column}"'
    unit = f"pow(10, CAST(floor(log10(abs({value}))) AS INTEGER) - 8)"
    plain = f"{value} = 0 OR isnan({value}) OR isinf({value})"
    # a change between two sums equal but for their last digits is 0 or 1e-16 by the order
    # the rows were added in: no relative grid holds both, an absolute one does
    noise = f"abs({value}) < 1e-12"
    return (
        f"CASE WHEN {plain} THEN {value} WHEN {noise} THEN 0"
        f" ELSE floor({value} / {unit} + {offset}) END"
    )


CLOSE_ROWS_LIMIT = 2_000_000  # rows of a table compared value by value in Python


def _close_rows(
    con: duckdb.DuckDBPyConnection, p: str, q: str, types: list[tuple[str, str]]
) -> bool:
    """Whether two tables hold the same rows with every double within 1e-9 of the other's
    (1e-12 near 0), row by row in the order of their other columns. The grids of compare()
    miss this when a table has so many doubles that, on each grid, some value straddles a
    step (the 10M demo's app.team_capacity_month: 105 rows on one grid, 1 on the other)."""
    doubles = {c for c, t in types if t in ("DOUBLE", "FLOAT", "REAL")}
    others = [f'"{c}"' for c, _ in types if c not in doubles]
    order = ", ".join([*others, *(f'"{c}"' for c in sorted(doubles))]) or "1"
    sizes = [con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in (p, q)]
    if sizes[0] != sizes[1] or sizes[0] > CLOSE_ROWS_LIMIT:
        return False
    names = [c for c, _ in types]
    left = con.execute(f"SELECT * FROM {p} ORDER BY {order} NULLS FIRST").fetchall()
    right = con.execute(f"SELECT * FROM {q} ORDER BY {order} NULLS FIRST").fetchall()
    for row_a, row_b in zip(left, right, strict=True):
        for name, x, y in zip(names, row_a, row_b, strict=True):
            if name in doubles and x is not None and y is not None:
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
                    return False
            elif x != y:
                return False
    return True


def compare(a: Path, b: Path) -> list[str]:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # its redraws filled the run's log
    con.execute(f"ATTACH '{a}' AS x (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS y (READ_ONLY)")
    names = con.execute(
        "SELECT DISTINCT table_schema, table_name FROM information_schema.tables"
        " WHERE table_catalog IN ('x', 'y') AND table_schema IN ('src', 'ind', 'app')"
    ).fetchall()
    differ = []
    for schema, name in sorted(names):
        p, q = f'x."{schema}"."{name}"', f'y."{schema}"."{name}"'
        # doubles to 9 significant digits: a sum of doubles depends on the order it adds rows
        # in, and a kept table's rows are in another order than a rebuilt one's (the last
        # digits differ; 9 decimals of a sum of seconds in the billions was past them). Two
        # values that close can still fall on either side of a step of the grid (101877.1925
        # and 101877.19249999967 did): a table is equal when its rows are on one grid or on
        # the grid shifted by half a step, where no two values closer than that straddle.
        types = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_catalog = 'x' AND table_schema = ? AND table_name = ?"
            " ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
        equal = False
        for offset in (0.0, 0.5):
            columns = ", ".join(
                _significant(c, offset) if t in ("DOUBLE", "FLOAT", "REAL") else f'"{c}"'
                for c, t in types
            )
            try:
                counts = con.execute(
                    f"SELECT count(*) FROM (SELECT {columns} FROM {p}"
                    f" EXCEPT ALL SELECT {columns} FROM {q})"
                    f" UNION ALL SELECT count(*) FROM (SELECT {columns} FROM {q}"
                    f" EXCEPT ALL SELECT {columns} FROM {p})"
                ).fetchall()
            except duckdb.Error:
                counts = [(-1,)]
            equal = equal or counts == [(0,), (0,)]
        if not equal:
            equal = _close_rows(con, p, q, types)
        if not equal:
            differ.append(f"{schema}.{name}")
    con.close()
    return [f"{len(names)} objects", *differ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="1m")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--startup-reps", type=int, default=7)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    args = parser.parse_args()
    mfl = mfl_command()
    load_before = os.getloadavg()
    seeds, _ = generate_data(args.scale, args.data)
    project = make_project(REPO, seeds, args.data / args.scale / "build-bench")
    last = split_call_legs(project)
    log = print
    timed([*mfl, "seed"], project)
    full_base, _, _ = timed([*mfl, "build", "--full-refresh"], project)
    log(f"full build without the last day: {full_base:.2f} s")
    warehouse = project / "target" / "warehouse.duckdb"
    pairs = []
    checks = []
    peak = 0.0
    for rep in range(args.reps):
        if rep:
            split_call_legs(project, reexport=rep)
        folder = project / "seeds" / "call_legs"
        os.replace(project / "last_day.parquet", folder / f"call_legs_{last}.parquet")
        timed([*mfl, "seed"], project)
        incremental, _, said = timed([*mfl, "build"], project)
        shutil.copyfile(warehouse, project / "target" / "incremental.duckdb")
        full, rss, _ = timed([*mfl, "build", "--full-refresh"], project, peak=True)
        peak = max(peak, rss)
        checks.append(compare(project / "target" / "incremental.duckdb", warehouse))
        pairs.append((incremental, full, said.strip().splitlines()[-1].split(": ", 1)[-1]))
        log(f"incremental {incremental:.2f} s ({pairs[-1][2]}), full {full:.2f} s")
    # start-up: a warm mfl query against a bare duckdb script running the same SQL
    sql = timed([*mfl, "query", *QUERY, "--sql"], project)[2]
    floor = [
        sys.executable,
        "-c",
        "import duckdb, sys;"
        " duckdb.connect(sys.argv[1], read_only=True).sql(sys.argv[2]).fetchall()",
        str(warehouse),
        sql,
    ]
    timed([*mfl, "query", *QUERY], project)
    query_pairs, validate_runs = [], []
    timed([*mfl, "validate"], project)
    for _ in range(args.startup_reps):
        a = timed([*mfl, "query", *QUERY], project)[0]
        b = timed(floor, project)[0]
        query_pairs.append((a, b))
        validate_runs.append(timed([*mfl, "validate"], project)[0])
    load_after = os.getloadavg()
    write_results(
        args,
        full_base,
        pairs,
        checks,
        peak,
        query_pairs,
        validate_runs,
        load_before,
        load_after,
    )


def write_results(
    args: argparse.Namespace,
    full_base: float,
    pairs: list[tuple[float, float, str]],
    checks: list[list[str]],
    peak: float,
    query_pairs: list[tuple[float, float]],
    validate_runs: list[float],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    ratios = [i / f for i, f, _ in pairs]
    qratios = [a / b for a, b in query_pairs]
    lines = [
        BEGIN,
        "## Incremental builds and start-up (`benchmarks/build_bench.py`)",
        "",
        f"`python benchmarks/build_bench.py --scale {args.scale} --reps {args.reps}"
        f" --startup-reps {args.startup_reps}` on {time.strftime('%Y-%m-%d %H:%M')};"
        f" python {platform.python_version()}, duckdb {duckdb.__version__},"
        f" {os.cpu_count()} cores. Load average (1/5/15 min) at the start:"
        f" {' / '.join(f'{x:.2f}' for x in load_before)}; at the end:"
        f" {' / '.join(f'{x:.2f}' for x in load_after)}.",
        "",
        f"Full build of the data without the last day: {full_base:.2f} s.",
        "",
        "| pair | incremental s | what it did | full build s | ratio | equal, table by table |",
        "|---:|---:|---|---:|---:|---|",
    ]
    for n, ((inc, full, said), check) in enumerate(zip(pairs, checks, strict=True), 1):
        equal = "yes, " + check[0] if len(check) == 1 else "NO: " + ", ".join(check[1:])
        lines.append(f"| {n} | {inc:.2f} | {said} | {full:.2f} | {inc / full:.3f} | {equal} |")
    lines += [
        "",
        f"Median ratio incremental / full: **{statistics.median(ratios):.3f}**;"
        f" peak memory of the full build {peak:.0f} MiB.",
        "",
        "| command | median s (min-max) | against |",
        "|---|---:|---|",
        f"| `mfl query {' '.join(QUERY)}` (warm) |"
        f" {statistics.median(a for a, _ in query_pairs):.3f}"
        f" ({min(a for a, _ in query_pairs):.3f}-{max(a for a, _ in query_pairs):.3f}) |"
        f" bare duckdb script {statistics.median(b for _, b in query_pairs):.3f} s:"
        f" ratio **{statistics.median(qratios):.2f}** (pairs in turns) |",
        f"| `mfl validate` (warm) | {statistics.median(validate_runs):.3f}"
        f" ({min(validate_runs):.3f}-{max(validate_runs):.3f}) | < 0.3 s |",
        END,
    ]
    block = "\n".join(lines) + "\n"
    text = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    args.out.write_text(text, encoding="utf-8")
    print(block)


if __name__ == "__main__":
    main()
