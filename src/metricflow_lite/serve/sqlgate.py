"""What a PostgreSQL client may run on the served build, and the SQL actually run for it.

A client's text is split into statements and each is parsed with sqlglot (PostgreSQL dialect);
nothing a client wrote reaches an engine as text. A statement is either a session command
answered by the endpoint itself (SET, SHOW, RESET, BEGIN, COMMIT, ROLLBACK, DISCARD: they
change nothing but the session's own settings) or a read: a SELECT (WITH, UNION, VALUES) whose
every function is on the read allowlist (READ_FUNCTIONS and the row and derived functions of
spec/expr.py) and whose every relation is a served relation (`app`, `ind`, `src`) or a catalog
table (pg_catalog, information_schema). Anything else is refused with its reason (E820):
INSERT, CREATE, COPY, ATTACH, file readers (read_csv, pg_read_file), settings readers
(current_setting), SELECT INTO, FOR UPDATE.

A read of served relations is transpiled to the warehouse's dialect and run on the snapshot; a
read of the catalog is rewritten onto the private catalog database (serve/pgcatalog.py): the
catalog tables' schemas, the catalog functions (format_type, col_description, ...) onto its
macros or constants, casts to regclass and friends, `OPERATOR(pg_catalog.~)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.tokenizer_core import TokenType

from metricflow_lite.compile.names import LAYER_SCHEMAS
from metricflow_lite.errors import MflError
from metricflow_lite.serve.pgcatalog import CATALOG_SCHEMA, INFO_SCHEMA
from metricflow_lite.serve.pgerrors import refused
from metricflow_lite.spec.expr import CAST_TYPES, DERIVED_FUNCTIONS, ROW_FUNCTIONS

# Functions a read may call on the warehouse (besides spec/expr.py's ROW_FUNCTIONS and
# DERIVED_FUNCTIONS): aggregates, window functions and the scalar functions BI tools write.
# None reads a file, the network, the environment or a setting. To allow one more, add its
# example call (PostgreSQL spelling).
READ_FUNCTIONS: tuple[str, ...] = (
    "count(*)",
    "sum(x)",
    "avg(x)",
    "min(x)",
    "max(x)",
    "stddev(x)",
    "stddev_samp(x)",
    "stddev_pop(x)",
    "variance(x)",
    "var_samp(x)",
    "var_pop(x)",
    "corr(x, y)",
    "covar_pop(x, y)",
    "covar_samp(x, y)",
    "string_agg(x, ',')",
    "array_agg(x)",
    "bool_and(x)",
    "bool_or(x)",
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY x)",
    "percentile_disc(0.5) WITHIN GROUP (ORDER BY x)",
    "row_number() OVER ()",
    "rank() OVER ()",
    "dense_rank() OVER ()",
    "percent_rank() OVER ()",
    "cume_dist() OVER ()",
    "ntile(4) OVER ()",
    "lag(x) OVER ()",
    "lead(x) OVER ()",
    "first_value(x) OVER ()",
    "last_value(x) OVER ()",
    "nth_value(x, 2) OVER ()",
    "CAST(x AS INT)",
    "CASE WHEN x THEN 1 END",
    "ceiling(x)",
    "trunc(x)",
    "exp(x)",
    "log(x)",
    "mod(x, 2)",
    "char_length(x)",
    "concat_ws(',', x, y)",
    "ltrim(x)",
    "rtrim(x)",
    "btrim(x)",
    "substr(x, 1, 2)",
    "left(x, 2)",
    "right(x, 2)",
    "position('a' IN x)",
    "strpos(x, 'a')",
    "split_part(x, ',', 1)",
    "lpad(x, 2, '0')",
    "rpad(x, 2, '0')",
    "starts_with(x, 'a')",
    "regexp_replace(x, 'a', 'b')",
    "date_part('year', x)",
    "make_date(2024, 1, 2)",
    "to_char(x, 'YYYY-MM-DD')",
    "now()",
    "current_date",
    "current_timestamp",
    "localtimestamp",
    "array_length(x, 1)",
    "array_to_string(x, ',')",
    "unnest(x)",
    "generate_series(1, 2)",
    "generate_subscripts(x, 1)",
    "pg_catalog.length(x)",
)

# Catalog functions, answered by the private catalog: name -> how the call is rewritten
# ("macro:<name>" calls a macro of serve/pgcatalog.py with the same arguments).
CATALOG_FUNCTIONS: dict[str, str] = {
    "format_type": "macro:mfl_format_type",
    "col_description": "macro:mfl_col_description",
    "obj_description": "first:mfl_obj_description",
    "pg_table_is_visible": "visible",
    "array_upper": "macro:mfl_array_upper",
    "quote_ident": "macro:mfl_quote_ident",
    "to_regclass": "macro:mfl_class_oid",
    "to_regtype": "macro:mfl_type_oid",
    "pg_get_userbyid": "user",
    "pg_encoding_to_char": "utf8",
    "shobj_description": "null",
    "pg_get_expr": "null",
    "pg_get_viewdef": "null",
    "pg_get_ruledef": "null",
    "pg_get_indexdef": "null",
    "pg_get_constraintdef": "null",
    "pg_get_triggerdef": "null",
    "pg_get_functiondef": "null",
    "pg_get_function_arguments": "null",
    "pg_get_function_result": "null",
    "pg_get_statisticsobjdef_columns": "null",
    "pg_get_serial_sequence": "null",
    "pg_get_partkeydef": "null",
    "json_build_object": "null",
    "pg_relation_is_publishable": "false",
    "pg_is_in_recovery": "false",
    "has_table_privilege": "privilege",
    "has_schema_privilege": "privilege",
    "has_database_privilege": "privilege",
    "has_column_privilege": "privilege",
    "has_any_column_privilege": "privilege",
    "pg_collation_is_visible": "true",
    "pg_type_is_visible": "true",
    "pg_function_is_visible": "true",
    "pg_relation_size": "zero",
    "pg_total_relation_size": "zero",
    "pg_table_size": "zero",
    "pg_indexes_size": "zero",
    "pg_backend_pid": "pid",
}
# Functions of the session, answered the same on both paths.
SESSION_FUNCTIONS = ("version", "current_schema", "current_schemas", "current_database")
SESSION_USER_FUNCTIONS = ("current_user", "session_user", "user", "current_role")
CATALOG_SCHEMAS = {"pg_catalog": CATALOG_SCHEMA, "information_schema": INFO_SCHEMA}
CATALOG_TABLES = frozenset(
    {
        "pg_namespace",
        "pg_class",
        "pg_attribute",
        "pg_type",
        "pg_description",
        "pg_am",
        "pg_database",
        "pg_roles",
        "pg_user",
        "pg_settings",
        "pg_attrdef",
        "pg_collation",
        "pg_index",
        "pg_constraint",
        "pg_inherits",
        "pg_policy",
        "pg_statistic_ext",
        "pg_publication",
        "pg_publication_namespace",
        "pg_publication_rel",
        "pg_rewrite",
        "pg_trigger",
        "pg_proc",
        "pg_sequence",
        "pg_enum",
        "pg_opclass",
        "pg_extension",
        "pg_tablespace",
        "pg_matviews",
        "pg_views",
        "pg_tables",
        "pg_foreign_table",
        "pg_stat_activity",
    }
)
INFO_TABLES = frozenset(
    {"schemata", "tables", "columns", "views", "table_constraints", "key_column_usage", "routines"}
)
# Casts a catalog query makes to PostgreSQL's own types, onto DuckDB's.
_OID_TYPES = {"oid", "regoper", "regoperator", "xid", "cid", "tid", "int2vector", "oidvector"}
_CATALOG_CASTS = {"regclass": "mfl_regclass", "regtype": "mfl_regtype"}
_STATEMENT_NODES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, name)
    for name in (
        "DDL",
        "DML",
        "Drop",
        "Alter",
        "Command",
        "Into",
        "Lock",
        "Set",
        "Pragma",
        "Use",
        "Transaction",
        "Commit",
        "Rollback",
        "TruncateTable",
        "Describe",
        "Cache",
        "Uncache",
        "Refresh",
        "Attach",
        "Detach",
        "Install",
        "Summarize",
        "Copy",
        "LoadData",
        "Analyze",
    )
    if hasattr(exp, name)
)
_OPERATOR_NODES = (exp.Connector, exp.Binary, exp.Unary)
_READ_ROOTS = (exp.Select, exp.Union, exp.Except, exp.Intersect, exp.Subquery, exp.Values)
REFUSED_KEYWORDS = (
    "INSERT UPDATE DELETE MERGE UPSERT CREATE DROP ALTER TRUNCATE COPY ATTACH DETACH INSTALL"
    " LOAD PRAGMA CALL EXPORT IMPORT GRANT REVOKE VACUUM CHECKPOINT EXPLAIN ANALYZE DO PREPARE"
    " EXECUTE LISTEN NOTIFY UNLISTEN LOCK COMMENT REFRESH CLUSTER REINDEX SECURITY USE"
    " SUMMARIZE DESCRIBE FETCH MOVE DECLARE CLOSE REASSIGN IMPORT"
).split()


class Kind(Enum):
    READ = "read"
    SET = "SET"
    SHOW = "SHOW"
    RESET = "RESET"
    BEGIN = "BEGIN"
    COMMIT = "COMMIT"
    ROLLBACK = "ROLLBACK"
    DISCARD = "DISCARD"
    DEALLOCATE = "DEALLOCATE"
    SAVEPOINT = "SAVEPOINT"
    RELEASE = "RELEASE"
    ROLLBACK_TO = "ROLLBACK TO"
    EMPTY = "EMPTY"


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a client's text: a read (its parsed tree) or a session command."""

    kind: Kind
    text: str
    tree: exp.Expr | None = None
    name: str | None = None  # SET/SHOW/RESET: the setting (lower case)
    value: str | None = None  # SET: the value as written, quotes removed


