"""Hand-written models (models/<layer>/*.sql): render jinja, find refs, order the build."""

from __future__ import annotations

import graphlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from metricflow_lite.compile import names
from metricflow_lite.errors import Location, MflError, did_you_mean
from metricflow_lite.spec.loader import relative_name

LAYERS = ("source", "indicator", "application")
SCHEMA_OF_LAYER = {"source": names.SRC, "indicator": names.IND, "application": names.APP}


@dataclass(frozen=True, slots=True)
class SqlModel:
    """One models/<layer>/<name>.sql file, rendered."""

    name: str
    layer: str
    file: str  # relative to the project
    sql: str  # rendered, in the DuckDB dialect
    refs: tuple[str, ...]
    sources: tuple[str, ...]
    # where `sql` starts in the rendered file: leading blank lines and spaces are stripped
    first_line: int = 1
    first_col: int = 1

    @property
    def schema(self) -> str:
        return SCHEMA_OF_LAYER[self.layer]


# functions whose value is not a function of the row: a view would give another one each read
VOLATILE = (
    exp.Anonymous,  # a function sqlglot does not know, e.g. DuckDB's now()
    exp.CurrentDate,
    exp.CurrentDatetime,
    exp.CurrentTime,
    exp.CurrentTimestamp,
    exp.CurrentUser,
    exp.CurrentSchema,
    exp.Localtime,
    exp.Localtimestamp,
    exp.Rand,
    exp.Randn,
    exp.Uuid,
)
# DuckDB's functions that sqlglot parses by name only and that give another value each call
VOLATILE_FUNCTION_NAMES = frozenset(
    {
        "now",
        "today",
        "get_current_time",
        "get_current_timestamp",
        "transaction_timestamp",
        "current_localtime",
        "current_localtimestamp",
        "random",
        "setseed",
        "uuid",
        "uuidv4",
        "uuidv7",
        "gen_random_uuid",
        "nextval",
        "currval",
    }
)
# what makes a value of a row depend on other rows
NOT_ROW_WISE = (exp.Window, exp.AggFunc, exp.Subquery, exp.Unnest, exp.Explode, exp.Query)
# the parts of a set operation and of a SELECT that a view of a source model may have (any
# other, e.g. joins, group, order, with, makes it a table)
UNION_ARGS = {"this", "expression", "distinct"}
SELECT_ARGS = {"expressions", "from_", "where"}
TABLE_ARGS = {"this", "db", "catalog", "alias"}  # no sample, no pivot, no time travel


def materialized(model: SqlModel, query: exp.Query) -> str:
    """How a model is built, "view" or "table". Indicator models are tables, application
    models views. A source model is a table, the build's snapshot of raw: a later `mfl seed`
    changes no number until the next build, and what reads it reads its rows, not its SQL,
    again. But one that only reshapes other source models, row by row (a UNION ALL of
    SELECTs, each of one model's rows, filtered and with columns computed from that row
    alone), is a view: it reads snapshots already, reading it costs about what scanning its
    table would, and writing its rows again was the largest step of an incremental build
    after the tables it reads."""
    if model.layer == "application":
        return "view"
    if model.layer == "indicator" or model.sources or not model.refs:
        return "table"
    branches: list[exp.Expr] = []
    pending: list[exp.Expr] = [query]
    while pending:
        node = pending.pop()
        if isinstance(node, exp.Union):
            if node.args.get("distinct") or _set_args(node) - UNION_ARGS:
                return "table"
            pending += [node.this, node.expression]
        else:
            branches.append(node)
    for branch in branches:
        if not isinstance(branch, exp.Select) or _set_args(branch) - SELECT_ARGS:
            return "table"
        source = branch.args["from_"].this if branch.args.get("from_") else None
        if (
            not isinstance(source, exp.Table)
            or source.db != names.SRC
            or _set_args(source) - TABLE_ARGS
        ):
            return "table"
        for part in (*branch.expressions, branch.args.get("where")):
            if part is not None and part.find(*NOT_ROW_WISE, *VOLATILE) is not None:
                return "table"
    return "view"


# what a SELECT may have and still pass its rows on one by one
ROW_WISE_SELECT_ARGS = {"expressions", "from_", "where"}


def inline_row_wise_ctes(query: exp.Query) -> exp.Query:
    """A source model's query with each CTE that passes rows on one by one (a SELECT of one
    relation, with a WHERE at most, and values of the row alone) marked NOT MATERIALIZED.

    DuckDB materialises a CTE that more than one part of the query reads: the demo's
    `legs`, read by the final SELECT and by its windows' CTE, was written aside whole (every
    column of every leg, 10M rows spilled to disk at 10M legs) to be read back three times;
    inlined, each reader computes only the columns it needs, which costs less (the table
    src.call_legs in 33 s instead of 48 s). PostgreSQL and Spark are rendered without the
    marks (compile/dialects)."""
    inlined = query.copy()
    for cte in inlined.ctes:
        body = cte.this
        if isinstance(body, exp.Select) and _passes_rows_on(body):
            cte.set("materialized", False)
    return inlined


