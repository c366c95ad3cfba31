"""Benchmarks: load, build, query, compile and memory at several data scales.

    python benchmarks/run.py --scales 100k,1m,10m [--with-metricflow]

Generates the demo contact center at each scale into benchmarks/data/<scale>/ (kept between
runs), builds a copy of the project there, measures, and writes benchmarks/results.md.
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LEGS_AT_SCALE_1 = 162_364  # call legs the generator writes at --scale 1 (92 days)
DAYS = 92
SEED = 7
RELATIVE_TOLERANCE = 1e-9
LARGE = 5_000_000  # call legs from which load and build run once (load after a warm-up)
PROJECT_PARTS = ("metricflow_lite.yml", "models", "metrics", "reports")
METRICFLOW_PACKAGES = ("dbt-core<1.11", "dbt-metricflow", "dbt-duckdb")
# DuckDB's reader told what the exports are (its sniffer gives up on the demo's malformed
# lines): text columns, as raw.* keeps them, bad lines skipped rather than kept as rejects
PLAIN_CSV = (
    "read_csv(?, header = true, delim = ',', quote = '\"', escape = '\"', all_varchar = true,"
    " ignore_errors = true)"
)
RSS_HELPER = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


# --- options -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    scales: tuple[str, ...]
    reps: int
    data: Path
    project: Path
    out: Path
    with_metricflow: bool
    sections: tuple[str, ...]
    compile_sizes: tuple[int, ...]
    quiet: bool = False


SECTIONS = ("load", "build", "query", "compile", "memory")


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100k,1m", help="call legs per scale: 100k,1m,10m")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions (default 5)")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="generated data")
    parser.add_argument("--project", type=Path, default=REPO, help="project to copy (repo root)")
    parser.add_argument("--out", type=Path, default=HERE / "results.md", help="results file")
    parser.add_argument("--with-metricflow", action="store_true", help="also run dbt MetricFlow")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"sections to run: {','.join(SECTIONS)}"
    )
    parser.add_argument("--compile-sizes", default="100,1000", help="metrics per compile test")
    args = parser.parse_args(argv)
    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    if unknown := set(sections) - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    return Options(
        scales=tuple(s.strip().lower() for s in args.scales.split(",") if s.strip()),
        reps=max(1, args.reps),
        data=args.data.resolve(),
        project=args.project.resolve(),
        out=args.out.resolve(),
        with_metricflow=args.with_metricflow,
        sections=sections,
        compile_sizes=tuple(int(n) for n in args.compile_sizes.split(",") if n.strip()),
    )


def legs_of(label: str) -> int:
    """Call legs a scale label stands for: 100k -> 100,000; 1m -> 1,000,000."""
    units = {"k": 1_000, "m": 1_000_000}
    if label[-1] in units:
        return int(float(label[:-1]) * units[label[-1]])
    return int(label)


# --- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds of repeated runs after a warm-up."""

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def spread(self) -> str:
        return f"{min(self.runs):.3f}-{max(self.runs):.3f}"