class Target(Enum):
    WAREHOUSE = "warehouse"
    CATALOG = "catalog"


@dataclass(frozen=True, slots=True)
class Session:
    """What a connection's catalog answers depend on."""

    user: str
    database: str
    search_path: tuple[str, ...] = LAYER_SCHEMAS[::-1]  # app, ind, src
    server_version: str = "15.0"
    pid: int = 0
    version_text: str = "PostgreSQL 15.0 (metricflow-lite) on x86_64-pc-linux-gnu, 64-bit"


@dataclass(frozen=True, slots=True)
class Gated:
    """A read, allowed: where it runs and the SQL run there."""

    target: Target
    sql: str
    relations: tuple[str, ...] = field(default=())


def _classes(examples: Sequence[str], dialect: str) -> tuple[set[type[exp.Expr]], set[str]]:
    classes: set[type[exp.Expr]] = set()
    names: set[str] = set()
    for example in examples:
        tree = sqlglot.parse_one(example, read=dialect)
        for node in tree.walk():
            if isinstance(node, exp.Anonymous):
                names.add(str(node.name).lower())
            elif isinstance(node, exp.Func):
                classes.add(type(node))
        names.add(example.split("(", 1)[0].strip().split(".")[-1].lower())
    return classes, names


_READ_CLASSES, _READ_NAMES = _classes(READ_FUNCTIONS, "postgres")
_SPEC_CLASSES, _SPEC_NAMES = _classes(
    [a.example for a in (*ROW_FUNCTIONS, *DERIVED_FUNCTIONS)], "duckdb"
)
ALLOWED_CLASSES = frozenset(_READ_CLASSES | _SPEC_CLASSES)
ALLOWED_NAMES = frozenset(_READ_NAMES | _SPEC_NAMES)


