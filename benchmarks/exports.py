"""Benchmark real exports: a GB18030 CSV against DuckDB's read_csv of the same rows in UTF-8, and
an .xlsx with a title row; wall time and peak memory of `mfl seed` in a process of its own.

Example: python benchmarks/exports.py --rows 1000000 --xlsx-rows 200000
Targets (issue #18): GB18030 at >= 0.5x the speed of read_csv on UTF-8; 200k-row xlsx < 15 s;
peak memory < 1 GiB. The ratio is taken against DuckDB's read_csv into a database file in a
process of its own, as `mfl seed` loads (a process that writes the warehouse file); read_csv
into an in-memory database in this process is shown beside it.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import mfl_command  # noqa: E402 - benchmarks/run.py, beside this file

HEADER = "通话编号,坐席工号,技能组,来电时间,通话时长(秒),客户姓名,备注\n"
QUEUES = ("售前咨询", "售后服务", "投诉建议", "会员热线")
NAMES = ("张三", "李四", "王五", "赵六", "钱七", "孙八")
NOTES = ("客户询问订单状态", "已解决", "转接至二线", "客户要求回电", "")
YML = """encoding: {encoding}
natural_key: [call_no]
columns:
  call_no: {{from: 通话编号}}
  agent_id: {{from: 坐席工号}}
  queue: {{from: 技能组}}
  offered_ts: {{from: 来电时间, type: timestamp}}
  talk_seconds: {{from: 通话时长(秒), type: integer}}
  customer: {{from: 客户姓名}}
  note: {{from: 备注}}
"""


def rows(n: int) -> list[list[object]]:
    """n ACD-like rows, the same every run."""
    rnd = random.Random(7)
    out: list[list[object]] = []
    for i in range(n):
        minute = i % (60 * 24 * 30)
        when = f"2024-10-{1 + minute // 1440:02d} {minute // 60 % 24:02d}:{minute % 60:02d}:00"
        out.append(
            [
                f"C{i:08d}",
                f"A{rnd.randrange(1000):04d}",
                QUEUES[i % 4],
                when,
                rnd.randrange(900),
                NAMES[i % 6],
                NOTES[i % 5],
            ]
        )
    return out


def write_csv(path: Path, data: list[list[object]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        handle.write(HEADER)
        for row in data:
            handle.write(",".join(str(v) for v in row) + "\n")


def write_xlsx(path: Path, data: list[list[object]]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("明细")
    sheet.write_row(0, 0, ["通话明细报表"])
    sheet.write_row(1, 0, ["导出时间：2024-11-01 08:00"])
    sheet.write_row(2, 0, HEADER.strip().split(","))
    for r, row in enumerate(data, start=3):
        sheet.write_row(r, 0, row)
    book.close()


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_mib: float


def mfl_seed(project: Path) -> Run:
    """`mfl seed --full-refresh` in its own process: wall time and peak resident memory."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*mfl_command(), "seed", "--full-refresh", "--project-dir", str(project)],
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"mfl seed failed in {project}")
    return Run(seconds, usage.ru_maxrss / 1024)


def duckdb_read_csv(path: Path) -> float:
    """DuckDB's own reader (types detected) into a table of an in-memory database, in this
    process: the reader alone, nothing written to disk."""
    started = time.perf_counter()
    with duckdb.connect(":memory:") as con:
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
    return time.perf_counter() - started


DUCKDB_LOAD = (
    "import duckdb, sys; con = duckdb.connect(sys.argv[2]);"
    " con.execute('CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[1]]);"
    " con.close()"
)


def duckdb_load_file(path: Path, db: Path) -> float:
    """DuckDB's own reader (types detected) into a table of a database file, in a process of
    its own: what `mfl seed` does (a process that writes the warehouse file), done by hand."""
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", DUCKDB_LOAD, str(path), str(db)], check=True)
    return time.perf_counter() - started