def timed(fn: Callable[[], Any], reps: int, warmup: int = 1) -> tuple[Timing, Any]:
    """Run fn warmup + reps times; the timings of the last reps and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    runs = []
    for _ in range(reps):
        started = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - started)
    return Timing(tuple(runs)), result


def timed_pair(
    first: Callable[[], Any], second: Callable[[], Any], reps: int, warmup: int = 1
) -> tuple[tuple[Timing, Any], tuple[Timing, Any]]:
    """Like timed() for two functions whose times are compared, run in turns (first, second,
    first, ...) so that a machine that slows down or speeds up midway weighs on both alike."""
    results: list[Any] = [None, None]
    runs: list[list[float]] = [[], []]
    for i in range(warmup + reps):
        for j, fn in enumerate((first, second)):
            started = time.perf_counter()
            results[j] = fn()
            if i >= warmup:
                runs[j].append(time.perf_counter() - started)
    return (Timing(tuple(runs[0])), results[0]), (Timing(tuple(runs[1])), results[1])


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


@functools.cache
def mfl_command() -> tuple[str, ...]:
    """The mfl entry point of the running interpreter's environment, its bytecode compiled:
    an installed package has it, but an editable checkout run with PYTHONDONTWRITEBYTECODE=1
    (as some sandboxes and CI images set) compiles every module it imports on every start,
    0.1 s of each command that no user pays."""
    import compileall

    import metricflow_lite

    compileall.compile_dir(str(Path(metricflow_lite.__file__).parent), quiet=1)
    script = Path(sys.executable).with_name("mfl")
    if script.exists():
        return (str(script),)
    return (sys.executable, "-c", "from metricflow_lite.cli import main; main()")


def peak_rss_mib(command: Sequence[str], cwd: Path | None = None) -> float:
    """Peak resident memory of a command, read from a helper's RUSAGE_CHILDREN."""
    done = subprocess.run(
        [sys.executable, "-c", RSS_HELPER, *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    kib = int(done.stdout.strip().splitlines()[-1])
    return kib / 1024


# --- data and projects -------------------------------------------------------------------------


def generate_data(label: str, data: Path) -> tuple[Path, float | None]:
    """The generated seeds of a scale and the seconds generation took (None when the files of
    an earlier run with the same options were reused; a marker records the options)."""
    seeds = data / label / "seeds"
    scale = legs_of(label) / LEGS_AT_SCALE_1
    wanted = {"days": DAYS, "scale": round(scale, 4), "seed": SEED}
    marker = seeds / ".generated.json"
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return seeds, None
    if seeds.exists():
        shutil.rmtree(seeds)
    log(f"generating {label} (scale {scale:.3f}) into {seeds}")
    command = [
        sys.executable,
        str(REPO / "scripts" / "generate_demo_data.py"),
        "--days",
        str(DAYS),
        "--scale",
        str(wanted["scale"]),
        "--seed",
        str(SEED),
        "--out",
        str(seeds),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    log(f"generated {label} in {seconds:.0f} s")
    marker.write_text(json.dumps(wanted))
    return seeds, seconds


DUCKDB_READS = (".csv", ".csv.gz", ".parquet")  # what DuckDB's own readers take
EXCEL = (".xlsx", ".xls")  # the demo's attendance export; DuckDB needs an extension for it


def seed_files(seeds: Path, excel: bool = False) -> list[Path]:
    """The data files under seeds/ that DuckDB reads too; with `excel`, the sheets as well."""
    endings = DUCKDB_READS + EXCEL if excel else DUCKDB_READS
    return sorted(p for p in seeds.rglob("*") if p.is_file() and p.name.endswith(endings))


def make_project(source: Path, seeds: Path, dest: Path) -> Path:
    """A copy of the project whose seeds/ are the generated files (hard links where possible)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for part in PROJECT_PARTS:
        path = source / part
        if path.is_dir():
            shutil.copytree(path, dest / part)
        elif path.exists():
            shutil.copy2(path, dest / part)
    (dest / "seeds").mkdir()
    for yml in (source / "seeds").glob("*.yml"):
        shutil.copy2(yml, dest / "seeds" / yml.name)
    for file in seed_files(seeds, excel=True):
        link_or_copy(file, dest / "seeds" / file.relative_to(seeds))
    return dest


def link_or_copy(file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(file, target)
    except OSError:
        shutil.copy2(file, target)


# --- load --------------------------------------------------------------------------------------


@dataclass
class ScaleResult:
    label: str
    legs: int = 0
    rows: int = 0
    load_mfl: Timing | None = None
    load_duckdb: Timing | None = None
    csv_rows: int = 0  # the same, for the CSV files alone (every table but call_legs)
    load_csv_mfl: Timing | None = None
    load_csv_duckdb: Timing | None = None
    build: Timing | None = None
    build_layers: dict[str, float] = field(default_factory=dict)
    queries: list[QueryResult] = field(default_factory=list)
    rss_build_mib: float | None = None
    rss_query_mib: float | None = None
    load_avg: str = ""
    generate_s: float | None = None  # None: generated data of an earlier run was reused
    measure_s: float = 0.0  # wall time of this scale's load, build, query and memory steps


def mfl_seed(project_dir: Path) -> int:
    from metricflow_lite.seeds.load import load_seeds
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.warehouse import connect

    (project_dir / "target" / "warehouse.duckdb").unlink(missing_ok=True)
    project = load_project(project_dir)
    warehouse = connect(project)
    try:
        summary = load_seeds(project, warehouse)
    finally:
        warehouse.close()
    return int(summary.rows)


def duckdb_read(files: Sequence[Path], db: Path) -> int:
    """DuckDB's own readers, each file into a table of a fresh database file."""
    import duckdb

    db.unlink(missing_ok=True)
    rows = 0
    with duckdb.connect(str(db)) as con:
        for i, file in enumerate(files):
            reader = "read_parquet(?)" if is_parquet(file) else PLAIN_CSV
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM {reader}", [str(file)])
            rows += con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0]
    return rows


def readable_project(project_dir: Path, parquet: bool) -> Path:
    """A project beside project_dir with only the seed tables DuckDB's own readers take (hard
    links): without the Excel sheets, and without the parquet tables unless `parquet`, so that
    mfl seed and DuckDB load the same files (its CSV reader alone when not `parquet`)."""
    dest = project_dir.parent / ("project-readable" if parquet else "project-csv")
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "seeds").mkdir(parents=True)
    shutil.copy2(project_dir / "metricflow_lite.yml", dest / "metricflow_lite.yml")
    seeds = project_dir / "seeds"
    files = seed_files(seeds, excel=True)
    left_out = {
        f.relative_to(seeds).parts[0].split(".")[0]
        for f in files
        if f.name.endswith(EXCEL) or (is_parquet(f) and not parquet)
    }
    for file in files:
        table = file.relative_to(seeds).parts[0].split(".")[0]
        if table in left_out:
            continue
        link_or_copy(file, dest / "seeds" / file.relative_to(seeds))
        yml = seeds / f"{table}.yml"
        if yml.exists() and not (dest / "seeds" / yml.name).exists():
            shutil.copy2(yml, dest / "seeds" / yml.name)
    return dest


def is_parquet(file: Path) -> bool:
    return file.suffix == ".parquet"


def bench_load(
    result: ScaleResult, project_dir: Path, reps: int, warmup: int, warm_mfl: bool = True
) -> None:
    """DuckDB's readers and mfl seed in turns (DuckDB, mfl, DuckDB, ...), so that the kernel
    writing back what the last step wrote, or a neighbour on the machine, weighs on both; first
    `warmup` runs of DuckDB's readers, which bring the files into the page cache, and of mfl
    when warm_mfl (at 10m its warm-up would cost 40 s). Then the CSV files alone, likewise."""
    readable = readable_project(project_dir, parquet=True)
    files = seed_files(readable / "seeds")
    plain_db = project_dir.parent / "plain.duckdb"
    pair_warmup = warmup if warm_mfl else 0
    for _ in range(warmup - pair_warmup):
        duckdb_read(files, plain_db)
    (result.load_duckdb, plain_rows), (result.load_mfl, rows) = timed_pair(
        lambda: duckdb_read(files, plain_db), lambda: mfl_seed(readable), reps, pair_warmup
    )
    shutil.rmtree(readable)
    result.rows = rows
    log(f"load: mfl {result.load_mfl.median:.2f}s, duckdb {result.load_duckdb.median:.2f}s")
    if rows != plain_rows:
        log(f"note: mfl seed loaded {rows} rows, DuckDB's readers {plain_rows}")
    csv_project = readable_project(project_dir, parquet=False)
    csv_files = seed_files(csv_project / "seeds")
    (result.load_csv_duckdb, _), (result.load_csv_mfl, result.csv_rows) = timed_pair(
        lambda: duckdb_read(csv_files, plain_db),
        lambda: mfl_seed(csv_project),
        reps,
        pair_warmup,
    )
    plain_db.unlink(missing_ok=True)
    shutil.rmtree(csv_project)
    log(
        f"load, CSV files only: mfl {result.load_csv_mfl.median:.2f}s,"
        f" duckdb {result.load_csv_duckdb.median:.2f}s"
    )


# --- build -------------------------------------------------------------------------------------


BUILD_HELPER = """
import json, resource, sys, time
from metricflow_lite.jobs.pipeline import build_project
from metricflow_lite.spec.project import load_project
from metricflow_lite.warehouse import connect
started = time.perf_counter()
project = load_project(sys.argv[1])
warehouse = connect(project)
try:
    layers = dict(build_project(project, warehouse).seconds_per_layer)
finally:
    warehouse.close()
seconds = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "layers": layers, "rss_mib": rss}))
"""


def build_once(project_dir: Path) -> dict[str, Any]:
    """One `mfl build` (build_project) in a fresh interpreter: seconds, layers, peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", BUILD_HELPER, str(project_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def bench_build(result: ScaleResult, project_dir: Path, reps: int, warmup: int) -> None:
    runs = [build_once(project_dir) for _ in range(warmup + reps)][warmup:]
    result.build = Timing(tuple(r["seconds"] for r in runs))
    result.build_layers = {
        name: statistics.median(r["layers"][name] for r in runs) for name in runs[0]["layers"]
    }
    result.rss_build_mib = max(r["rss_mib"] for r in runs)
    log(f"build: {result.build.median:.2f}s {result.build_layers}")


# --- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StandardQuery:
    name: str
    metrics: str
    by: str
    grain: str
    additive: bool
    hand_sql: str
    start: str | None = None
    end: str | None = None
    where: str | None = None


REPORT_DAY = "2024-11-11"  # Double 11: the busiest day of the demo data

STANDARD_QUERIES = (
    StandardQuery(
        "abandonment rate + AHT by queue by week",
        "abandonment_rate,aht_seconds",
        "queue",
        "week",
        True,
        """
        SELECT date_trunc('week', offered_ts)::DATE AS week, queue,
               sum(is_abandoned::INT)::DOUBLE / nullif(sum(is_offered_call::INT), 0),
               sum(CASE WHEN is_handled THEN handle_seconds END)::DOUBLE
                   / nullif(sum(is_handled::INT), 0)
        FROM src.call_legs
        WHERE offered_ts IS NOT NULL
        GROUP BY ALL
        """,
    ),
    StandardQuery(
        "CPH and occupancy by team by month",
        "cph,occupancy",
        "team",
        "month",
        True,
        """
        WITH calls AS (
            SELECT date_trunc('month', l.offered_ts)::DATE AS month, a.team,
                   sum(l.is_handled::INT) AS handled,
                   sum(CASE WHEN l.is_handled THEN l.handle_seconds END) AS handle_seconds
            FROM src.call_legs AS l LEFT JOIN src.agents AS a ON l.agent_id = a.agent_id
            WHERE l.offered_ts IS NOT NULL
            GROUP BY ALL
        ), shifts AS (
            SELECT date_trunc('month', s.shift_date)::DATE AS month, a.team,
                   sum(s.staffed_seconds) AS staffed_seconds
            FROM src.attendance AS s LEFT JOIN src.agents AS a ON s.agent_id = a.agent_id
            WHERE s.shift_date IS NOT NULL
            GROUP BY ALL
        )
        SELECT coalesce(c.month, s.month), coalesce(c.team, s.team),
               c.handled::DOUBLE / nullif(s.staffed_seconds / 3600.0, 0),
               c.handle_seconds::DOUBLE / nullif(s.staffed_seconds, 0)
        FROM calls AS c FULL JOIN shifts AS s
            ON c.month = s.month AND c.team IS NOT DISTINCT FROM s.team
        """,
    ),
    StandardQuery(
        "distinct callers by month",
        "callers",
        "",
        "month",
        False,
        """
        SELECT date_trunc('month', offered_ts)::DATE AS month,
               count(DISTINCT CASE WHEN is_offered_call THEN customer_id END)
        FROM src.call_legs
        WHERE offered_ts IS NOT NULL
        GROUP BY ALL
        """,
    ),
    StandardQuery(
        "median time to resolve by channel by month",
        "median_ttr_hours",
        "channel",
        "month",
        False,
        """
        SELECT date_trunc('month', created_ts)::DATE AS month, channel,
               median(CASE WHEN is_resolved THEN resolve_hours END)
        FROM src.tickets
        WHERE created_ts IS NOT NULL
        GROUP BY ALL
        """,
    ),
    StandardQuery(
        f"daily operations report for {REPORT_DAY}",
        "offered_calls,answered_calls,abandonment_rate,service_level,asa,aht_seconds,fcr",
        "queue",
        "day",
        True,
        f"""
        SELECT offered_ts::DATE AS day, queue,
               sum(is_offered_call::INT),
               sum((is_offered_call AND is_answered)::INT),
               sum(is_abandoned::INT)::DOUBLE / nullif(sum(is_offered_call::INT), 0),
               sum(answered_within_sl::INT)::DOUBLE / nullif(sum(is_offered_call::INT), 0),
               sum(CASE WHEN is_offered_call AND is_answered THEN wait_seconds END)::DOUBLE
                   / nullif(sum((is_offered_call AND is_answered)::INT), 0),
               sum(CASE WHEN is_handled THEN handle_seconds END)::DOUBLE
                   / nullif(sum(is_handled::INT), 0),
               sum(call_resolved::INT)::DOUBLE
                   / nullif(sum((is_offered_call AND is_answered)::INT), 0)
        FROM src.call_legs
        WHERE direction = 'inbound' AND offered_ts::DATE = DATE '{REPORT_DAY}'
        GROUP BY ALL
        """,
        start=REPORT_DAY,
        end=REPORT_DAY,
        where="direction = 'inbound'",
    ),
)


@dataclass(frozen=True, slots=True)
class QueryResult:
    query: StandardQuery
    rows: int
    api: Timing
    cli: Timing
    hand: Timing

    @property
    def ratio(self) -> float:
        """mfl (in-process) time over hand SQL time: below 1 is faster."""
        return self.api.median / self.hand.median


def cell(value: Any) -> Any:
    """A value as comparable across DuckDB rows and the CLI's JSON."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value[:10]
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return float(value)
    return value


def normalise(rows: Sequence[Sequence[Any]], keys: int) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    table = {}
    for row in rows:
        values = [cell(v) for v in row]
        table[tuple(values[:keys])] = tuple(values[keys:])
    return table


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return bool(a == b)


def assert_same(name: str, mfl: Any, hand: Any, where: str) -> None:
    if mfl.keys() != hand.keys():
        only_mfl = sorted(set(mfl) - set(hand), key=repr)[:5]
        only_hand = sorted(set(hand) - set(mfl), key=repr)[:5]
        raise AssertionError(
            f"{name} ({where}): rows differ; only mfl {only_mfl}, only hand {only_hand}"
        )
    for key, values in mfl.items():
        other = hand[key]
        if len(values) != len(other) or not all(map(close, values, other)):
            raise AssertionError(f"{name} ({where}) at {key}: mfl {values} != hand {other}")


def run_cli_query(project_dir: Path, query: StandardQuery) -> list[list[Any]]:
    command = [*mfl_command(), "query", "--project-dir", str(project_dir)]
    command += ["--metrics", query.metrics, "--grain", query.grain, "--format", "json"]
    if query.by:
        command += ["--by", query.by]
    if query.start:
        command += ["--start", query.start]
    if query.end:
        command += ["--end", query.end]
    if query.where:
        command += ["--where", query.where]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"mfl query failed: {done.stderr.strip()}")
    data = json.loads(done.stdout)
    if isinstance(data, dict):
        data = data.get("rows", data)
    return [list(row.values()) if isinstance(row, dict) else list(row) for row in data]