def split_statements(text: str) -> list[str]:
    """The statements of a client's text, split at top-level semicolons (E821 if it does not
    tokenize)."""
    try:
        tokens = Postgres().tokenize(text)
    except (TokenError, ValueError) as err:
        raise MflError("E821", f"syntax error: {err}", None, None) from None
    parts: list[str] = []
    start = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            parts.append(text[start : token.start])
            start = token.end + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


_SET = re.compile(
    r"^SET\s+(?:SESSION\s+|LOCAL\s+)?(?P<name>[A-Za-z_][\w.]*)\s*(?:=|\s+TO\s+|\s)\s*(?P<value>.*)$",
    re.I | re.S,
)
_WORD = re.compile(r"[A-Za-z_]+")


def classify(text: str) -> Statement:
    """One statement: a session command, or a read parsed with sqlglot; E820 for any other
    kind of statement, E821 for text that does not parse."""
    words = _WORD.findall(text[:200].upper())
    first = words[0] if words else ""
    if not text.strip():
        return Statement(Kind.EMPTY, text)
    if first == "SET":
        return _set_statement(text)
    if first == "SHOW":
        name = "_".join(w.lower() for w in words[1:]) or "all"
        if name in ("transaction_isolation_level", "transaction_isolation"):
            name = "transaction_isolation"
        return Statement(Kind.SHOW, text, name=name)
    if first == "RESET":
        return Statement(Kind.RESET, text, name="_".join(w.lower() for w in words[1:2]))
    if first in ("BEGIN", "START"):
        return Statement(Kind.BEGIN, text)
    if first in ("COMMIT", "END"):
        return Statement(Kind.COMMIT, text)
    if first == "SAVEPOINT":
        return Statement(Kind.SAVEPOINT, text)
    if first == "RELEASE":
        return Statement(Kind.RELEASE, text)
    if first == "ROLLBACK" and len(words) > 1 and words[1] == "TO":
        return Statement(Kind.ROLLBACK_TO, text)
    if first in ("ROLLBACK", "ABORT"):
        return Statement(Kind.ROLLBACK, text)
    if first == "DISCARD":
        return Statement(Kind.DISCARD, text)
    if first == "DEALLOCATE":
        return Statement(Kind.DEALLOCATE, text)
    if first in REFUSED_KEYWORDS:
        raise refused(f"{first} is not allowed here")
    try:
        trees = sqlglot.parse(text, read="postgres")
    except RecursionError:
        raise too_deep() from None
    except (ParseError, TokenError) as err:
        # PostgreSQL takes a keyword as a name after AS and after a dot (`AS select`,
        # `t.table`: Metabase writes both); sqlglot does not, so such words are quoted first.
        quoted = quote_keyword_names(text)
        try:
            trees = sqlglot.parse(quoted, read="postgres") if quoted != text else []
        except (ParseError, TokenError):
            trees = []
        if not trees:
            message = str(err).splitlines()[0]
            raise MflError("E821", f"syntax error: {message}", None, None) from None
    if len(trees) != 1 or trees[0] is None:
        raise MflError("E821", "syntax error: expected one statement", None, None)
    tree = trees[0]
    if not isinstance(tree, _READ_ROOTS):
        raise refused(f"{tree.key.upper()} is not allowed here")
    return Statement(Kind.READ, text, tree=tree)


