"""The PostgreSQL catalog the endpoint shows (pg_catalog and information_schema), for psql's
`\\dn`, `\\dt`, `\\d+` and the catalog queries of BI drivers (SQLAlchemy, JDBC).

The catalog describes the served build's `src`, `ind` and `app` relations: their columns with
PostgreSQL types, and the comments the build wrote (a metric column's "label: formula", a report
view's label) as pg_description rows, so `col_description` and `\\d+` show them. It lives in a
private in-memory DuckDB database with no file or network access: tables named as PostgreSQL
names them in the schemas `mfl_pg` (pg_catalog) and `mfl_is` (information_schema), and a few
macros for the catalog functions (serve/sqlgate.py rewrites a client's query onto them). Every
relation is shown as a table (relkind 'r'): all of them are read-only here, and drivers list
tables first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlglot
from sqlglot import exp

from metricflow_lite.compile.names import LAYER_SCHEMAS
from metricflow_lite.serve import pgtypes
from metricflow_lite.warehouse.catalogdb import CatalogDatabase

CATALOG_SCHEMA = "mfl_pg"  # where pg_catalog's tables live in the private database
INFO_SCHEMA = "mfl_is"  # information_schema's
DATABASE = "mfl"
USER_OID = 10
PG_CATALOG_OID = 11
PUBLIC_OID = 2200
INFO_SCHEMA_OID = 13000
FIRST_SCHEMA_OID = 16385
FIRST_RELATION_OID = 16400
PG_CLASS_OID = 1259
# Catalog tables some clients name by regclass ('pg_class'::regclass): their real OIDs.
CATALOG_CLASS_OIDS: dict[str, int] = {
    "pg_class": 1259,
    "pg_attribute": 1249,
    "pg_type": 1247,
    "pg_proc": 1255,
    "pg_namespace": 2615,
    "pg_constraint": 2606,
    "pg_description": 2609,
    "pg_index": 2610,
    "pg_database": 1262,
    "pg_trigger": 2620,
}


class Snapshot(Protocol):
    """What the endpoint needs of the served build (serve/snapshot.py)."""

    def run_select(
        self, sql: str, dialect_of_sql: str, max_rows: int | None, timeout_s: float
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]: ...


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    name: str
    type_name: str  # the warehouse's type name
    comment: str | None


@dataclass(frozen=True, slots=True)
class Relation:
    schema: str
    name: str
    comment: str | None
    columns: tuple[ColumnInfo, ...]


def relations_sql(dialect: str) -> str:
    """The query listing the served relations' columns and comments on a warehouse: schema,
    relation, relation comment, column, position, type name, column comment."""
    if dialect == "postgres":
        base = sqlglot.parse_one(
            "SELECT n.nspname, c.relname, obj_description(c.oid, 'pg_class'), a.attname,"
            " a.attnum, format_type(a.atttypid, a.atttypmod), col_description(c.oid, a.attnum)"
            " FROM pg_catalog.pg_class AS c"
            " JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"
            " JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0"
            " AND NOT a.attisdropped WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')",
            read="postgres",
        )
        where = exp.column("nspname", "n").isin(*LAYER_SCHEMAS)
        assert isinstance(base, exp.Select)
        return base.where(where).order_by("1", "2", "5").sql(dialect="postgres")
    base = sqlglot.parse_one(
        "SELECT c.table_schema, c.table_name, t.table_comment, c.column_name,"
        " c.ordinal_position, c.data_type, c.column_comment FROM information_schema.columns AS c"
        " JOIN information_schema.tables AS t ON t.table_catalog = c.table_catalog"
        " AND t.table_schema = c.table_schema AND t.table_name = c.table_name",
        read="duckdb",
    )
    assert isinstance(base, exp.Select)
    where = exp.column("table_schema", "c").isin(*LAYER_SCHEMAS)
    return base.where(where).order_by("1", "2", "5").sql(dialect="duckdb")


def relations_of(rows: Iterable[Sequence[Any]]) -> tuple[Relation, ...]:
    """Relations from the rows of relations_sql, in schema and name order."""
    grouped: dict[tuple[str, str], tuple[str | None, list[ColumnInfo]]] = {}
    for schema, name, comment, column, _position, type_name, column_comment in rows:
        key = (str(schema), str(name))
        entry = grouped.setdefault(key, (comment if comment else None, []))
        entry[1].append(
            ColumnInfo(str(column), str(type_name), column_comment if column_comment else None)
        )
    return tuple(
        Relation(schema, name, comment, tuple(columns))
        for (schema, name), (comment, columns) in sorted(grouped.items())
    )


def load_relations(snapshot: Snapshot, dialect: str, timeout_s: float) -> tuple[Relation, ...]:
    _, rows = snapshot.run_select(relations_sql(dialect), dialect, None, timeout_s)
    return relations_of(rows)


# The catalog's tables: the columns PostgreSQL has that psql, SQLAlchemy and JDBC read. Constant
# DDL, no user text in it; rows are inserted as parameters.
_DDL = f"""
CREATE SCHEMA {CATALOG_SCHEMA};
CREATE SCHEMA {INFO_SCHEMA};
CREATE TABLE {CATALOG_SCHEMA}.pg_namespace (oid BIGINT, nspname VARCHAR, nspowner BIGINT,
  nspacl VARCHAR[]);
