"""A Spark warehouse (pyspark): Parquet under one warehouse folder, layers as Spark SQL objects.

The folder is the warehouse; the Spark catalog is rebuilt from it when a command starts, so no
Hive metastore is needed and any number of `mfl query` processes can read at once:

    <warehouse_dir>/raw/<table>/         Parquet, appended by `mfl seed` (plus _loads, _rejects)
    <warehouse_dir>/builds/<id>/ind/<t>/ Parquet of one build's indicator tables
    <warehouse_dir>/build.json           the current build: every object's CREATE statement

Spark DDL is not transactional, so a build runs in staging databases (src__staging ...) first;
only when every statement has succeeded is build.json replaced (an atomic rename, the commit
point) and the live databases re-created from it. A failed build leaves build.json, and so the
previous build, untouched; a reader that started before the swap finishes on the old files.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from metricflow_lite.errors import MflError
from metricflow_lite.project import Project, TargetConfig
from metricflow_lite.warehouse.base import LayerClock, QueryResult, Statement
from metricflow_lite.warehouse.seedfile import LoadOutcome, SeedFile

MANIFEST = "build.json"
REGISTERED_KEY = "mfl.catalog.registered"
STAGING_SUFFIX = "__staging"
LAYER_SCHEMAS = ("src", "ind", "app")
# Local mode defaults: small data, two cores; users override any of them under `conf:`.
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.showConsoleProgress": "false",
}
# Same values as DuckDB and PostgreSQL: naive timestamps, no time zone shifts on the way out.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
}


def quoted(*parts: str) -> str:
    return ".".join(exp.to_identifier(p, quoted=True).sql("spark") for p in parts)


def string_literal(text: str) -> str:
    return exp.Literal.string(text).sql("spark")


class SparkWarehouse:
    """A SparkSession (local or Spark Connect) over a warehouse folder."""

    dialect = "spark"

    def __init__(self, session: Any, target_name: str, root: Path, owns_session: bool) -> None:
        self.session = session
        self.target_name = target_name
        self.root = root
        self.owns_session = owns_session

    @classmethod
    def open(cls, project: Project, target: TargetConfig) -> SparkWarehouse:
        raw_dir = Path(str(target.get("warehouse_dir", "target/spark")))
        root = raw_dir if raw_dir.is_absolute() else project.root / raw_dir
        root.mkdir(parents=True, exist_ok=True)
        session, owns = start_session(target, root.resolve() / "catalog")
        warehouse = cls(session, target.name, root.resolve(), owns)
        warehouse.register()
        return warehouse

    # --- the catalog, rebuilt from the folder -------------------------------------------

    def register(self) -> None:
        """Point the catalog at the folder: raw tables, then the current build's objects."""
        # A shared session (tests, notebooks) that already points here keeps its catalog.
        if self.session.conf.get(REGISTERED_KEY, "") == self.signature():
            return
        for schema in ("raw", *LAYER_SCHEMAS):
            self.session.sql(f"DROP DATABASE IF EXISTS {quoted(schema)} CASCADE")
        self.create_database("raw")
        for folder in sorted((self.root / "raw").glob("*")):
            if folder.is_dir() and any(folder.glob("*.parquet")):
                self.register_raw(folder.name)
        for schema in LAYER_SCHEMAS:
            self.create_database(schema)
        for entry in self.manifest():
            try:
                self.session.sql(entry["sql"])
            except Exception:  # noqa: BLE001, S112 - a stale object: queries say "not built"
                continue
        self.session.conf.set(REGISTERED_KEY, self.signature())

    def signature(self) -> str:
        """What the catalog was built from: the folder, its raw tables and its build."""
        manifest = self.root / MANIFEST
        built = manifest.stat().st_mtime_ns if manifest.exists() else 0
        raw = ",".join(sorted(p.name for p in (self.root / "raw").glob("*")))
        return f"{self.root}|{raw}|{built}"

    def create_database(self, name: str) -> None:
        # An explicit location: Spark's default would be ./spark-warehouse in the caller's folder.
        location = string_literal(str(self.root / "catalog" / f"{name}.db"))
        self.session.sql(f"CREATE DATABASE {quoted(name)} LOCATION {location}")

    def register_raw(self, table: str) -> None:
        location = string_literal(str(self.root / "raw" / table))
        self.session.sql(f"DROP TABLE IF EXISTS {quoted('raw', table)}")
        self.session.sql(f"CREATE TABLE {quoted('raw', table)} USING PARQUET LOCATION {location}")

    def manifest(self) -> list[dict[str, str]]:
        path = self.root / MANIFEST
        if not path.exists():
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data.get("objects", []))

    # --- the Warehouse protocol -------------------------------------------------------------

    def execute(self, sql: str) -> None:
        self.session.sql(sql)

    def fetch(self, sql: str) -> QueryResult:
        frame = self.session.sql(sql)
        columns = tuple(frame.columns)
        return QueryResult(columns, tuple(tuple(row) for row in frame.collect()))

    def tables(self, schema: str) -> tuple[str, ...]:
        """Names of the tables and views in a schema."""
        rows = self.session.sql(f"SHOW TABLES IN {quoted(schema)}").collect()
        return tuple(sorted(str(r["tableName"]) for r in rows if not r["isTemporary"]))

    def apply_build(
        self, statements: Sequence[Statement], schemas: Sequence[str]
    ) -> tuple[tuple[str, float], ...]:
        clock = LayerClock()
        build_id = uuid.uuid4().hex[:12]
        build_dir = self.root / "builds" / build_id
        staged = {s: s + STAGING_SUFFIX for s in schemas}
        entries: list[dict[str, str]] = []
        current = "creating the staging databases"
        try:
            for name in staged.values():
                self.session.sql(f"DROP DATABASE IF EXISTS {quoted(name)} CASCADE")
                self.create_database(name)
            clock.lap("drop")
            for statement in statements:
                current = statement.what
                create = parse_create(statement)
                final = place_table(create, build_dir)
                self.session.sql(rename_schemas(final, staged).sql("spark"))
                if final.kind == "TABLE":
                    # The data exists now: the live catalog only needs to point at it.
                    final = final.copy()
                    final.set("expression", None)
                entries.append({"what": statement.what, "sql": final.sql("spark")})
                clock.lap(statement.layer or "other")
        except Exception as err:  # noqa: BLE001 - pyspark raises many unrelated types
            self.drop_staging(staged)
            shutil.rmtree(build_dir, ignore_errors=True)
            raise MflError(
                "E300",
                f"build failed in {current}: {spark_message(err)}",
                None,
                "nothing was changed: the previous build is still in place",
            ) from None
        manifest = self.root / MANIFEST
        temporary = manifest.with_suffix(".json.tmp")
        temporary.write_text(
            json.dumps({"build_id": build_id, "objects": entries}, indent=1, ensure_ascii=False),
            encoding="utf-8",
        )
        os.replace(temporary, manifest)  # the commit point
        self.drop_staging(staged)
        for schema in schemas:
            self.session.sql(f"DROP DATABASE IF EXISTS {quoted(schema)} CASCADE")
            self.create_database(schema)
        for entry in entries:
            self.session.sql(entry["sql"])
        for old in (self.root / "builds").glob("*"):
            if old.name != build_id:
                shutil.rmtree(old, ignore_errors=True)
        self.session.conf.set(REGISTERED_KEY, self.signature())
        clock.lap("commit")
        return clock.laps()

    def drop_staging(self, staged: dict[str, str]) -> None:
        for name in staged.values():
            self.session.sql(f"DROP DATABASE IF EXISTS {quoted(name)} CASCADE")

    # --- seeds ----------------------------------------------------------------------------

    def load_seed(self, seed: SeedFile) -> LoadOutcome:
        """Append a seed's rows to raw.<table> (Parquet); rejects and the load go to raw._*."""
        from pyspark.sql import Row
        from pyspark.sql.types import LongType, StringType, StructField, StructType

        loads_dir = self.root / "raw" / "_loads"
        if any(loads_dir.glob("*.parquet")):
            seen = self.session.sql(
                f"SELECT load_id FROM raw._loads WHERE file = {string_literal(seed.file)}"
                f" AND checksum = {string_literal(seed.checksum)}"
            ).collect()
            if seen:
                return LoadOutcome(seed.table, seed.file, 0, 0, skipped=True)
            last = self.session.sql("SELECT max(load_id) AS last FROM raw._loads").collect()
            load_id = int(last[0]["last"] or 0) + 1
        else:
            load_id = 1
        schema = StructType(
            [StructField(c, StringType()) for c in seed.columns]
            + [
                StructField("_load_id", LongType()),
                StructField("_file", StringType()),
                StructField("_line", LongType()),
            ]
        )
        rows = [(*values, load_id, seed.file, line) for line, values in seed.rows]
        self.append_raw(seed.table, self.session.createDataFrame(rows, schema))
        if seed.rejects:
            rejects = [(load_id, seed.file, r.line, r.raw_text, r.reason) for r in seed.rejects]
            frame = self.session.createDataFrame(
                rejects, "load_id long, file string, line long, raw_text string, reason string"
            )
            self.append_raw("_rejects", frame)
        import datetime as dt

        load = Row(
            load_id=load_id,
            file=seed.file,
            checksum=seed.checksum,
            rows=len(seed.rows),
            rejected=len(seed.rejects),
            loaded_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        )
        frame = self.session.createDataFrame(
            [load],
            "load_id long, file string, checksum string, rows long, rejected long,"
            " loaded_at timestamp_ntz",
        )
        self.append_raw("_loads", frame)
        return LoadOutcome(seed.table, seed.file, len(seed.rows), len(seed.rejects), False)

    def append_raw(self, table: str, frame: Any) -> None:
        frame.coalesce(1).write.mode("append").option("mergeSchema", "true").parquet(
            str(self.root / "raw" / table)
        )
        self.register_raw(table)
        self.session.conf.set(REGISTERED_KEY, self.signature())

    def close(self) -> None:
        if self.owns_session:
            self.session.stop()