_NAME_TOKENS = (TokenType.VAR, TokenType.STRING, TokenType.NUMBER, TokenType.IDENTIFIER)


def quote_keyword_names(text: str) -> str:
    """The text with each keyword used as a name (after AS, or after a dot) in double quotes."""
    try:
        tokens = Postgres().tokenize(text)
    except (TokenError, ValueError):
        return text
    out: list[str] = []
    last = 0
    for previous, token in zip(tokens, tokens[1:], strict=False):
        after_name = previous.token_type in (TokenType.ALIAS, TokenType.DOT)
        keyword = token.token_type not in _NAME_TOKENS and token.text.isalpha()
        if after_name and keyword:
            out.append(text[last : token.start])
            out.append('"' + token.text.lower() + '"')
            last = token.end + 1
    out.append(text[last:])
    return "".join(out)


def _set_statement(text: str) -> Statement:
    upper = " ".join(text.upper().split())
    if upper.startswith(("SET TRANSACTION", "SET SESSION CHARACTERISTICS")):
        return Statement(Kind.SET, text, name="transaction", value=None)
    if upper.startswith(("SET TIME ZONE", "SET SESSION TIME ZONE", "SET LOCAL TIME ZONE")):
        value = text.strip().split(None, 3 if upper.startswith("SET TIME") else 4)[-1]
        return Statement(Kind.SET, text, name="timezone", value=_unquote(value))
    found = _SET.match(text.strip())
    if not found:
        raise MflError("E821", "syntax error in SET", None, "SET name = value")
    return Statement(
        Kind.SET, text, name=found.group("name").lower(), value=_unquote(found.group("value"))
    )


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].replace(value[0] * 2, value[0])
    return value


def search_path_of(value: str, schemas: Sequence[str]) -> tuple[str, ...]:
    """A SET search_path value as the served schemas it names, in order ($user and others are
    left out)."""
    names = [_unquote(part) for part in value.split(",")]
    return tuple(n for n in names if n in schemas)


# --- parameters -----------------------------------------------------------------------------

_NUMERIC_OIDS = {20, 21, 23, 26, 700, 701, 1700}


def parameter_literal(value: str | None, type_oid: int) -> exp.Expr:
    """A bound parameter (its text form) as a literal of its type."""
    if value is None:
        return exp.Null()
    if type_oid in _NUMERIC_OIDS:
        try:
            float(value)
        except ValueError:
            raise MflError(
                "E821", f"invalid number for a parameter: {value!r}", None, None
            ) from None
        return exp.Literal.number(value.strip())
    if type_oid == 16:
        return exp.Boolean(this=value.strip().lower() in ("t", "true", "1", "yes", "on"))
    if type_oid == 1082:
        return exp.cast(exp.Literal.string(value), exp.DataType.Type.DATE)
    if type_oid in (1114, 1184):
        return exp.cast(exp.Literal.string(value), exp.DataType.Type.TIMESTAMP)
    return exp.Literal.string(value)