def _passes_rows_on(select: exp.Select) -> bool:
    if _set_args(select) - ROW_WISE_SELECT_ARGS or not select.args.get("from_"):
        return False
    relation = select.args["from_"].this
    if isinstance(relation, exp.Subquery) and not _is_source_rows(relation):
        return False
    if not isinstance(relation, (exp.Table, exp.Subquery)):
        return False
    for part in (*select.expressions, select.args.get("where")):
        if part is None:
            continue
        if part.find(*NOT_ROW_WISE, *(v for v in VOLATILE if v is not exp.Anonymous)):
            return False
        # sqlglot knows try_strptime() and many others by name only: those that give another
        # value each call would give each reader of an inlined CTE another one
        for call in part.find_all(exp.Anonymous):
            if str(call.this).lower() in VOLATILE_FUNCTION_NAMES:
                return False
    return True


def _is_source_rows(relation: exp.Subquery) -> bool:
    """Whether a derived table is source()'s latest versions of a raw table's rows."""
    inner = relation.this
    if not isinstance(inner, exp.Select) or not isinstance(inner.args.get("from_"), exp.From):
        return False
    table = inner.args["from_"].this
    return (
        isinstance(table, exp.Table)
        and table.db == names.RAW
        and table.alias_or_name == names.SOURCE_ROW_ALIAS
        and not inner.args.get("joins")
    )


def _set_args(node: exp.Expr) -> set[str]:
    return {name for name, value in node.args.items() if value not in (None, [], False)}


def discover_models(root: Path, models_dir: Path) -> list[tuple[str, str, Path]]:
    """(name, layer, path) of every models/<layer>/*.sql, sorted."""
    found = []
    for layer in LAYERS:
        folder = models_dir / layer
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.sql")):
            name = path.stem
            if not name.isidentifier():
                raise MflError(
                    "E301",
                    f"model file name '{path.name}' is not a valid SQL name",
                    Location(relative_name(path, root)),
                    "use letters, digits and underscores, e.g. call_legs.sql",
                )
            found.append((name, layer, path))
    return found