CREATE TABLE {CATALOG_SCHEMA}.pg_class (oid BIGINT, relname VARCHAR, relnamespace BIGINT,
  reltype BIGINT, reloftype BIGINT, relowner BIGINT, relam BIGINT, relfilenode BIGINT,
  reltablespace BIGINT, relpages INTEGER, reltuples REAL, relallvisible INTEGER,
  reltoastrelid BIGINT, relhasindex BOOLEAN, relisshared BOOLEAN, relpersistence VARCHAR,
  relkind VARCHAR, relnatts SMALLINT, relchecks SMALLINT, relhasoids BOOLEAN,
  relhasrules BOOLEAN, relhastriggers BOOLEAN, relhassubclass BOOLEAN, relrowsecurity BOOLEAN,
  relforcerowsecurity BOOLEAN, relispopulated BOOLEAN, relreplident VARCHAR,
  relispartition BOOLEAN, relrewrite BIGINT, relfrozenxid BIGINT, relminmxid BIGINT,
  relacl VARCHAR[], reloptions VARCHAR[], relpartbound VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_attribute (attrelid BIGINT, attname VARCHAR, atttypid BIGINT,
  attstattarget INTEGER, attlen SMALLINT, attnum SMALLINT, attndims INTEGER,
  attcacheoff INTEGER, atttypmod INTEGER, attbyval BOOLEAN, attalign VARCHAR,
  attstorage VARCHAR, attcompression VARCHAR, attnotnull BOOLEAN, atthasdef BOOLEAN,
  atthasmissing BOOLEAN, attidentity VARCHAR, attgenerated VARCHAR, attisdropped BOOLEAN,
  attislocal BOOLEAN, attinhcount INTEGER, attcollation BIGINT, attacl VARCHAR[],
  attoptions VARCHAR[], attfdwoptions VARCHAR[]);
CREATE TABLE {CATALOG_SCHEMA}.pg_type (oid BIGINT, typname VARCHAR, typnamespace BIGINT,
  typowner BIGINT, typlen SMALLINT, typbyval BOOLEAN, typtype VARCHAR, typcategory VARCHAR,
  typispreferred BOOLEAN, typisdefined BOOLEAN, typdelim VARCHAR, typrelid BIGINT,
  typelem BIGINT, typarray BIGINT, typinput VARCHAR, typoutput VARCHAR, typreceive VARCHAR,
  typsend VARCHAR, typnotnull BOOLEAN, typbasetype BIGINT, typtypmod INTEGER,
  typndims INTEGER, typcollation BIGINT, typdefault VARCHAR, typacl VARCHAR[]);
CREATE TABLE {CATALOG_SCHEMA}.mfl_types (oid BIGINT, display VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.mfl_regclass (name VARCHAR, oid BIGINT);
CREATE TABLE {CATALOG_SCHEMA}.pg_description (objoid BIGINT, classoid BIGINT,
  objsubid INTEGER, description VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_am (oid BIGINT, amname VARCHAR, amhandler VARCHAR,
  amtype VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_database (oid BIGINT, datname VARCHAR, datdba BIGINT,
  encoding INTEGER, datlocprovider VARCHAR, datistemplate BOOLEAN, datallowconn BOOLEAN,
  datconnlimit INTEGER, datcollate VARCHAR, datctype VARCHAR, daticulocale VARCHAR,
  datacl VARCHAR[], dattablespace BIGINT);
CREATE TABLE {CATALOG_SCHEMA}.pg_roles (oid BIGINT, rolname VARCHAR, rolsuper BOOLEAN,
  rolinherit BOOLEAN, rolcreaterole BOOLEAN, rolcreatedb BOOLEAN, rolcanlogin BOOLEAN,
  rolreplication BOOLEAN, rolconnlimit INTEGER, rolvaliduntil TIMESTAMP,
  rolbypassrls BOOLEAN, rolconfig VARCHAR[]);
CREATE TABLE {CATALOG_SCHEMA}.pg_user (usename VARCHAR, usesysid BIGINT, usecreatedb BOOLEAN,
  usesuper BOOLEAN, userepl BOOLEAN, usebypassrls BOOLEAN);
CREATE TABLE {CATALOG_SCHEMA}.pg_settings (name VARCHAR, setting VARCHAR, unit VARCHAR,
  category VARCHAR, short_desc VARCHAR, context VARCHAR, vartype VARCHAR, source VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_attrdef (oid BIGINT, adrelid BIGINT, adnum SMALLINT,
  adbin VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_collation (oid BIGINT, collname VARCHAR,
  collnamespace BIGINT, collowner BIGINT, collprovider VARCHAR, collencoding INTEGER,
  collcollate VARCHAR, collctype VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_index (indexrelid BIGINT, indrelid BIGINT,
  indnatts SMALLINT, indnkeyatts SMALLINT, indisunique BOOLEAN, indnullsnotdistinct BOOLEAN,
  indisprimary BOOLEAN, indisexclusion BOOLEAN, indimmediate BOOLEAN, indisclustered BOOLEAN,
  indisvalid BOOLEAN, indcheckxmin BOOLEAN, indisready BOOLEAN, indislive BOOLEAN,
  indisreplident BOOLEAN, indkey SMALLINT[], indcollation BIGINT[], indclass BIGINT[],
  indoption SMALLINT[], indexprs VARCHAR, indpred VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_constraint (oid BIGINT, conname VARCHAR,
  connamespace BIGINT, contype VARCHAR, condeferrable BOOLEAN, condeferred BOOLEAN,
  convalidated BOOLEAN, conrelid BIGINT, contypid BIGINT, conindid BIGINT,
  conparentid BIGINT, confrelid BIGINT, confupdtype VARCHAR, confdeltype VARCHAR,
  confmatchtype VARCHAR, conislocal BOOLEAN, coninhcount INTEGER, connoinherit BOOLEAN,
  conkey SMALLINT[], confkey SMALLINT[], conbin VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_inherits (inhrelid BIGINT, inhparent BIGINT,
  inhseqno INTEGER, inhdetachpending BOOLEAN);
CREATE TABLE {CATALOG_SCHEMA}.pg_policy (oid BIGINT, polname VARCHAR, polrelid BIGINT,
  polcmd VARCHAR, polpermissive BOOLEAN, polroles BIGINT[], polqual VARCHAR,
  polwithcheck VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_statistic_ext (oid BIGINT, stxrelid BIGINT, stxname VARCHAR,
  stxnamespace BIGINT, stxowner BIGINT, stxstattarget INTEGER, stxkeys SMALLINT[],
  stxkind VARCHAR[]);
CREATE TABLE {CATALOG_SCHEMA}.pg_publication (oid BIGINT, pubname VARCHAR, pubowner BIGINT,
  puballtables BOOLEAN, pubinsert BOOLEAN, pubupdate BOOLEAN, pubdelete BOOLEAN,
  pubtruncate BOOLEAN, pubviaroot BOOLEAN);
CREATE TABLE {CATALOG_SCHEMA}.pg_publication_namespace (oid BIGINT, pnpubid BIGINT,
  pnnspid BIGINT);
CREATE TABLE {CATALOG_SCHEMA}.pg_publication_rel (oid BIGINT, prpubid BIGINT, prrelid BIGINT,
  prqual VARCHAR, prattrs SMALLINT[]);
CREATE TABLE {CATALOG_SCHEMA}.pg_rewrite (oid BIGINT, rulename VARCHAR, ev_class BIGINT,
  ev_type VARCHAR, ev_enabled VARCHAR, is_instead BOOLEAN, ev_qual VARCHAR,
  ev_action VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_trigger (oid BIGINT, tgrelid BIGINT, tgparentid BIGINT,
  tgname VARCHAR, tgfoid BIGINT, tgtype SMALLINT, tgenabled VARCHAR, tgisinternal BOOLEAN,
  tgconstrrelid BIGINT, tgconstrindid BIGINT, tgconstraint BIGINT);
CREATE TABLE {CATALOG_SCHEMA}.pg_proc (oid BIGINT, proname VARCHAR, pronamespace BIGINT,
  proowner BIGINT, prolang BIGINT, prokind VARCHAR, proretset BOOLEAN, prorettype BIGINT,
  proargtypes BIGINT[], proargnames VARCHAR[], prosrc VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_sequence (seqrelid BIGINT, seqtypid BIGINT, seqstart BIGINT,
  seqincrement BIGINT, seqmax BIGINT, seqmin BIGINT, seqcache BIGINT, seqcycle BOOLEAN);
CREATE TABLE {CATALOG_SCHEMA}.pg_enum (oid BIGINT, enumtypid BIGINT, enumsortorder REAL,
  enumlabel VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_opclass (oid BIGINT, opcmethod BIGINT, opcname VARCHAR,
  opcnamespace BIGINT, opcdefault BOOLEAN);
CREATE TABLE {CATALOG_SCHEMA}.pg_extension (oid BIGINT, extname VARCHAR, extowner BIGINT,
  extnamespace BIGINT, extversion VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_tablespace (oid BIGINT, spcname VARCHAR, spcowner BIGINT);
CREATE TABLE {CATALOG_SCHEMA}.pg_matviews (schemaname VARCHAR, matviewname VARCHAR,
  matviewowner VARCHAR, definition VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_views (schemaname VARCHAR, viewname VARCHAR,
  viewowner VARCHAR, definition VARCHAR);
CREATE TABLE {CATALOG_SCHEMA}.pg_foreign_table (ftrelid BIGINT, ftserver BIGINT,
  ftoptions VARCHAR[]);
CREATE TABLE {CATALOG_SCHEMA}.pg_stat_activity (datid BIGINT, datname VARCHAR, pid INTEGER,
  usename VARCHAR, application_name VARCHAR, state VARCHAR, query VARCHAR);
CREATE VIEW {CATALOG_SCHEMA}.pg_tables AS SELECT n.nspname AS schemaname,
  c.relname AS tablename, 'mfl' AS tableowner, CAST(NULL AS VARCHAR) AS tablespace,
  FALSE AS hasindexes, FALSE AS hasrules, FALSE AS hastriggers, FALSE AS rowsecurity
  FROM {CATALOG_SCHEMA}.pg_class AS c JOIN {CATALOG_SCHEMA}.pg_namespace AS n
  ON n.oid = c.relnamespace;
CREATE TABLE {INFO_SCHEMA}.schemata (catalog_name VARCHAR, schema_name VARCHAR,
  schema_owner VARCHAR, default_character_set_catalog VARCHAR,
  default_character_set_schema VARCHAR, default_character_set_name VARCHAR,
  sql_path VARCHAR);
CREATE TABLE {INFO_SCHEMA}.tables (table_catalog VARCHAR, table_schema VARCHAR,
  table_name VARCHAR, table_type VARCHAR, self_referencing_column_name VARCHAR,
  reference_generation VARCHAR, user_defined_type_catalog VARCHAR,
  user_defined_type_schema VARCHAR, user_defined_type_name VARCHAR,
  is_insertable_into VARCHAR, is_typed VARCHAR, commit_action VARCHAR);
CREATE TABLE {INFO_SCHEMA}.columns (table_catalog VARCHAR, table_schema VARCHAR,
  table_name VARCHAR, column_name VARCHAR, ordinal_position INTEGER, column_default VARCHAR,
  is_nullable VARCHAR, data_type VARCHAR, character_maximum_length INTEGER,
  character_octet_length INTEGER, numeric_precision INTEGER, numeric_precision_radix INTEGER,
  numeric_scale INTEGER, datetime_precision INTEGER, interval_type VARCHAR,
  udt_catalog VARCHAR, udt_schema VARCHAR, udt_name VARCHAR, is_identity VARCHAR,
  is_generated VARCHAR, is_updatable VARCHAR);
CREATE TABLE {INFO_SCHEMA}.views (table_catalog VARCHAR, table_schema VARCHAR,
  table_name VARCHAR, view_definition VARCHAR, check_option VARCHAR, is_updatable VARCHAR);
CREATE TABLE {INFO_SCHEMA}.table_constraints (constraint_catalog VARCHAR,
  constraint_schema VARCHAR, constraint_name VARCHAR, table_catalog VARCHAR,
  table_schema VARCHAR, table_name VARCHAR, constraint_type VARCHAR);
CREATE TABLE {INFO_SCHEMA}.key_column_usage (constraint_catalog VARCHAR,
  constraint_schema VARCHAR, constraint_name VARCHAR, table_catalog VARCHAR,
  table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR, ordinal_position INTEGER);
CREATE TABLE {INFO_SCHEMA}.routines (specific_catalog VARCHAR, specific_schema VARCHAR,
  specific_name VARCHAR, routine_name VARCHAR, routine_type VARCHAR, data_type VARCHAR);
CREATE MACRO mfl_format_type(t, m) AS CASE WHEN t = 1700 AND m >= 4
  THEN 'numeric(' || ((m - 4) >> 16) || ',' || ((m - 4) & 65535) || ')'
  ELSE (SELECT mfl_t.display FROM {CATALOG_SCHEMA}.mfl_types AS mfl_t WHERE mfl_t.oid = t) END;
CREATE MACRO mfl_col_description(o, n) AS (SELECT mfl_d.description
  FROM {CATALOG_SCHEMA}.pg_description AS mfl_d WHERE mfl_d.objoid = o AND mfl_d.objsubid = n);
CREATE MACRO mfl_obj_description(o) AS (SELECT mfl_d.description
  FROM {CATALOG_SCHEMA}.pg_description AS mfl_d WHERE mfl_d.objoid = o AND mfl_d.objsubid = 0);
CREATE MACRO mfl_table_is_visible(o, path) AS coalesce(list_contains(path,
  (SELECT mfl_n.nspname FROM {CATALOG_SCHEMA}.pg_class AS mfl_c
   JOIN {CATALOG_SCHEMA}.pg_namespace AS mfl_n ON mfl_n.oid = mfl_c.relnamespace
   WHERE mfl_c.oid = o)),
  FALSE);
CREATE MACRO mfl_regclass(o) AS coalesce((SELECT mfl_n.nspname || '.' || mfl_c.relname
  FROM {CATALOG_SCHEMA}.pg_class AS mfl_c JOIN {CATALOG_SCHEMA}.pg_namespace AS mfl_n
  ON mfl_n.oid = mfl_c.relnamespace WHERE mfl_c.oid = o), CAST(o AS VARCHAR));
CREATE MACRO mfl_class_oid(wanted) AS (SELECT mfl_r.oid
  FROM {CATALOG_SCHEMA}.mfl_regclass AS mfl_r WHERE mfl_r.name = wanted);
CREATE MACRO mfl_regtype(o) AS coalesce((SELECT mfl_t.display
  FROM {CATALOG_SCHEMA}.mfl_types AS mfl_t WHERE mfl_t.oid = o), CAST(o AS VARCHAR));
CREATE MACRO mfl_regnamespace(o) AS coalesce((SELECT mfl_n.nspname
  FROM {CATALOG_SCHEMA}.pg_namespace AS mfl_n WHERE mfl_n.oid = o), CAST(o AS VARCHAR));
CREATE MACRO mfl_type_oid(wanted) AS (SELECT min(mfl_t.oid)
  FROM {CATALOG_SCHEMA}.pg_type AS mfl_t WHERE mfl_t.typname = wanted
  OR mfl_t.typname = regexp_replace(wanted, '^pg_catalog[.]', ''));
CREATE MACRO mfl_array_upper(a, d) AS CASE WHEN len(a) > 0 THEN len(a) END;
CREATE MACRO mfl_quote_ident(x) AS CASE WHEN regexp_full_match(x, '[a-z_][a-z0-9_]*') THEN x
  ELSE '"' || replace(x, '"', '""') || '"' END;
"""


class PgCatalog:
    """The catalog of one served build, queried on cursors of one in-memory DuckDB database
    (safe from many threads at once)."""

    def __init__(self, relations: tuple[Relation, ...], user: str = "mfl") -> None:
        self.relations = relations
        self.schemas: tuple[str, ...] = tuple(s for s in LAYER_SCHEMAS)
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self._fill(user)
        self.database = CatalogDatabase(_DDL, self.rows)
        self.known: frozenset[tuple[str, str]] = frozenset((r.schema, r.name) for r in relations)

    def _insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        self.rows[table] = rows

    def _fill(self, user: str) -> None:
        c, i = CATALOG_SCHEMA, INFO_SCHEMA
        schema_oids = {s: FIRST_SCHEMA_OID + n for n, s in enumerate(self.schemas)}
        self._insert(
            f"{c}.pg_namespace",
            [
                (PG_CATALOG_OID, "pg_catalog", USER_OID, None),
                (INFO_SCHEMA_OID, "information_schema", USER_OID, None),
                *((oid, s, USER_OID, None) for s, oid in schema_oids.items()),
            ],
        )
        classes, attributes, descriptions, regclass = [], [], [], []
        is_tables, is_columns = [], []
        for n, rel in enumerate(self.relations):
            oid = FIRST_RELATION_OID + n
            classes.append(
                (oid, rel.name, schema_oids.get(rel.schema, PUBLIC_OID), 0, 0, USER_OID, 2)
                + (oid, 0, 0, -1.0, 0, 0, False, False, "p", "r", len(rel.columns), 0)
                + (False, False, False, False, False, False, True, "d", False, 0, 0, 0)
                + (None, None, None)
            )
            regclass += [(f"{rel.schema}.{rel.name}", oid), (f'"{rel.schema}"."{rel.name}"', oid)]
            is_tables.append(
                (DATABASE, rel.schema, rel.name, "BASE TABLE", None, None, None, None, None)
                + ("NO", "NO", None)
            )
            if rel.comment:
                descriptions.append((oid, PG_CLASS_OID, 0, rel.comment))
            for position, col in enumerate(rel.columns, start=1):
                pg = pgtypes.pg_type_of(col.type_name)
                typmod = pgtypes.typmod_of(col.type_name)
                storage = "x" if pg.size < 0 else "p"
                attributes.append(
                    (oid, col.name, pg.oid, -1, pg.size, position, 0, -1, typmod)
                    + (pg.size > 0, "i", storage, "", False, False, False, "", "", False)
                    + (True, 0, 0, None, None, None)
                )
                if col.comment:
                    descriptions.append((oid, PG_CLASS_OID, position, col.comment))
                precision = (typmod - 4) >> 16 if typmod >= 4 else None
                scale = (typmod - 4) & 0xFFFF if typmod >= 4 else None
                is_columns.append(
                    (DATABASE, rel.schema, rel.name, col.name, position, None, "YES")
                    + (pgtypes.format_type(pg, -1), None, None, precision, 10, scale, None)
                    + (None, DATABASE, "pg_catalog", pg.typname, "NO", "NEVER", "NO")
                )
        for name, oid in CATALOG_CLASS_OIDS.items():
            regclass += [(name, oid), (f"pg_catalog.{name}", oid)]
        self._insert(f"{c}.pg_class", classes)
        self._insert(f"{c}.pg_attribute", attributes)
        self._insert(f"{c}.pg_description", descriptions)
        self._insert(f"{c}.mfl_regclass", regclass)
        self._insert(
            f"{c}.pg_type",
            [
                (t.oid, t.typname, PG_CATALOG_OID, USER_OID, t.size, 0 < t.size <= 8, "b")
                + (t.category, False, True, ",", 0, 0, t.array_oid, "", "", "", "", False, 0)
                + (-1, 0, 0, None, None)
                for t in pgtypes.ALL_TYPES
            ],
        )
        self._insert(f"{c}.mfl_types", [(t.oid, t.name) for t in pgtypes.ALL_TYPES])
        self._insert(f"{c}.pg_am", [(2, "heap", "heap_tableam_handler", "t")])
        self._insert(
            f"{c}.pg_database",
            [
                (16384, DATABASE, USER_OID, 6, "c", False, True, -1, "C.UTF-8", "C.UTF-8", None)
                + (None, 1663)
            ],
        )
        self._insert(
            f"{c}.pg_roles",
            [(USER_OID, user, False, True, False, False, True, False, -1, None, False, None)],
        )
        self._insert(f"{c}.pg_user", [(user, USER_OID, False, False, False, False)])
        self._insert(f"{c}.pg_tablespace", [(1663, "pg_default", USER_OID)])
        self._insert(
            f"{i}.schemata",
            [
                (DATABASE, s, user, None, None, "UTF8", None)
                for s in ("information_schema", "pg_catalog", *self.schemas)
            ],
        )
        self._insert(f"{i}.tables", is_tables)
        self._insert(f"{i}.columns", is_columns)

    def has(self, schema: str, name: str) -> bool:
        return (schema, name) in self.known

    def run(
        self, sql: str, max_rows: int | None, timeout_s: float
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        """Run one rewritten catalog query (DuckDB SQL): (name, type name) of each column and
        the rows; E802 past max_rows, E803 past the time limit."""
        return self.database.select(sql, max_rows, timeout_s)

    def close(self) -> None:
        self.database.close()


__all__ = ["PgCatalog", "Relation", "ColumnInfo", "load_relations", "relations_sql"]