def bind_parameters(tree: exp.Expr, values: Sequence[exp.Expr]) -> exp.Expr:
    """The tree with $1, $2 ... replaced by the bound values (E826 for one not bound)."""

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Parameter):
            text = node.name if node.this is not None else ""
            if text.isdigit():
                index = int(text) - 1
                if not 0 <= index < len(values):
                    raise MflError("E826", f"there is no parameter ${text}", None, None)
                return values[index].copy()
        if isinstance(node, exp.Placeholder):
            raise MflError("E826", "a '?' placeholder is not supported; use $1", None, None)
        return node

    return tree.copy().transform(replace)


def parameter_count(tree: exp.Expr) -> int:
    numbers = [int(node.name) for node in tree.find_all(exp.Parameter) if str(node.name).isdigit()]
    return max(numbers, default=0)


# --- the gate -----------------------------------------------------------------------------------


def output_names(tree: exp.Expr) -> None:
    """Name unnamed output columns as PostgreSQL does (the function's name, ?column?), so the
    rewriting below does not change what a client sees. Changes the tree in place."""
    select = tree
    while isinstance(select, exp.Union | exp.Except | exp.Intersect):
        select = select.this
    if isinstance(select, exp.Subquery):
        select = select.unnest()
    if not isinstance(select, exp.Select):
        return
    named: list[exp.Expr] = []
    for item in select.expressions:
        if isinstance(item, exp.Alias | exp.Column | exp.Star) or item.find(exp.Star) is item:
            named.append(item)
            continue
        named.append(exp.alias_(item, _pg_name(item), quoted=True))
    select.set("expressions", named)


def _pg_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
        node = node.expression
    if isinstance(node, exp.Cast):
        inner = node.this
        if isinstance(inner, exp.Column):
            return inner.name
        if isinstance(inner, exp.Func | exp.Dot):
            return _pg_name(inner)
        kind = node.to.args.get("kind")
        return str(kind.name if isinstance(kind, exp.Dot) else kind or node.to.this.value).lower()
    if isinstance(node, exp.Window | exp.WithinGroup):
        return _pg_name(node.this)
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.CurrentVersion):
        return "version"
    if isinstance(node, exp.Case):
        return "case"
    if isinstance(node, exp.Func) and not isinstance(node, _OPERATOR_NODES):
        # the name PostgreSQL itself would show: the call as written in its dialect
        written = node.sql(dialect="postgres")
        name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", written)
        return name.group(0).lower() if name else "?column?"
    return "?column?"


def too_deep() -> MflError:
    return MflError(
        "E830",
        "the statement nests too deep to be checked",
        None,
        "write it flatter: IN (...) for a list of values, a WITH for nested subqueries",
    )


def gate(
    tree: exp.Expr,
    session: Session,
    known: Callable[[str, str], bool],
    warehouse_dialect: str,
) -> Gated:
    """A parsed read, checked and rewritten for where it runs; E820 (refused), E822 (unknown
    relation), E823 (catalog and warehouse in one query) or E830 (too deep) otherwise."""
    try:
        return _gate(tree, session, known, warehouse_dialect)
    except RecursionError:
        # the checks walk the tree recursively: 20,000 terms of `1 + 1 + ...` were an E899
        raise too_deep() from None


def _gate(
    tree: exp.Expr,
    session: Session,
    known: Callable[[str, str], bool],
    warehouse_dialect: str,
) -> Gated:
    tree = normalize_identifiers(tree.copy(), dialect="postgres")  # unquoted names fold
    output_names(tree)
    tree = bottom_up(tree, _like_escape)
    tree = tree.transform(_unqualify_function)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    catalog_tables: list[exp.Table] = []
    data_tables: list[exp.Table] = []
    for node in tree.walk():
        if isinstance(node, _STATEMENT_NODES):
            raise refused(f"{node.key.upper()} is not allowed in a query")
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            _place(node, ctes, session, known, catalog_tables, data_tables)
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Func):
            node.set("db", None)  # pg_catalog.unnest(...) AS x
        elif isinstance(node, exp.Func) and not isinstance(node, _OPERATOR_NODES):
            _check_function(node)
    if catalog_tables and data_tables:
        raise MflError(
            "E823",
            "a query may read the catalog (pg_catalog, information_schema) or the warehouse"
            " (app, ind, src), not both",
            None,
            "run two queries",
        )
    if data_tables:
        tree = bottom_up(tree, lambda n: _session_value(n, session) or n)
        _check_warehouse_types(tree)
        if warehouse_dialect == "duckdb":
            tree = tree.transform(_duckdb_time_call)
        sql = tree.sql(dialect=warehouse_dialect)
        names = tuple(f"{t.db}.{t.name}" for t in data_tables)
        return Gated(Target.WAREHOUSE, sql, names)
    tree = bottom_up(tree, lambda n: _catalog_rewrite(n, session)).transform(_duckdb_time_call)
    return Gated(Target.CATALOG, tree.sql(dialect="duckdb"))


