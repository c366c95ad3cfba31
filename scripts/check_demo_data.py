"""Load seeds/ the way `mfl seed` does, build the source views, and print plausibility figures.

A stand-alone check of the demo data and models/source/*.sql on DuckDB:
    python scripts/check_demo_data.py [--project-dir .] [--database :memory:]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import yaml

TABLES = ("sites", "agents", "attendance", "call_legs", "outbound_tasks", "chats", "tickets")

FIGURES = {
    "offered calls": "SELECT count(*) FROM src.call_legs WHERE is_offered_call",
    "abandonment rate": "SELECT avg(is_abandoned::INT) FROM src.call_legs WHERE is_offered_call",
    "short abandons / offered": (
        "SELECT avg(is_short_abandon::INT) FROM src.call_legs WHERE is_offered_call"
    ),
    "service level 20 s": (
        "SELECT avg(answered_within_sl::INT) FROM src.call_legs WHERE is_offered_call"
    ),
    "ASA s": "SELECT avg(wait_seconds) FROM src.call_legs WHERE is_offered_call AND is_answered",
    "AHT s": "SELECT avg(handle_seconds) FROM src.call_legs WHERE is_handled",
    "transfer rate": (
        "SELECT avg(call_transferred::INT) FROM src.call_legs WHERE is_offered_call AND is_answered"
    ),
    "FCR": (
        "SELECT avg(call_resolved::INT) FROM src.call_legs WHERE is_offered_call AND is_answered"
    ),
    "repeat-call rate 7 d": (
        "SELECT avg(repeat_call_7d::INT) FROM src.call_legs WHERE is_offered_call AND is_answered"
    ),
    "outlier legs": "SELECT count(*) FROM src.call_legs WHERE is_outlier",
    "legs with unreadable time": "SELECT count(*) FROM src.call_legs WHERE has_bad_timestamp",
    "staffed hours": "SELECT sum(staffed_seconds) / 3600 FROM src.attendance",
    "present agents per day": (
        "SELECT count(*) FILTER (is_present_shift) / count(DISTINCT shift_date) FROM src.attendance"
    ),
    "CPH": (
        "SELECT (SELECT count(*) FROM src.call_legs WHERE is_handled)"
        " / (SELECT sum(staffed_seconds) / 3600 FROM src.attendance)"
    ),
    "occupancy": (
        "SELECT (SELECT sum(handle_seconds) FROM src.call_legs WHERE is_handled)"
        " / (SELECT sum(staffed_seconds) FROM src.attendance)"
    ),
    "utilisation": (
        "SELECT (SELECT sum(handle_seconds) FROM src.call_legs WHERE is_handled)"
        " / (SELECT sum(paid_seconds) FROM src.attendance)"
    ),
    "schedule adherence": (
        "SELECT sum(adherent_seconds) / sum(scheduled_seconds) FROM src.attendance"
    ),
    "attendance rate": (
        "SELECT count(*) FILTER (is_present_shift AND is_scheduled)"
        " / count(*) FILTER (is_scheduled_shift) FROM src.attendance"
    ),
    "outbound attempts per task": (
        "SELECT (SELECT count(*) FROM src.call_legs WHERE direction = 'outbound')"
        " / (SELECT count(*) FROM src.outbound_tasks)"
    ),
    "outbound connect rate": (
        "SELECT avg(is_answered::INT) FROM src.call_legs WHERE direction = 'outbound'"
    ),
    "outbound task resolution": (
        "SELECT avg(is_resolved::INT) FILTER (is_closed) FROM src.outbound_tasks"
    ),
    "chats": "SELECT count(*) FROM src.chats",
    "chat unanswered rate": "SELECT 1 - avg(is_responded::INT) FROM src.chats",
    "chat first response s": "SELECT avg(first_response_seconds) FROM src.chats",
    "chat CSAT": "SELECT avg(csat_satisfied::INT) FROM src.chats WHERE is_rated",
    "tickets": "SELECT count(*) FROM src.tickets",
    "ticket first reply min": "SELECT avg(first_reply_minutes) FROM src.tickets",
    "24 h resolution": "SELECT avg(resolved_within_24h::INT) FROM src.tickets",
    "ticket CSAT": "SELECT avg(csat_satisfied::INT) FROM src.tickets WHERE is_rated",
    "NPS": (
        "SELECT 100 * (count(*) FILTER (nps_promoter) - count(*) FILTER (nps_detractor))"
        " / count(nps) FROM src.tickets"
    ),
    "complaint share": "SELECT avg(is_complaint::INT) FROM src.tickets",
    "repeat complaint rate": (
        "SELECT avg(is_repeat_complaint::INT) FROM src.tickets WHERE is_complaint"
    ),
    "reopen rate": "SELECT avg(is_reopened::INT) FROM src.tickets WHERE is_resolved",
    "tickets with unreadable time": "SELECT count(*) FROM src.tickets WHERE has_bad_timestamp",
}


def seed_files(seeds: Path, table: str) -> list[Path]:
    """The files of one table: seeds/<table>.<ext>, then seeds/<table>/* in name order."""
    files = [seeds / f"{table}{ext}" for ext in (".csv", ".csv.gz", ".parquet", ".xlsx")]
    folder = seeds / table
    found = [f for f in files if f.exists()]
    if folder.is_dir():
        found.extend(sorted(p for p in folder.iterdir() if p.is_file()))
    return found


def read_lines(
    path: Path, meta: dict[str, Any]
) -> tuple[list[str], list[tuple[int, list[str] | None, str]]]:
    """Header (export headers renamed by `from:`) and (line or sheet row, fields or None, raw
    text) of a CSV file or the first sheet of an .xlsx, from the row holding every header."""
    columns = meta.get("columns") or {}
    renames = {v["from"]: k for k, v in columns.items() if isinstance(v, dict) and "from" in v}
    if path.suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_name(meta.get("sheet") or book.sheet_names[0])
        rows = [
            [str(int(c)) if isinstance(c, float) and c.is_integer() else str(c) for c in row]
            for row in sheet.to_python(skip_empty_area=False)
        ]
    else:
        encoding = {"gbk": "gb18030"}.get(meta.get("encoding", "utf-8"), meta.get("encoding"))
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding=encoding or "utf-8", newline="") as handle:  # type: ignore[operator]
            text = handle.read()
        rows = [next(csv.reader([line])) if line else [] for line in text.splitlines()]
    start = next(i for i, row in enumerate(rows) if set(renames) <= set(row))
    header = [renames.get(name, name) for name in rows[start]]
    out = []
    for number, fields in enumerate(rows[start + 1 :], start=start + 2):
        line = ",".join(fields)
        out.append((number, fields if len(fields) == len(header) else None, line))
    return header, out


def load_table(con: Any, seeds: Path, table: str, load_ids: list[int]) -> None:
    """raw.<table>: every file appended, declared types cast, bad lines to raw._rejects."""
    meta_path = seeds / f"{table}.yml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    types = {
        col: spec if isinstance(spec, str) else spec["type"]
        for col, spec in (meta.get("columns") or {}).items()
        if isinstance(spec, str) or "type" in spec
    }
    for path in seed_files(seeds, table):
        load_ids[0] += 1
        load_id = load_ids[0]
        con.execute("DROP TABLE IF EXISTS staging")
        if path.suffix == ".parquet":
            con.execute(
                "CREATE TABLE staging AS SELECT *, row_number() OVER () + 1 AS _line"
                f" FROM read_parquet('{path}')"
            )
        else:
            header, rows = read_lines(path, meta)
            for number, fields, line in rows:
                if fields is None:
                    con.execute(
                        "INSERT INTO raw._rejects VALUES (?, ?, ?, ?)",
                        [str(path), number, line, "wrong number of columns"],
                    )
            with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as tmp:
                writer = csv.writer(tmp)
                writer.writerow([*header, "_line"])
                writer.writerows([*f, n] for n, f, _ in rows if f is not None)
            con.execute(
                f"CREATE TABLE staging AS SELECT * REPLACE (_line::BIGINT AS _line)"
                f" FROM read_csv('{tmp.name}', all_varchar = true, header = true)"
            )
            Path(tmp.name).unlink()
        bad = " OR ".join(
            f"({col} IS NOT NULL AND TRY_CAST({col} AS {kind}) IS NULL)"
            for col, kind in types.items()
        )
        if bad:
            con.execute(
                f"INSERT INTO raw._rejects SELECT '{path}', _line, NULL, 'cannot parse a typed"
                f" column' FROM staging WHERE {bad}"
            )
            con.execute(f"DELETE FROM staging WHERE {bad}")
        casts = ", ".join(f"CAST({col} AS {kind}) AS {col}" for col, kind in types.items())
        select = f"* REPLACE ({casts})" if casts else "*"
        body = (
            f"SELECT {select}, {load_id}::BIGINT AS _load_id, '{path.name}' AS _file FROM staging"
        )
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables"
            f" WHERE table_schema = 'raw' AND table_name = '{table}'"
        ).fetchone()[0]
        if exists:
            con.execute(f"INSERT INTO raw.{table} BY NAME {body}")
        else:
            con.execute(f"CREATE TABLE raw.{table} AS {body}")


def build_views(con: Any, models: Path) -> list[str]:
    """src.<model> views in dependency order (ref() before use)."""
    sql = {p.stem: p.read_text(encoding="utf-8") for p in sorted(models.glob("*.sql"))}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(models.parent / "macros"), undefined=jinja2.StrictUndefined
    )
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for dep in re.findall(r"ref\('(\w+)'\)", sql[name]):
            visit(dep)
        order.append(name)

    for name in sql:
        visit(name)
    for name in order:
        text = env.from_string(sql[name]).render(
            source=lambda t: f"raw.{t}",
            ref=lambda m: f"src.{m}",
            var=lambda name, default=None: default,
        )
        con.execute(f"CREATE OR REPLACE VIEW src.{name} AS {text}")
    return order


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=Path("."))
    parser.add_argument("--database", default=":memory:")
    args = parser.parse_args(argv)
    root = args.project_dir
    con = duckdb.connect(args.database)
    con.execute("CREATE SCHEMA IF NOT EXISTS raw; CREATE SCHEMA IF NOT EXISTS src")
    con.execute(
        "CREATE TABLE raw._rejects (file VARCHAR, line BIGINT, raw_text VARCHAR, reason VARCHAR)"
    )
    load_ids = [0]
    for table in TABLES:
        load_table(con, root / "seeds", table, load_ids)
    order = build_views(con, root / "models" / "source")
    print("table            raw rows  src rows")
    for name in order:
        if name not in TABLES:
            continue  # a model over other models, no raw table of its own
        raw = con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0]
        src = con.execute(f"SELECT count(*) FROM src.{name}").fetchone()[0]
        print(f"{name:<16} {raw:>8}  {src:>8}")
    rejects = con.execute("SELECT reason, count(*) FROM raw._rejects GROUP BY ALL").fetchall()
    print("rejects:", dict(rejects))
    print()
    for label, query in FIGURES.items():
        value = con.execute(query).fetchone()[0]
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{label:<28} {shown}")
    print()
    for name in order:
        cols = [r[0] for r in con.execute(f"DESCRIBE src.{name}").fetchall()]
        print(f"src.{name}: {', '.join(cols)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