def measure_in_process(
    project: Any, spec: Any, query: StandardQuery, reps: int
) -> tuple[Timing, Any, Timing, Any]:
    """The API and the hand SQL on one read-only connection: timings and rows of each."""
    from metricflow_lite.jobs.pipeline import make_request, run_query
    from metricflow_lite.warehouse import connect

    warehouse = connect(project, read_only=True)
    connection = warehouse.connection  # type: ignore[attr-defined]

    def api() -> Any:
        # a long-running caller (a notebook, a service) reads the spec once
        request = make_request(
            spec, query.metrics, query.by or None, query.grain, query.start, query.end,
            query.where,
        )  # fmt: skip
        return run_query(project, warehouse, request, spec).rows

    def hand() -> Any:
        return connection.execute(query.hand_sql).fetchall()

    try:
        (api_timing, api_rows), (hand_timing, hand_rows) = timed_pair(api, hand, reps)
    finally:
        warehouse.close()  # the CLI opens the file itself
    return api_timing, api_rows, hand_timing, hand_rows


def bench_queries(result: ScaleResult, project_dir: Path, reps: int) -> None:
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec

    project = load_project(project_dir)
    spec = load_spec(project)
    for query in STANDARD_QUERIES:
        keys = 1 + len([d for d in query.by.split(",") if d])
        api_timing, api_rows, hand_timing, hand_rows = measure_in_process(
            project, spec, query, reps
        )
        expected = normalise(hand_rows, keys)
        assert_same(query.name, normalise(api_rows, keys), expected, "in-process")
        # at 10m one CLI run without a warm-up: it is the API's query plus a process start,
        # and a distinct count takes 14 s a run there
        cli_reps, cli_warmup = (1, 0) if result.legs >= LARGE else (min(reps, 3), 1)
        cli_timing, cli_rows = timed(
            lambda query=query: run_cli_query(project_dir, query), cli_reps, cli_warmup
        )
        assert_same(query.name, normalise(cli_rows, keys), expected, "CLI")
        outcome = QueryResult(query, len(api_rows), api_timing, cli_timing, hand_timing)
        result.queries.append(outcome)
        log(
            f"query {query.name}: api {api_timing.median * 1000:.1f} ms,"
            f" hand {hand_timing.median * 1000:.1f} ms, ratio {outcome.ratio:.3f}"
        )