# DuckDB's time keywords as the functions it has for them: its binder takes `CURRENT_DATE AS
# "current_date"` (the name PostgreSQL gives the column) for a column used before it is
# defined, so `SELECT now()` failed
_DUCKDB_TIME_CALLS: dict[type[exp.Expr], str] = {
    exp.CurrentTimestamp: "get_current_timestamp",
    exp.CurrentDate: "current_date",
    exp.Localtimestamp: "current_localtimestamp",
}


def _duckdb_time_call(node: exp.Expr) -> exp.Expr:
    name = _DUCKDB_TIME_CALLS.get(type(node))
    # DuckDB's CURRENT_TIMESTAMP takes no precision either (sqlglot drops it)
    return node if name is None else exp.Anonymous(this=name, expressions=[])


def bottom_up(node: exp.Expr, fn: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """Rewrite a tree children first (a rewritten node's children are rewritten already)."""
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expr):
            node.set(key, bottom_up(value, fn))
        elif isinstance(value, list):
            node.set(key, [bottom_up(v, fn) if isinstance(v, exp.Expr) else v for v in value])
    return fn(node)


def _like_escape(node: exp.Expr) -> exp.Expr:
    """LIKE's escape character is a backslash in PostgreSQL, none in DuckDB: say it."""
    if isinstance(node, exp.Like | exp.ILike) and not isinstance(node.parent, exp.Escape):
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string and "\\" in pattern.this:
            return exp.Escape(this=node, expression=exp.Literal.string("\\"))
    return node


def _unqualify_function(node: exp.Expr) -> exp.Expr:
    """pg_catalog.format_type(...) -> format_type(...)."""
    if (
        isinstance(node, exp.Dot)
        and isinstance(node.expression, exp.Func)
        and isinstance(node.this, exp.Identifier | exp.Var | exp.Column)
        and node.this.name.lower() == "pg_catalog"
    ):
        return node.expression
    return node


def _place(
    table: exp.Table,
    ctes: set[str],
    session: Session,
    known: Callable[[str, str], bool],
    catalog_tables: list[exp.Table],
    data_tables: list[exp.Table],
) -> None:
    name, schema, database = table.name, table.db, table.catalog
    if database and database != session.database:
        raise MflError("E822", f'database "{database}" does not exist', None, None)
    if not schema and name in ctes:
        return
    if schema in CATALOG_SCHEMAS or (not schema and name in CATALOG_TABLES):
        tables = INFO_TABLES if schema == "information_schema" else CATALOG_TABLES
        if name not in tables:
            raise MflError(
                "E822",
                f'relation "{schema or "pg_catalog"}.{name}" does not exist',
                None,
                "this endpoint shows the catalog tables psql and BI drivers read",
            )
        target = INFO_SCHEMA if schema == "information_schema" else CATALOG_SCHEMA
        table.set("db", exp.to_identifier(target))
        table.set("catalog", None)
        catalog_tables.append(table)
        return
    if schema:
        if not known(schema, name):
            raise MflError(
                "E822", f'relation "{schema}.{name}" does not exist', None, _relation_hint()
            )
        table.set("catalog", None)
        data_tables.append(table)
        return
    for candidate in session.search_path:
        if known(candidate, name):
            table.set("db", exp.to_identifier(candidate))
            data_tables.append(table)
            return
    raise MflError("E822", f'relation "{name}" does not exist', None, _relation_hint())


def _relation_hint() -> str:
    return "list the relations with \\dt app.* (or information_schema.tables)"