def project(root: Path, name: str, files: dict[str, Path], yml: str) -> Path:
    folder = root / name
    (folder / "seeds").mkdir(parents=True)
    (folder / "metricflow_lite.yml").write_text("name: bench\n", encoding="utf-8")
    for target, source in files.items():
        shutil.copy(source, folder / "seeds" / target)
    (folder / "seeds" / "acd.yml").write_text(yml, encoding="utf-8")
    return folder


def median(runs: list[float]) -> float:
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mfl-bench-exports-") as scratch:
        root = Path(scratch)
        data = rows(args.rows)
        utf8, gb = root / "acd_utf8.csv", root / "acd_gb18030.csv"
        write_csv(utf8, data, "utf-8")
        write_csv(gb, data, "gb18030")
        xlsx = root / "acd.xlsx"
        write_xlsx(xlsx, data[: args.xlsx_rows])
        del data
        gb_project = project(root, "gb", {"acd.csv": gb}, YML.format(encoding="gb18030"))
        utf8_project = project(root, "utf8", {"acd.csv": utf8}, YML.format(encoding="utf-8"))
        xlsx_project = project(
            root, "xlsx", {"acd.xlsx": xlsx}, YML.format(encoding="utf-8") + "header_row: 3\n"
        )
        duckdb_read_csv(utf8)  # warm-up: the file in the page cache
        results: dict[str, list[float]] = {
            "duckdb": [],
            "duckdb_file": [],
            "gb": [],
            "utf8": [],
            "xlsx": [],
        }
        memory: dict[str, float] = {"gb": 0.0, "utf8": 0.0, "xlsx": 0.0}
        load_before = os.getloadavg()
        for _ in range(args.repeat):  # in turns, so that a busy minute hits every reader alike
            results["duckdb"].append(duckdb_read_csv(utf8))
            results["duckdb_file"].append(duckdb_load_file(utf8, root / "plain.duckdb"))
            for name, folder in (
                ("gb", gb_project),
                ("utf8", utf8_project),
                ("xlsx", xlsx_project),
            ):
                run = mfl_seed(folder)
                results[name].append(run.seconds)
                memory[name] = max(memory[name], run.max_rss_mib)
        load_after = os.getloadavg()
        sizes = {name: path.stat().st_size / 2**20 for name, path in (("gb", gb), ("xlsx", xlsx))}
    duck, duck_file, gb_s, utf8_s, xlsx_s = (
        median(results[k]) for k in ("duckdb", "duckdb_file", "gb", "utf8", "xlsx")
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores,"
        f" python {platform.python_version()}, duckdb {duckdb.__version__}"
    )
    print(f"load average before {load_before[0]:.2f} / after {load_after[0]:.2f} (1 min)")
    print(
        f"DuckDB read_csv of the UTF-8 copy: into a database file in a process of its own"
        f" {duck_file:.2f} s; into memory in this process {duck:.2f} s (medians)"
    )
    print(f"| file | rows | MiB | mfl seed s (median of {args.repeat}) | peak RSS MiB | target |")
    print("|---|---:|---:|---:|---:|---|")
    print(
        f"| GB18030 CSV | {args.rows:,} | {sizes['gb']:.0f} | {gb_s:.2f} | {memory['gb']:.0f} |"
        f" speed {duck_file / gb_s:.2f}x of read_csv on UTF-8 into a file, >= 0.5x:"
        f" {'yes' if duck_file / gb_s >= 0.5 else 'NO'}; {duck / gb_s:.2f}x of it into memory |"
    )
    print(
        f"| UTF-8 CSV | {args.rows:,} | | {utf8_s:.2f} | {memory['utf8']:.0f} |"
        f" {duck_file / utf8_s:.2f}x of read_csv into a file, {duck / utf8_s:.2f}x into memory |"
    )
    print(
        f"| xlsx, title row | {args.xlsx_rows:,} | {sizes['xlsx']:.0f} | {xlsx_s:.2f} |"
        f" {memory['xlsx']:.0f} | < 15 s: {'yes' if xlsx_s < 15 else 'NO'} |"
    )
    print(f"spreads: { {k: (round(min(v), 2), round(max(v), 2)) for k, v in results.items()} }")


if __name__ == "__main__":
    main()