def render_models(
    root: Path,
    models_dir: Path,
    raw_tables: Iterable[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    on_error: Callable[[MflError], None] | None = None,
    natural_keys: Mapping[str, tuple[str, ...]] | None = None,
) -> list[SqlModel]:
    """Render every model's jinja, resolving source() to raw.* (one row per key for a table
    with a natural_key) and ref() to the model's schema.

    With `on_error`, a model that fails is reported there and left out instead of stopping.
    """
    discovered = discover_models(root, models_dir)
    layer_of: dict[str, str] = {}
    for name, layer, path in discovered:
        if name in layer_of:
            raise MflError(
                "E302",
                f"two models are named '{name}'",
                Location(relative_name(path, root)),
                "model names are unique across models/source, models/indicator"
                " and models/application",
            )
        layer_of[name] = layer
    known_raw = set(raw_tables) if raw_tables is not None else None
    # imported here: a build whose compiled objects are kept in target/ renders no model
    import jinja2
    import jinja2.sandbox

    # models/macros/*.sql hold shared jinja macros: {% from 'cleaning.sql' import parse_ts %}
    # Sandboxed: a template reaches no Python internals (no __class__, no os.environ through
    # them) and range() is bounded; a model is SQL with three helpers, not a program.
    env = jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(models_dir / "macros"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    rendered = []
    for name, layer, path in discovered:
        file = relative_name(path, root)
        refs: list[str] = []
        sources: list[str] = []

        def ref(target: str, _file: str = file, _refs: list[str] = refs) -> str:
            if target not in layer_of:
                raise MflError(
                    "E303",
                    f"ref('{target}') in {_file}: no model named '{target}'",
                    Location(_file),
                    did_you_mean(target, layer_of) or "models are the .sql files under models/",
                )
            _refs.append(target)
            return exp.table_(target, db=SCHEMA_OF_LAYER[layer_of[target]]).sql("duckdb")

        def source(table: str, _file: str = file, _sources: list[str] = sources) -> str:
            if known_raw is not None and table not in known_raw:
                raise MflError(
                    "E304",
                    f"source('{table}') in {_file}: no seed table '{table}'",
                    Location(_file),
                    did_you_mean(table, known_raw) or "seed tables come from files in seeds/",
                )
            _sources.append(table)
            if natural_keys and table in natural_keys:
                return f"{SOURCE_MARK}{table}{SOURCE_MARK}"
            return exp.table_(table, db=names.RAW).sql("duckdb")

        def var(name: str, default: Any = None, _file: str = file) -> Any:
            values = settings or {}
            if name in values:
                return values[name]
            if default is not None:
                return default
            raise MflError(
                "E309",
                f"var('{name}') in {_file}: no setting named '{name}'",
                Location(_file),
                did_you_mean(name, values)
                or f"add it under 'settings:' in metricflow_lite.yml, e.g. {name}: 20",
            )

        try:
            text = path.read_text(encoding="utf-8")
            sql = env.from_string(text).render(ref=ref, source=source, var=var)
        except MflError as err:
            if on_error is None:
                raise
            on_error(err)
            continue
        except jinja2.TemplateNotFound as err:
            raise MflError(
                "E305",
                f"template error in {file}: no macro file '{err.name}'",
                Location(file),
                "shared macros live in models/macros/<name>.sql",
            ) from None
        except jinja2.TemplateSyntaxError as err:
            problem = MflError(
                "E305", f"template error in {file}: {err.message}", Location(file, err.lineno or 0)
            )
            if on_error is None:
                raise problem from None
            on_error(problem)
            continue
        except jinja2.UndefinedError as err:
            problem = MflError(
                "E305",
                f"template error in {file}: {err.message}",
                Location(file),
                "only source('table'), ref('model') and var('setting') are available in models",
            )
            if on_error is None:
                raise problem from None
            on_error(problem)
            continue
        except (RecursionError, jinja2.TemplateError, OverflowError, MemoryError) as err:
            # a macro that calls itself without end, a sandbox refusal, a runaway loop
            reason = (
                "a macro calls itself without end"
                if isinstance(err, RecursionError)
                else str(getattr(err, "message", None) or err).splitlines()[0]
            )
            problem = MflError(
                "E305",
                f"template error in {file}: {reason}",
                Location(file),
                "only source('table'), ref('model') and var('setting') are available in models;"
                " a macro must not call itself",
            )
            if on_error is None:
                raise problem from None
            on_error(problem)
            continue
        except OSError as err:
            raise MflError("E003", f"cannot read {file}: {err.strerror}", Location(file)) from None
        except UnicodeDecodeError:
            raise MflError(
                "E003", f"{file} is not UTF-8 text", Location(file), "save the file as UTF-8"
            ) from None
        if natural_keys:
            sql = expand_sources(sql, natural_keys)
        body = sql.strip().rstrip(";").strip()
        lead = sql[: len(sql) - len(sql.lstrip())]
        rendered.append(
            SqlModel(
                name,
                layer,
                file,
                body,
                tuple(refs),
                tuple(sources),
                first_line=1 + lead.count("\n"),
                first_col=len(lead) - lead.rfind("\n"),
            )
        )
    return order_models(rendered)


def _superseded(table: str, key: tuple[str, ...]) -> exp.Select:
    """The key, _load_id and _line of each row of raw.<table> that a row of the same key loaded
    later (a larger _load_id, or the same load and a later _line) supersedes. Narrow on
    purpose: a NOT EXISTS against the whole table made DuckDB carry every column of every row
    through its decorrelation, the largest cost of a source table at 10M rows."""
    older, newer = names.SOURCE_OLDER_ALIAS, names.SOURCE_NEWER_ALIAS

    def col(name: str, alias: str) -> exp.Column:
        return exp.column(name, table=alias, quoted=True)

    same_key = [exp.EQ(this=col(k, newer), expression=col(k, older)) for k in key]
    later = exp.or_(
        exp.GT(this=col(names.LOAD_ID, newer), expression=col(names.LOAD_ID, older)),
        exp.and_(
            exp.EQ(this=col(names.LOAD_ID, newer), expression=col(names.LOAD_ID, older)),
            exp.GT(this=col(names.LINE, newer), expression=col(names.LINE, older)),
        ),
    )
    raw = exp.table_(table, db=names.RAW, quoted=True)
    return (
        exp.select(*(col(c, older) for c in (*key, names.LOAD_ID, names.LINE)))
        .from_(raw.as_(older, quoted=True))
        .join(raw.copy().as_(newer, quoted=True), on=exp.and_(*same_key, exp.paren(later)))
    )


def latest_versions(table: str, key: tuple[str, ...]) -> exp.Subquery:
    """raw.<table> with one row per key (rows with a NULL key are kept as they are); the same
    columns as the table, so that a model reads it like the table. A row is kept unless it is
    among the superseded ones (a load's _line numbers each row once)."""
    outer, superseded = names.SOURCE_ROW_ALIAS, names.SOURCE_SUPERSEDED_ALIAS
    same_row = [
        exp.EQ(
            this=exp.column(c, table=superseded, quoted=True),
            expression=exp.column(c, table=outer, quoted=True),
        )
        for c in (*key, names.LOAD_ID, names.LINE)
    ]
    found = (
        exp.select(exp.Literal.number(1))
        .from_(
            exp.Subquery(
                this=_superseded(table, key),
                alias=exp.TableAlias(this=exp.to_identifier(superseded, quoted=True)),
            )
        )
        .where(exp.and_(*same_row))
    )
    query = (
        exp.select(exp.Star())
        .from_(exp.table_(table, db=names.RAW, quoted=True).as_(outer, quoted=True))
        .where(exp.Not(this=exp.Exists(this=found)))
    )
    return exp.Subquery(this=query)


SOURCE_MARK = "__mfl_source__"
_MARKED = re.compile(
    rf"{SOURCE_MARK}(\w+){SOURCE_MARK}(\s+(?:(AS)\s+)?(\"[^\"]+\"|[A-Za-z_]\w*))?", re.IGNORECASE
)


def expand_sources(sql: str, natural_keys: Mapping[str, tuple[str, ...]]) -> str:
    """source('<table>') of a natural-key table: its latest versions as a subquery, aliased as
    the model wrote it (`{{ source('calls') }} AS c`), else as the table."""
    from sqlglot import Tokenizer, TokenType

    def expand(match: re.Match[str]) -> str:
        table = match.group(1)
        subquery = latest_versions(table, natural_keys[table]).sql("duckdb")
        word = match.group(4)
        if word is not None:
            tokens = Tokenizer(dialect="duckdb").tokenize(word)
            is_alias = match.group(3) is not None or (
                len(tokens) == 1 and tokens[0].token_type in (TokenType.VAR, TokenType.IDENTIFIER)
            )
            if is_alias:
                return f"{subquery} AS {word}"
            return f"{subquery} AS {exp.to_identifier(table).sql('duckdb')}{match.group(2)}"
        return f"{subquery} AS {exp.to_identifier(table).sql('duckdb')}"

    return _MARKED.sub(expand, sql)


def order_models(models: list[SqlModel]) -> list[SqlModel]:
    """Models in build order: layer by layer, each layer in ref order; cycles are errors."""
    by_name = {m.name: m for m in models}
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    for model in models:
        for target in model.refs:
            if target in by_name and rank[by_name[target].layer] > rank[model.layer]:
                raise MflError(
                    "E306",
                    f"{model.file} ({model.layer} layer) refers to '{target}' in the later"
                    f" {by_name[target].layer} layer",
                    Location(model.file),
                    "a layer reads only from itself and the layers before it:"
                    " source -> indicator -> application",
                )
    sorter = graphlib.TopologicalSorter(
        {m.name: sorted(set(m.refs)) for m in sorted(models, key=lambda m: m.name)}
    )
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as err:
        cycle = list(err.args[1])
        cycle.reverse()
        first = by_name[cycle[0]]
        raise MflError(
            "E307",
            f"models refer to each other in a cycle: {' -> '.join(cycle)}",
            Location(first.file),
            "break the cycle: a model cannot depend on itself through ref()",
        ) from None
    position = {name: i for i, name in enumerate(order)}
    return sorted(models, key=lambda m: (rank[m.layer], position[m.name]))


# sqlglot's "got <Token token_type: TokenType.WHERE, text: where, line: 5, ...>": just 'where'
_TOKEN = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: \d+, col: \d+[^>]*>")


def parse_model_sql(model: SqlModel) -> exp.Query:
    """The model's query as a tree (so that it transpiles to other dialects)."""
    try:
        statements = [s for s in sqlglot.parse(model.sql, read="duckdb") if s is not None]
    except ParseError as err:
        detail = err.errors[0] if err.errors else {}
        line = int(detail.get("line") or 0)
        col = int(detail.get("col") or 0)
        if line == 1 and col:
            col += model.first_col - 1
        description = _TOKEN.sub(r"'\1'", str(detail.get("description") or err).splitlines()[0])
        raise MflError(
            "E308",
            f"SQL syntax error in {model.file}: {description}",
            Location(model.file, line + model.first_line - 1 if line else 0, col),
        ) from None
    except TokenError:
        raise MflError(
            "E308",
            f"SQL syntax error in {model.file}: a quote or a comment is not closed",
            Location(model.file),
            "close every string ('...'), quoted name (\"...\") and /* comment */",
        ) from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise MflError(
            "E308",
            f"{model.file} must hold exactly one SELECT query",
            Location(model.file),
            "a model is one SELECT (WITH ... SELECT ... is fine); mfl creates the view itself",
        )
    return statements[0]