# --- memory ------------------------------------------------------------------------------------


def bench_memory(result: ScaleResult, project_dir: Path) -> None:
    mfl = mfl_command()  # the build's peak RSS comes from bench_build
    peaks = []
    for query in STANDARD_QUERIES:
        command = [*mfl, "query", "--project-dir", str(project_dir), "--metrics", query.metrics]
        command += ["--grain", query.grain, "--format", "json"]
        if query.by:
            command += ["--by", query.by]
        peaks.append(peak_rss_mib(command))
    result.rss_query_mib = max(peaks)
    log(f"memory: build {result.rss_build_mib:.0f} MiB, query {result.rss_query_mib:.0f} MiB")


# --- compile and cold start --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompileResult:
    metrics: int
    validate: Timing
    compile: Timing
    objects: int


def synthetic_metrics_yaml(n: int) -> str:
    """n metrics over call_legs: a third base metrics, the rest derived chains over them."""
    bases = max(1, n // 3)
    columns = ("talk_seconds", "hold_seconds", "acw_seconds", "wait_seconds", "handle_seconds")
    filters = ("is_handled", "is_offered_call", "is_answered", "is_abandoned", "call_resolved")
    lines = [
        "version: 1",
        "models:",
        "  - name: call_legs",
        "    time: offered_ts",
        "    primary_key: leg_id",
        "    dimensions: [queue, region, direction, call_type_l1, disposition]",
        "metrics:",
    ]
    for i in range(bases):
        agg = "count" if i % 2 else "sum"
        lines += [
            f"  - name: base_{i}",
            "    model: call_legs",
            f"    agg: {agg}",
            *([f"    expr: {columns[i % len(columns)]}"] if agg == "sum" else []),
            f"    filter: {filters[i % len(filters)]} and talk_seconds > {i}",
        ]
    for i in range(n - bases):
        # chains: each derived metric refers to the one before it (depth up to n), and bases
        parent = f"derived_{i - 1}" if i % 10 else f"base_{i % bases}"
        lines += [
            f"  - name: derived_{i}",
            f"    expr: ({parent} + base_{(i * 7) % bases}) / nullif(base_{(i * 3) % bases}, 0)",
        ]
    return "\n".join(lines) + "\n"


def synthetic_project(source: Path, n: int, dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy2(source / "metricflow_lite.yml", dest / "metricflow_lite.yml")
    for layer in ("source", "macros"):  # source models and the macros they import
        if (source / "models" / layer).is_dir():
            shutil.copytree(source / "models" / layer, dest / "models" / layer)
    (dest / "metrics").mkdir()
    (dest / "metrics" / "generated.yml").write_text(synthetic_metrics_yaml(n), encoding="utf-8")
    return dest


def bench_compile(source: Path, sizes: Sequence[int], reps: int) -> list[CompileResult]:
    from metricflow_lite.jobs.pipeline import compile_project
    from metricflow_lite.spec.project import load_project
    from metricflow_lite.spec.validate import load_spec

    results = []
    with tempfile.TemporaryDirectory(prefix="mfl-compile-") as tmp:
        for n in sizes:
            project_dir = synthetic_project(source, n, Path(tmp) / f"p{n}")
            project = load_project(project_dir)
            validate_timing, spec = timed(lambda project=project: load_spec(project), reps)
            assert len(spec.metrics) == n, (len(spec.metrics), n)
            compile_timing, written = timed(lambda project=project: compile_project(project), reps)
            results.append(CompileResult(n, validate_timing, compile_timing, len(written)))
            log(
                f"compile {n}: validate {validate_timing.median:.3f}s,"
                f" compile {compile_timing.median:.3f}s"
            )
    return results


def bench_cold_start(source: Path, reps: int) -> dict[str, Timing]:
    mfl = mfl_command()

    def run(*args: str) -> None:
        subprocess.run([*mfl, *args], check=True, capture_output=True)

    out = {"mfl --help": timed(lambda: run("--help"), reps)[0]}
    out["mfl validate (demo project)"] = timed(
        lambda: run("validate", "--project-dir", str(source)), reps
    )[0]
    for name, timing in out.items():
        log(f"cold start {name}: {timing.median:.3f}s")
    return out


# --- dbt MetricFlow ------------------------------------------------------------------------------


# An equivalent dbt project for query 1 over the same src.call_legs rows (the warehouse
# attached read-only); MetricFlow itself is installed into benchmarks/.venv-mf, never vendored.
MF_PROJECT = """name: mfbench
version: "1.0"
config-version: 2
profile: mfbench
model-paths: ["models"]
"""
MF_PROFILE = """mfbench:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: {db}
      threads: 2
      attach:
        - path: {warehouse}
          alias: mfl
          read_only: true
"""
MF_ROWS = """{{ config(materialized='view') }}
SELECT leg_id, queue, offered_ts,
       is_abandoned::INT AS abandoned, is_offered_call::INT AS offered,
       CASE WHEN is_handled THEN handle_seconds END AS handle_seconds, is_handled::INT AS handled
FROM mfl.src.call_legs
WHERE offered_ts IS NOT NULL
"""
MF_SPINE = """{{ config(materialized='table') }}
SELECT range::DATE AS date_day FROM range(DATE '2020-01-01', DATE '2030-01-01', INTERVAL 1 DAY)
"""
MF_SEMANTIC = """models:
  - name: metricflow_time_spine
    time_spine:
      standard_granularity_column: date_day
    columns:
      - name: date_day
        granularity: day
semantic_models:
  - name: call_leg
    model: ref('call_legs')
    defaults:
      agg_time_dimension: offered_ts
    entities:
      - {name: leg, type: primary, expr: leg_id}
    dimensions:
      - {name: offered_ts, type: time, type_params: {time_granularity: day}}
      - {name: queue, type: categorical}
    measures:
      - {name: abandoned, agg: sum}
      - {name: offered, agg: sum}
      - {name: handle_seconds, agg: sum}
      - {name: handled, agg: sum}
metrics:
  - {name: abandoned_calls, type: simple, label: abandoned, type_params: {measure: abandoned}}
  - {name: offered_calls, type: simple, label: offered, type_params: {measure: offered}}
  - {name: handle_total, type: simple, label: handle, type_params: {measure: handle_seconds}}
  - {name: handled_legs, type: simple, label: handled, type_params: {measure: handled}}
  - name: abandonment_rate
    label: abandonment rate
    type: ratio
    type_params: {numerator: abandoned_calls, denominator: offered_calls}
  - name: aht
    label: aht
    type: ratio
    type_params: {numerator: handle_total, denominator: handled_legs}
"""
MF_QUERY = ["--metrics", "abandonment_rate,aht", "--group-by", "metric_time__week,leg__queue"]


@dataclass(frozen=True, slots=True)
class PeerResult:
    label: str
    cli: Timing
    reported: float  # MetricFlow's own "query completed after" seconds, median
    rows: int


def install_metricflow() -> tuple[Path | None, str]:
    """MetricFlow's bin folder in its own venv, or None and why not."""
    venv = HERE / ".venv-mf"
    bin_dir = venv / "bin"
    if not (bin_dir / "mf").exists():
        if not (bin_dir / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run(
            [str(bin_dir / "python"), "-m", "pip", "install", "-q", *METRICFLOW_PACKAGES],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not (bin_dir / "mf").exists():
            last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            return None, f"dbt MetricFlow could not be installed here: `{last}`"
    return bin_dir, ""


def mf_query(bin_dir: Path, mf_dir: Path) -> float:
    """Run query 1 once through `mf query` into mf_dir/out.csv; MetricFlow's reported seconds."""
    import re

    env = {**os.environ, "DBT_PROFILES_DIR": str(mf_dir)}
    done = subprocess.run(
        [str(bin_dir / "mf"), "query", *MF_QUERY, "--csv", str(mf_dir / "out.csv")],
        cwd=mf_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"completed after ([0-9.]+) seconds", done.stdout)
    return float(found.group(1)) if found else math.nan


def bench_metricflow(scales: Sequence[ScaleResult], data: Path, reps: int) -> str:
    """Query 1 through dbt MetricFlow at every scale; the section text (never fake numbers)."""
    import csv

    bin_dir, why = install_metricflow()
    if bin_dir is None:
        return why + "; no peer numbers."
    query = STANDARD_QUERIES[0]
    results = []
    for scale in scales:
        warehouse = data / scale.label / "project" / "target" / "warehouse.duckdb"
        if not warehouse.exists():
            continue
        mf_dir = data / scale.label / "mf"
        shutil.rmtree(mf_dir, ignore_errors=True)
        (mf_dir / "models").mkdir(parents=True)
        (mf_dir / "dbt_project.yml").write_text(MF_PROJECT)
        (mf_dir / "profiles.yml").write_text(
            MF_PROFILE.format(db=mf_dir / "mf.duckdb", warehouse=warehouse)
        )
        (mf_dir / "models" / "call_legs.sql").write_text(MF_ROWS)
        (mf_dir / "models" / "metricflow_time_spine.sql").write_text(MF_SPINE)
        (mf_dir / "models" / "semantic.yml").write_text(MF_SEMANTIC)
        env = {**os.environ, "DBT_PROFILES_DIR": str(mf_dir)}
        subprocess.run([str(bin_dir / "dbt"), "run", "--quiet"], cwd=mf_dir, env=env, check=True)
        out_csv = mf_dir / "out.csv"
        reported: list[float] = []
        timing, _ = timed(lambda d=mf_dir, r=reported: r.append(mf_query(bin_dir, d)), min(reps, 3))
        with out_csv.open(encoding="utf-8") as f:
            rows = [list(r.values()) for r in csv.DictReader(f)]
        typed = [[r[0], r[1], *(float(v) if v else None for v in r[2:])] for r in rows]
        with_hand = [q for q in scale.queries if q.query is query]
        if with_hand:
            import duckdb

            with duckdb.connect(str(warehouse), read_only=True) as con:
                hand = normalise(con.execute(query.hand_sql).fetchall(), 2)
            assert_same(query.name, normalise(typed, 2), hand, "dbt MetricFlow")
        results.append(PeerResult(scale.label, timing, statistics.median(reported), len(rows)))
        log(f"metricflow {scale.label}: cli {timing.median:.2f}s")
    if not results:
        return "No built scale to query; no peer numbers."
    lines = [
        f"Query 1 ({query.name}) through `mf query --csv` (dbt-core<1.11, dbt-metricflow,"
        " dbt-duckdb in benchmarks/.venv-mf) on a semantic model over the same"
        " `src.call_legs` rows, the mfl warehouse attached read-only; its rows equal the hand"
        " SQL's (checked). MetricFlow has no pre-aggregated layer: it reads the rows like the"
        " hand query. `reported` is MetricFlow's own 'query completed after' time.",
        "",
        "| scale | mf CLI s (spread) | mf reported s | mfl CLI s | mfl API ms | hand SQL ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for peer in results:
        ours = next(
            (q for s in scales if s.label == peer.label for q in s.queries if q.query is query),
            None,
        )
        mfl = (
            f"{ours.cli.median:.2f} | {ms(ours.api.median)} | {ms(ours.hand.median)}"
            if ours
            else "- | - | -"
        )
        lines.append(
            f"| {peer.label} | {peer.cli.median:.2f} ({peer.cli.spread}) |"
            f" {peer.reported:.2f} | {mfl} |"
        )
    return "\n".join(lines)


# --- report ------------------------------------------------------------------------------------


def machine() -> list[str]:
    import duckdb
    import sqlglot

    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM,"
        f" {platform.system()} {platform.release()}",
        f"- python {platform.python_version()}, duckdb {duckdb.__version__},"
        f" sqlglot {sqlglot.__version__}; code at {code_version()}",
    ]


def code_version() -> str:
    """The commit the benchmark ran, marked when the checkout had uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            # results.md itself is rewritten by the run
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!*results.md"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "an unknown commit (no git)"
    if not commit:
        return "an unknown commit (not a git checkout)"
    return f"commit {commit}" + (" with uncommitted changes" if dirty else "")


def minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s"


def wall_time(scales: list[ScaleResult], elapsed_s: float) -> list[str]:
    """How long the run took end to end: generation and measurement per scale, then the rest
    (compile, cold start and the optional peer step)."""
    out = [
        "## Wall time of this run",
        "",
        "| scale | generate data | load + build + query + memory |",
        "|---|---:|---:|",
    ]
    for s in scales:
        generated = "reused" if s.generate_s is None else minutes(s.generate_s)
        out.append(f"| {s.label} | {generated} | {minutes(s.measure_s)} |")
    rest = elapsed_s - sum((s.generate_s or 0.0) + s.measure_s for s in scales)
    out += [
        f"| compile, cold start, peer | | {minutes(max(rest, 0.0))} |",
        f"| **whole command** | | **{minutes(elapsed_s)}** |",
        "",
    ]
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(
    options: Options,
    scales: list[ScaleResult],
    compiles: list[CompileResult],
    cold: dict[str, Timing],
    peer: str,
    load_before: str,
    load_after: str,
    elapsed_s: float,
) -> str:
    out = [
        "# Benchmark results",
        "",
        f"Generated by `python benchmarks/run.py --scales {','.join(options.scales)}"
        f"{' --with-metricflow' if options.with_metricflow else ''}` on"
        f" {dt.date.today().isoformat()}; see README.md for the method. Times are medians of"
        f" {options.reps} runs after a warm-up (load and build: up to 3), spread = min-max;"
        f" from {LARGE:,} call legs, load runs once (DuckDB's readers after a warm-up, which"
        " leaves the files in the page cache for mfl), build once without a warm-up, and"
        " queries twice after one (the CLI once). The API and the hand SQL run in turns.",
        "",
        *machine(),
        f"- load average (1/5/15 min) at the start: {load_before}; at the end: {load_after}"
        " (on a shared machine absolute times are noisy; ratios less so)",
        "",
        *wall_time(scales, elapsed_s),
    ]
    loaded = [s for s in scales if s.load_mfl and s.load_duckdb]
    if loaded:
        out += [
            "## Load: `mfl seed` against DuckDB's own readers",
            "",
            "| scale | call legs | rows (all tables) | mfl seed s (spread) | rows/s |"
            " DuckDB read_csv/read_parquet s | ratio (>= 0.7) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for s in loaded:
            assert s.load_mfl and s.load_duckdb
            ratio = s.load_duckdb.median / s.load_mfl.median
            out.append(
                f"| {s.label} | {s.legs:,} | {s.rows:,} | {s.load_mfl.median:.2f}"
                f" ({s.load_mfl.spread}) | {s.rows / s.load_mfl.median:,.0f} |"
                f" {s.load_duckdb.median:.2f} ({s.load_duckdb.spread}) | {ratio:.2f}"
                f" {verdict(ratio >= 0.7)} |"
            )
        out += [
            "",
            "The CSV files alone (every table but `call_legs`, which the generator writes as"
            " parquet), against DuckDB's `read_csv`:",
            "",
            "| scale | rows | mfl seed s (spread) | rows/s | DuckDB read_csv s | ratio (>= 0.7) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for s in loaded:
            if not (s.load_csv_mfl and s.load_csv_duckdb):
                continue
            ratio = s.load_csv_duckdb.median / s.load_csv_mfl.median
            out.append(
                f"| {s.label} | {s.csv_rows:,} | {s.load_csv_mfl.median:.2f}"
                f" ({s.load_csv_mfl.spread}) | {s.csv_rows / s.load_csv_mfl.median:,.0f} |"
                f" {s.load_csv_duckdb.median:.2f} ({s.load_csv_duckdb.spread}) | {ratio:.2f}"
                f" {verdict(ratio >= 0.7)} |"
            )
        out.append("")
    built = [s for s in scales if s.build]
    if built:
        layer_names = ["plan", *(n for n in built[0].build_layers if n != "total")]
        out += [
            "## Build: `mfl build`",
            "",
            "Share of the build per step: plan = reading the spec, rendering the models and"
            " generating the SQL; then the warehouse's layers as BuildResult.seconds_per_layer"
            " reports them.",
            "",
            f"| scale | total s (spread) | {' | '.join(f'{n} %' for n in layer_names)} |",
            "|---|---:|" + "---:|" * len(layer_names),
        ]
        for s in built:
            assert s.build
            total = s.build.median
            layers = {"plan": total - s.build_layers.get("total", total), **s.build_layers}
            shares = " | ".join(f"{100 * layers.get(n, 0) / total:.0f}" for n in layer_names)
            out.append(f"| {s.label} | {s.build.median:.2f} ({s.build.spread}) | {shares} |")
        out.append("")
    queried = [s for s in scales if s.queries]
    if queried:
        out += [
            "## Query: mfl against hand-written SQL over the rows",
            "",
            "mfl and hand SQL return the same numbers (checked, 1e-9 relative) for every row.",
            "Target at 10m: additive >= 5x faster (ratio <= 0.2), non-additive ratio <= 1.2.",
            "",
            "| scale | query | kind | rows | mfl API ms (spread) | mfl CLI ms | hand SQL ms |"
            " mfl/hand |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for s in queried:
            for q in s.queries:
                kind = "additive" if q.query.additive else "non-additive"
                limit = 0.2 if q.query.additive else 1.2
                mark = f" {verdict(q.ratio <= limit)}" if s.label == "10m" else ""
                out.append(
                    f"| {s.label} | {q.query.name} | {kind} | {q.rows} |"
                    f" {ms(q.api.median)} ({ms(min(q.api.runs))}-{ms(max(q.api.runs))}) |"
                    f" {ms(q.cli.median)} | {ms(q.hand.median)} | {q.ratio:.3f}{mark} |"
                )
        out.append("")
    if compiles or cold:
        out += ["## Compile and cold start", ""]
    if compiles:
        out += [
            "validate = `load_spec` (read and check the YAML); compile = `compile_project`,"
            " which validates too and writes every layer's SQL: the whole of `mfl compile`"
            " but the interpreter start.",
            "",
            "| metrics | validate s (spread) | compile s (spread) | objects | compile < 1 s |",
            "|---:|---:|---:|---:|---:|",
        ]
        for c in compiles:
            ok = verdict(c.compile.median < 1) if c.metrics >= 1000 else ""
            out.append(
                f"| {c.metrics:,} | {c.validate.median:.3f} ({c.validate.spread}) |"
                f" {c.compile.median:.3f} ({c.compile.spread}) | {c.objects} | {ok} |"
            )
        out.append("")
    if cold:
        out += ["| command (subprocess) | s (spread) | target |", "|---|---:|---:|"]
        for name, timing in cold.items():
            target = " < 0.3 s " + verdict(timing.median < 0.3) if "help" in name else ""
            out.append(f"| `{name}` | {timing.median:.3f} ({timing.spread}) | {target} |")
        out.append("")
    measured = [s for s in scales if s.rss_build_mib is not None]
    if measured:
        out += [
            "## Memory: peak RSS (subprocess)",
            "",
            "| scale | `mfl build` MiB | `mfl query` MiB (max of the five) |",
            "|---|---:|---:|",
        ]
        for s in measured:
            query_rss = f"{s.rss_query_mib:,.0f}" if s.rss_query_mib is not None else "-"
            out.append(f"| {s.label} | {s.rss_build_mib:,.0f} | {query_rss} |")
        out.append("")
    if peer:
        out += ["## Peer: dbt MetricFlow", "", peer, ""]
    return "\n".join(out)


def run(options: Options) -> str:
    """Run every section at every scale, write the results file and return its text."""
    started = time.perf_counter()
    load_before = load_average()
    # Compile and cold start first, in a process that has not yet held a 10m run: measured
    # after it, compiling 1,000 metrics took 1.2 s where a fresh process took 0.7 s.
    compiles: list[CompileResult] = []
    cold: dict[str, Timing] = {}
    if "compile" in options.sections:
        compiles = bench_compile(options.project, options.compile_sizes, options.reps)
        cold = bench_cold_start(options.project, options.reps)
    scales: list[ScaleResult] = []
    per_scale = {"load", "build", "query", "memory"} & set(options.sections)
    for label in options.scales if per_scale else ():
        seeds, generate_s = generate_data(label, options.data)
        # the files just generated go to disk now, not while the first load is timed
        os.sync()
        measuring = time.perf_counter()
        project_dir = make_project(options.project, seeds, options.data / label / "project")
        result = ScaleResult(label, legs_of(label), load_avg=load_average(), generate_s=generate_s)
        # minutes per run at 10m: load and build once without a warm-up, queries twice
        large = result.legs >= LARGE
        heavy_reps = (1, 0) if large else (min(options.reps, 3), 1)
        # a single cold load swung DuckDB's reader from 21 s to 29 s between two 10m runs (the
        # files had just been written); DuckDB's warm-up brings the files into the page cache,
        # where the timed runs of both readers find them
        load_reps = (1, 1) if large else heavy_reps
        query_reps = min(options.reps, 2) if large else options.reps
        scales.append(result)
        log(f"scale {label}: load average {result.load_avg}")
        if "load" in options.sections:
            # timed on the files DuckDB reads too; the whole project is seeded below
            bench_load(result, project_dir, *load_reps, warm_mfl=not large)
        later = {"build", "query", "memory"} & set(options.sections)
        if later:
            seeded = mfl_seed(project_dir)
            result.rows = result.rows or seeded
        if "build" in options.sections:
            bench_build(result, project_dir, *heavy_reps)
        elif later:
            subprocess.run([*mfl_command(), "build", "--project-dir", str(project_dir)], check=True)
        if "query" in options.sections:
            bench_queries(result, project_dir, query_reps)
        if "memory" in options.sections:
            bench_memory(result, project_dir)
        result.measure_s = time.perf_counter() - measuring
        # a partial file after each scale: a long run that stops still leaves its numbers
        elapsed = time.perf_counter() - started
        partial = render(options, scales, compiles, cold, "", load_before, load_average(), elapsed)
        options.out.write_text(partial + kept_findings(options.out), encoding="utf-8")
    peer = bench_metricflow(scales, options.data, options.reps) if options.with_metricflow else ""
    elapsed = time.perf_counter() - started
    text = render(options, scales, compiles, cold, peer, load_before, load_average(), elapsed)
    options.out.write_text(text + kept_findings(options.out), encoding="utf-8")
    return text


FINDINGS = "## Findings"


def kept_findings(path: Path) -> str:
    """The hand-written findings at the end of the previous results file, kept on rewrite."""
    if not path.exists():
        return ""
    old = path.read_text(encoding="utf-8")
    return "\n" + old[old.index(FINDINGS) :] if FINDINGS in old else ""


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    text = run(options)
    if not options.quiet:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