def _check_function(node: exp.Func) -> None:
    if isinstance(node, exp.Anonymous):
        name = str(node.name).lower()
        if name in ALLOWED_NAMES or name in CATALOG_FUNCTIONS:
            return
        if name in SESSION_FUNCTIONS or name in SESSION_USER_FUNCTIONS:
            return
        raise refused(f"the function {name}() is not allowed", _function_hint())
    if type(node) in ALLOWED_CLASSES:
        return
    if isinstance(
        node,
        exp.CurrentVersion
        | exp.CurrentSchema
        | exp.CurrentDatabase
        | exp.CurrentUser
        | exp.Collate
        | exp.Any
        | exp.All
        | exp.Array
        | exp.Cast
        | exp.TryCast
        | exp.Case
        | exp.If
        | exp.Coalesce
        | exp.Exists
        | exp.Extract
        | exp.Interval
        | exp.RegexpLike
        | exp.RegexpILike
        | exp.Operator
        | exp.Unnest
        | exp.Explode,
    ):
        return
    raise refused(f"the function {node.sql_name().lower()}() is not allowed", _function_hint())


def _function_hint() -> str:
    return (
        "a query may use aggregates, window functions and scalar functions that read no file,"
        " network or setting (docs/serving.md lists them)"
    )


def _check_warehouse_types(tree: exp.Expr) -> None:
    for node in tree.find_all(exp.DataType):
        if node.this not in CAST_TYPES and node.this != exp.DataType.Type.ARRAY:
            raise refused(f"a cast to {node.sql(dialect='postgres')} is not allowed here")


def _session_value(node: exp.Expr, session: Session) -> exp.Expr | None:
    """version(), current_schema(), current_user ... as constants."""
    name = _call_name(node)
    if name == "version":
        return exp.Literal.string(session.version_text)
    if name == "current_schema":
        return exp.Literal.string(session.search_path[0] if session.search_path else "public")
    if name == "current_database":
        return exp.Literal.string(session.database)
    if name == "current_schemas":
        return exp.Array(expressions=[exp.Literal.string(s) for s in session.search_path])
    if name in SESSION_USER_FUNCTIONS:
        return exp.Literal.string(session.user)
    if (
        isinstance(node, exp.Column)
        and not node.table
        and node.name.lower()
        in (
            "current_user",
            "session_user",
            "user",
            "current_role",
        )
    ):
        return exp.Literal.string(session.user)
    return None


def _call_name(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.CurrentVersion):
        return "version"
    if isinstance(node, exp.CurrentSchema):
        return "current_schema"
    if isinstance(node, exp.CurrentDatabase):
        return "current_database"
    if isinstance(node, exp.CurrentUser):
        return "current_user"
    return None


def _catalog_rewrite(node: exp.Expr, session: Session) -> exp.Expr:
    value = _session_value(node, session)
    if value is not None:
        return value
    if isinstance(node, exp.Collate):
        inner: exp.Expr = node.this
        return inner
    if isinstance(node, exp.Literal) and node.is_string and _ARRAY_TEXT.match(node.this):
        return _array_literal(node.this)
    if isinstance(node, exp.Column) and node.args.get("db") is not None:
        schema = node.db
        if schema in CATALOG_SCHEMAS:
            node.set("db", exp.to_identifier(CATALOG_SCHEMAS[schema]))
        return node
    if isinstance(node, exp.Operator):
        return _operator(node)
    if isinstance(node, exp.Cast):
        return _catalog_cast(node)
    if isinstance(node, exp.Anonymous):
        return _catalog_call(node, session)
    return node


_ARRAY_TEXT = re.compile(r"^\{[^{}]*\}$")


def _array_literal(text: str) -> exp.Expr:
    """'{0}' or '{r,p}' (PostgreSQL's array text) as a list."""
    items = [i.strip().strip('"') for i in text[1:-1].split(",") if i.strip()]
    if items and all(re.fullmatch(r"-?\d+", i) for i in items):
        return exp.Array(expressions=[exp.Literal.number(i) for i in items])
    return exp.Array(expressions=[exp.Literal.string(i) for i in items])


def _operator(node: exp.Operator) -> exp.Expr:
    op = str(node.args.get("operator", "")).split(".")[-1].strip()
    left, right = node.this, node.expression
    built: dict[str, Callable[[], exp.Expr]] = {
        "~": lambda: exp.RegexpLike(this=left, expression=right),
        "~*": lambda: exp.RegexpILike(this=left, expression=right),
        "!~": lambda: exp.not_(exp.RegexpLike(this=left, expression=right)),
        "!~*": lambda: exp.not_(exp.RegexpILike(this=left, expression=right)),
        "=": lambda: exp.EQ(this=left, expression=right),
        "<>": lambda: exp.NEQ(this=left, expression=right),
        "<": lambda: exp.LT(this=left, expression=right),
        ">": lambda: exp.GT(this=left, expression=right),
        "<=": lambda: exp.LTE(this=left, expression=right),
        ">=": lambda: exp.GTE(this=left, expression=right),
    }
    if op not in built:
        raise refused(f"the operator {op} is not allowed")
    return built[op]()