def parse_create(statement: Statement) -> exp.Create:
    tree = sqlglot.parse_one(statement.sql, read="spark")
    assert isinstance(tree, exp.Create), statement.what
    return tree


def place_table(create: exp.Create, build_dir: Path) -> exp.Create:
    """A CREATE TABLE as an external Parquet table in this build's folder; views unchanged."""
    if create.kind != "TABLE":
        return create
    table = create.this
    assert isinstance(table, exp.Table)
    location = build_dir / table.db / table.name
    placed = create.copy()
    placed.set(
        "properties",
        exp.Properties(
            expressions=[
                exp.FileFormatProperty(this=exp.var("PARQUET")),
                exp.LocationProperty(this=exp.Literal.string(str(location))),
            ]
        ),
    )
    return placed


def rename_schemas(tree: exp.Create, names: dict[str, str]) -> exp.Create:
    """The statement with every table of the given schemas moved to other schemas."""
    renamed = tree.copy()
    for table in renamed.find_all(exp.Table):
        if table.db in names:
            table.set("db", exp.to_identifier(names[table.db], quoted=True))
    return renamed


def spark_message(err: BaseException) -> str:
    """The first meaningful line of a Spark error."""
    text = str(err).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("JVM stacktrace", "at ", "==")):
            return line
    return type(err).__name__