def _type_name(to: exp.DataType) -> str:
    kind = to.args.get("kind")
    if isinstance(kind, exp.Dot):
        return str(kind.name).lower()
    if kind is not None:
        return str(kind.name if isinstance(kind, exp.Expr) else kind).lower()
    this = to.this
    return str(this.value if isinstance(this, Enum) else this).lower()


def _catalog_cast(node: exp.Cast) -> exp.Expr:
    to = node.to
    name = _type_name(to)
    if name == "regclass":
        if isinstance(node.this, exp.Literal) and node.this.is_string:
            return exp.Anonymous(this="mfl_class_oid", expressions=[node.this])
        return exp.Anonymous(this="mfl_regclass", expressions=[node.this])
    if name == "regtype" and isinstance(node.this, exp.Literal) and node.this.is_string:
        return exp.Anonymous(this="mfl_type_oid", expressions=[node.this])
    if name in _CATALOG_CASTS:
        return exp.Anonymous(this=_CATALOG_CASTS[name], expressions=[node.this])
    if name == "regnamespace":
        return exp.Anonymous(this="mfl_regnamespace", expressions=[node.this])
    if name in ("regproc", "regprocedure"):
        return exp.cast(exp.Null(), exp.DataType.Type.VARCHAR)
    if name in _OID_TYPES:
        return exp.cast(node.this, exp.DataType.Type.BIGINT)
    if name in ("name", "char", "text", "bpchar"):
        return exp.cast(node.this, exp.DataType.Type.VARCHAR)
    if to.this == exp.DataType.Type.ARRAY and to.expressions:
        inner = _type_name(to.expressions[0])
        mapped = {"int2": "SMALLINT[]", "int4": "INTEGER[]", "oid": "BIGINT[]", "text": "VARCHAR[]"}
        if inner in mapped:
            return exp.cast(node.this, exp.DataType.build(mapped[inner], dialect="duckdb"))
    if to.this == exp.DataType.Type.USERDEFINED:
        mapped_scalar = {"int2": "SMALLINT", "int4": "INTEGER", "int8": "BIGINT"}
        if name in mapped_scalar:
            return exp.cast(node.this, exp.DataType.build(mapped_scalar[name]))
        raise refused(f"a cast to {name} is not allowed here")
    return node


def _catalog_call(node: exp.Anonymous, session: Session) -> exp.Expr:
    name = str(node.name).lower()
    rule = CATALOG_FUNCTIONS.get(name)
    if rule is None:
        return node
    args = list(node.expressions)
    if rule.startswith("macro:"):
        return exp.Anonymous(this=rule.split(":", 1)[1], expressions=args)
    if rule.startswith("first:"):
        return exp.Anonymous(this=rule.split(":", 1)[1], expressions=args[:1])
    if rule == "visible":
        path: exp.Expr = exp.Array(expressions=[exp.Literal.string(s) for s in session.search_path])
        if not session.search_path:
            path = exp.cast(exp.Array(expressions=[]), exp.DataType.build("VARCHAR[]"))
        return exp.Anonymous(this="mfl_table_is_visible", expressions=[*args[:1], path])
    if rule == "privilege":  # reads are granted, writes are not
        wanted = [a.this.lower() for a in args if isinstance(a, exp.Literal) and a.is_string]
        return (
            exp.true() if wanted and wanted[-1] in ("select", "usage", "connect") else exp.false()
        )
    constants: dict[str, exp.Expr] = {
        "user": exp.Literal.string(session.user),
        "utf8": exp.Literal.string("UTF8"),
        "null": exp.Null(),
        "false": exp.false(),
        "true": exp.true(),
        "zero": exp.Literal.number(0),
        "pid": exp.Literal.number(session.pid),
    }
    return constants[rule]


__all__ = [
    "Gated",
    "Kind",
    "Session",
    "Statement",
    "Target",
    "bind_parameters",
    "classify",
    "gate",
    "parameter_literal",
    "split_statements",
]