def start_session(target: TargetConfig, catalog_dir: Path) -> tuple[Any, bool]:
    """The running SparkSession if there is one (tests share one), else a new one we own."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MflError(
            "E017",
            f"target '{target.name}' needs pyspark, which is not installed",
            target.loc,
            "pip install 'metricflow-lite[spark]'",
        ) from None
    master = str(target.get("master", "local[2]"))
    conf = {str(k): str(v) for k, v in dict(target.get("conf") or {}).items()}
    if master.startswith("sc://"):
        builder = SparkSession.builder.remote(master)
        settings = {**SESSION_CONF, **conf}
    else:
        active = SparkSession.getActiveSession()
        if active is not None:
            for key, value in SESSION_CONF.items():
                active.conf.set(key, value)
            return active, False
        if not java_found():
            raise MflError(
                "E018",
                f"target '{target.name}': Spark needs Java 17 or later, and no java was found",
                target.loc,
                "install a Java runtime (apt-get install openjdk-17-jre-headless) or set JAVA_HOME",
            )
        builder = SparkSession.builder.master(master)
        # Spark creates its warehouse folder at start: keep it in ours, not the caller's folder.
        settings = {
            **LOCAL_CONF,
            "spark.sql.warehouse.dir": str(catalog_dir),
            **SESSION_CONF,
            **conf,
        }
    builder = builder.appName("mfl")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as err:  # noqa: BLE001 - Py4J and gRPC errors alike
        raise MflError(
            "E019",
            f"target '{target.name}': cannot start Spark at {master}: {spark_message(err)}",
            target.loc,
            "check the master URL (local[2] or sc://host:15002) and that Java 17+ runs",
        ) from None
    if not master.startswith("sc://"):
        session.sparkContext.setLogLevel("ERROR")
    return session, True


def java_found() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None
