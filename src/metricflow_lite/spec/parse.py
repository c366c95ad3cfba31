"""YAML documents -> spec objects, collecting every structural problem instead of stopping."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from sqlglot import exp

from metricflow_lite.errors import Diagnostic, Location, MflError, Severity, did_you_mean
from metricflow_lite.spec.expr import parse_derived, parse_row_sql, parse_where
from metricflow_lite.spec.kinds import grain_hint
from metricflow_lite.spec.loader import YMap, YSeq, read_yaml, relative_name
from metricflow_lite.spec.model import (
    Agg,
    BaseMetric,
    Between,
    Change,
    Chart,
    ChartKind,
    Comparison,
    DerivedMetric,
    Dimension,
    Format,
    Grain,
    IndicatorSpec,
    Metric,
    Model,
    Report,
    Snapshot,
    SourceMap,
    Span,
    Target,
)
from metricflow_lite.spec.project import Locale

METRICS_FILE_KEYS = ("version", "models", "metrics", "indicators", "tests")
REPORTS_FILE_KEYS = ("version", "reports")
MODEL_KEYS = ("name", "label", "description", "time", "primary_key", "valid", "dimensions")
DIMENSION_KEYS = ("name", "label", "description", "parent", "joins", "as", "values")
LOCALES = tuple(locale.value for locale in Locale)
METRIC_KEYS = (
    "name",
    "label",
    "description",
    "model",
    "agg",
    "expr",
    "filter",
    "time",
    "p",
    "format",
    "target",
    "change",
    "span",
    "active",
    "snapshot",
)
SPAN_KEYS = ("from", "until")
BETWEEN_KEYS = ("from", "until")
INDICATOR_KEYS = ("name", "model", "dimensions", "grain")
REPORT_KEYS = (
    "name",
    "label",
    "description",
    "by",
    "grains",
    "metrics",
    "filter",
    "compare",
    "periods",
    "charts",
)
CHART_KEYS = ("type", "metrics", "by", "title")
TARGET_KEYS = ("min", "max")

E = TypeVar("E", bound=Enum)


@dataclass
class Collector:
    """Diagnostics found so far; parsing goes on after each one."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, loc: Location | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, loc, hint, Severity.ERROR))

    def warning(
        self, code: str, message: str, loc: Location | None, hint: str | None = None
    ) -> None:
        self.diagnostics.append(Diagnostic(code, message, loc, hint, Severity.WARNING))

    def catch(self, err: MflError) -> None:
        self.diagnostics.extend(err.diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


@dataclass(frozen=True, slots=True)
class SpecDocument:
    """One parsed YAML file of the project."""

    file: str
    kind: str  # "metrics" or "reports"
    data: Any


def read_documents(
    root: Path, folders: Sequence[tuple[str, Path]], out: Collector
) -> list[SpecDocument]:
    """Every *.yml / *.yaml under the metrics and reports folders, parsed with locations."""
    documents = []
    for kind, folder in folders:
        if not folder.is_dir():
            continue
        files = sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml"))
        for path in files:
            if "tests" in path.relative_to(folder).parts[:-1]:
                continue  # metric unit tests have their own format
            try:
                data = read_yaml(path, root)
            except MflError as err:
                out.catch(err)
                continue
            documents.append(SpecDocument(relative_name(path, root), kind, data))
    return documents


def check_keys(node: YMap, allowed: Sequence[str], where: str, out: Collector) -> None:
    """Unknown keys are errors with a did-you-mean."""
    for key in node:
        if key not in allowed:
            out.error(
                "E201",
                f"unknown key '{key}' in {where}",
                node.key_loc(key),
                split_flow_hint(node, key)
                or did_you_mean(key, allowed)
                or f"allowed keys: {', '.join(allowed)}",
            )


def split_flow_hint(node: YMap, key: str) -> str | None:
    """The hint when a comma inside an unquoted `{...}` value split it: `{expr: a / nullif(b,
    0)}` reads as `expr: a / nullif(b` and a key `0)`."""
    text = str(key)
    cut = next(
        ((k, v) for k, v in node.items() if isinstance(v, str) and v.count("(") > v.count(")")),
        None,
    )
    if cut is None or node.get(key) is not None or text.count(")") <= text.count("("):
        return None
    whole = f"{cut[1]}, {text}"
    return (
        f"a comma inside an unquoted flow mapping ends the value: quote it, "
        f'{{{cut[0]}: "{whole}"}}, or write the key on its own line'
    )


def require(node: YMap, key: str, where: str, out: Collector, example: str) -> bool:
    if key in node and node[key] is not None:
        return True
    out.error("E202", f"{where} is missing required key '{key}'", node.loc, f"add '{example}'")
    return False


def expect(
    value: Any, kind: type | tuple[type, ...], loc: Location, what: str, out: Collector
) -> bool:
    if (
        isinstance(value, bool)
        and kind is not bool
        and bool not in (kind if isinstance(kind, tuple) else (kind,))
    ):
        ok = False
    else:
        ok = isinstance(value, kind)
    if not ok:
        names = {
            str: "text",
            int: "a whole number",
            float: "a number",
            list: "a list",
            dict: "a mapping",
            bool: "true or false",
        }
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join(names.get(k, k.__name__) for k in kinds)
        out.error("E203", f"{what} must be {wanted}, not {_describe(value)}", loc)
    return ok


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"'{value}'"


def parse_enum(enum: type[E], value: Any, loc: Location, what: str, out: Collector) -> E | None:
    text = str(value).strip().lower()
    try:
        return enum(text)
    except ValueError:
        choices = [m.value for m in enum]
        named = grain_hint(text) if enum is Grain else None
        out.error(
            "E204",
            f"{what} '{value}' is not one of {', '.join(choices)}",
            loc,
            named or did_you_mean(text, choices) or f"use one of: {', '.join(choices)}",
        )
        return None


def text_of(node: YMap, key: str, where: str, out: Collector) -> str | None:
    if key not in node or node[key] is None:
        return None
    value = node[key]
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and key in ("expr", "filter")
    ):
        return str(value)
    if expect(value, str, node.value_loc(key), f"'{key}' of {where}", out):
        return str(value)
    return None


def name_of(node: YMap, where: str, out: Collector) -> str | None:
    if not require(node, "name", where, out, "name: my_name"):
        return None
    name = node["name"]
    if not expect(name, str, node.value_loc("name"), f"'name' of {where}", out):
        return None
    text = str(name)
    if not text.isidentifier() or not text.isascii():
        out.error(
            "E204",
            f"name '{text}' must be letters, digits and underscores, not starting with a digit",
            node.value_loc("name"),
            "put Chinese or other display text in 'label:'",
        )
        return None
    return text


def items_of(node: YMap, key: str, where: str, out: Collector) -> list[tuple[Any, Location]]:
    """The items of a list-valued key with their locations (a lone scalar counts as a list)."""
    if key not in node or node[key] is None:
        return []
    value = node[key]
    if isinstance(value, YSeq):
        return [(item, value.item_loc(i)) for i, item in enumerate(value)]
    if isinstance(value, str) and key in LIST_KEYS:
        return _comma_parts(value, node.value_loc(key))
    expect(value, list, node.value_loc(key), f"'{key}' of {where}", out)
    return []


# Keys whose value is a list; `by: queue, team` is accepted as a list too.
LIST_KEYS = ("by", "grains", "metrics", "dimensions", "compare")


def _comma_parts(value: str, loc: Location) -> list[tuple[Any, Location]]:
    """The parts of `a, b` with the location of each."""
    parts = []
    offset = 0
    for raw in value.split(","):
        part = raw.strip()
        if part:
            col = offset + (len(raw) - len(raw.lstrip()))
            parts.append((part, Location(loc.file, loc.line, loc.col + col, len(part))))
        offset += len(raw) + 1
    return parts


def spots_of(node: YMap) -> SourceMap:
    """Where each value of a mapping is written, and each item of its lists (`key[i]`)."""
    spots: list[tuple[str, Location]] = []
    for key, value in node.items():
        spots.append((key, node.value_loc(key)))
        if isinstance(value, YSeq):
            spots.extend((f"{key}[{i}]", value.item_loc(i)) for i in range(len(value)))
        elif isinstance(value, str) and key in LIST_KEYS:
            parts = _comma_parts(value, node.value_loc(key))
            spots.extend((f"{key}[{i}]", loc) for i, (_, loc) in enumerate(parts))
    return SourceMap(tuple(spots))


def parse_documents(
    documents: Iterable[SpecDocument], out: Collector
) -> tuple[list[Model], list[Metric], list[IndicatorSpec], list[Report]]:
    """Spec objects from every document; problems go to `out`."""
    models: list[Model] = []
    metrics: list[Metric] = []
    indicators: list[IndicatorSpec] = []
    reports: list[Report] = []
    for doc in documents:
        if doc.data is None:
            continue
        if not isinstance(doc.data, YMap):
            out.error(
                "E203", f"{doc.file} must be a mapping with '{doc.kind}:'", Location(doc.file, 1, 1)
            )
            continue
        allowed = METRICS_FILE_KEYS if doc.kind == "metrics" else REPORTS_FILE_KEYS
        check_keys(doc.data, allowed, doc.file, out)
        version = doc.data.get("version", 1)
        if version != 1:
            out.error(
                "E204",
                f"unsupported version {version!r}",
                doc.data.value_loc("version"),
                "use 'version: 1'",
            )
        sections: list[tuple[str, Callable[[YMap, Collector], Any], list[Any]]] = [
            ("models", parse_model, models),
            ("metrics", parse_metric, metrics),
            ("indicators", parse_indicator, indicators),
            ("reports", parse_report, reports),
        ]
        for key, parse, into in sections:
            if key not in allowed:
                continue
            for item, loc in items_of(doc.data, key, doc.file, out):
                if not isinstance(item, YMap):
                    out.error(
                        "E203",
                        f"each entry of '{key}' must be a mapping, not {_describe(item)}",
                        loc,
                    )
                    continue
                parsed = parse(item, out)
                if parsed is not None:
                    into.append(parsed)
    return models, metrics, indicators, reports


def parse_model(node: YMap, out: Collector) -> Model | None:
    name = name_of(node, "a model", out)
    where = f"model '{name}'" if name else "a model"
    check_keys(node, MODEL_KEYS, where, out)
    dimensions = []
    for item, loc in items_of(node, "dimensions", where, out):
        dim = parse_dimension(item, loc, where, out)
        if dim is not None:
            dimensions.append(dim)
    if name is None:
        return None
    return Model(
        name=name,
        loc=node.value_loc("name"),
        primary_key=text_of(node, "primary_key", where, out),
        time=text_of(node, "time", where, out),
        dimensions=tuple(dimensions),
        label=text_of(node, "label", where, out),
        description=text_of(node, "description", where, out),
        valid=parse_between(node, "valid", where, out),
        spots=spots_of(node),
    )


def parse_between(node: YMap, key: str, where: str, out: Collector) -> Between | None:
    """`key: {from: A, until: B}` as a Between, or None (absent or malformed, reported)."""
    if key not in node or node[key] is None:
        return None
    raw = node[key]
    loc = node.value_loc(key)
    example = (
        "valid: {from: valid_from, until: valid_to}"
        if key == "valid"
        else "active: {from: created_ts, until: resolved_ts}"
    )
    if not isinstance(raw, YMap):
        out.error(
            "E203",
            f"'{key}' of {where} must be a mapping of two time columns, not {_describe(raw)}",
            loc,
            f"write '{example}'",
        )
        return None
    check_keys(raw, BETWEEN_KEYS, f"'{key}' of {where}", out)
    columns: list[str] = []
    for part in BETWEEN_KEYS:
        if not require(raw, part, f"'{key}' of {where}", out, example):
            continue
        value = text_of(raw, part, f"'{key}' of {where}", out)
        if value is not None:
            columns.append(value)
    if len(columns) != len(BETWEEN_KEYS):
        return None
    return Between(start=columns[0], until=columns[1], loc=loc, spots=spots_of(raw))


def parse_dimension(item: Any, loc: Location, where: str, out: Collector) -> Dimension | None:
    if isinstance(item, str):
        if not item.isidentifier():
            out.error("E204", f"dimension name '{item}' must be an identifier", loc)
            return None
        return Dimension(name=item, loc=loc)
    if not isinstance(item, YMap):
        out.error(
            "E203",
            f"a dimension of {where} must be a name or a mapping, not {_describe(item)}",
            loc,
        )
        return None
    name = name_of(item, f"a dimension of {where}", out)
    check_keys(item, DIMENSION_KEYS, f"dimension '{name}' of {where}", out)
    if name is None:
        return None
    dwhere = f"dimension '{name}'"
    return Dimension(
        name=name,
        loc=item.value_loc("name"),
        label=text_of(item, "label", dwhere, out),
        description=text_of(item, "description", dwhere, out),
        parent=text_of(item, "parent", dwhere, out),
        joins=text_of(item, "joins", dwhere, out),
        role=text_of(item, "as", dwhere, out),
        values=value_labels_of(item, dwhere, out),
        spots=spots_of(item),
    )


def value_labels_of(node: YMap, where: str, out: Collector) -> tuple[tuple[str, str], ...]:
    """`values: {hotline: 热线, online: 在线客服}`: the label shown for each code."""
    raw = node.get("values")
    if raw is None:
        return ()
    if not isinstance(raw, YMap):
        out.error(
            "E204",
            f"'values' of {where} must map codes to labels",
            node.value_loc("values"),
            "for example: values: {hotline: 热线, online: 在线客服}",
        )
        return ()
    labelled: dict[str, str] = {}  # label -> the first code that has it
    for code, label in raw.items():
        if label is None:
            continue
        if (first := labelled.setdefault(str(label), str(code))) != str(code):
            out.error(
                "E204",
                f"'values' of {where} gives the label '{label}' to both '{first}' and '{code}'",
                raw.value_loc(code),
                "give each code its own label: a report shows both rows as the same member",
            )
    return tuple((str(code), str(label)) for code, label in raw.items() if label is not None)


def descriptions_of(
    node: YMap, where: str, out: Collector
) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """`description:` as text, or per locale (`{zh-CN: ..., en: ...}`): the first and all."""
    raw = node.get("description")
    if not isinstance(raw, YMap):
        return text_of(node, "description", where, out), ()
    pairs = []
    for key, text in raw.items():
        if str(key) not in LOCALES:
            out.error(
                "E201",
                f"unknown locale '{key}' in the description of {where}",
                raw.key_loc(key),
                did_you_mean(str(key), LOCALES) or f"locales: {', '.join(LOCALES)}",
            )
        elif expect(text, str, raw.value_loc(key), f"description of {where}", out):
            pairs.append((str(key), str(text)))
    return (pairs[0][1] if pairs else None), tuple(sorted(pairs))


def parse_target(node: YMap, where: str, out: Collector) -> Target | None:
    if "target" not in node or node["target"] is None:
        return None
    raw = node["target"]
    loc = node.value_loc("target")
    if not isinstance(raw, YMap):
        out.error(
            "E204",
            f"target of {where} must be a mapping like {{max: 0.05}}",
            loc,
            "write 'target: {min: 0.8}' or 'target: {max: 0.05}'",
        )
        return None
    check_keys(raw, TARGET_KEYS, f"target of {where}", out)
    bounds: dict[str, float | None] = {"min": None, "max": None}
    invalid = False
    for key in TARGET_KEYS:
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                invalid = True
                out.error(
                    "E204",
                    f"target {key} of {where} must be a number, not {_describe(value)}",
                    raw.value_loc(key),
                    "percent targets are fractions: 0.05 means 5%",
                )
            else:
                bounds[key] = float(value)
    if bounds["min"] is None and bounds["max"] is None:
        if not invalid:
            out.error("E204", f"target of {where} needs 'min' or 'max'", loc)
        return None
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        out.error("E204", f"target of {where} has min greater than max", loc)
        return None
    return Target(min=bounds["min"], max=bounds["max"])


COUNT_AGGS = ("count", "count_distinct")


def parse_metric(node: YMap, out: Collector) -> Metric | None:
    name = name_of(node, "a metric", out)
    where = f"metric '{name}'" if name else "a metric"
    check_keys(node, METRIC_KEYS, where, out)
    label = text_of(node, "label", where, out)
    description, descriptions = descriptions_of(node, where, out)
    # a count is a whole number: 252 calls, not 252.00, when the metric names no format
    counts = isinstance(node.get("agg"), str) and node.get("agg") in COUNT_AGGS
    fmt = Format.INTEGER if counts else Format.NUMBER
    if "format" in node and node["format"] is not None:
        fmt = (
            parse_enum(Format, node["format"], node.value_loc("format"), f"format of {where}", out)
            or fmt
        )
    target = parse_target(node, where, out)
    change = None
    if "change" in node and node["change"] is not None:
        change = parse_enum(
            Change, node["change"], node.value_loc("change"), f"change of {where}", out
        )
    is_base = "agg" in node or "model" in node
    if name is None:
        return None
    loc = node.value_loc("name")
    if not is_base:
        for key in ("filter", "time", "p", "active", "snapshot"):
            if key in node:
                out.error(
                    "E201",
                    f"'{key}' only applies to metrics with 'agg' and 'model'",
                    node.key_loc(key),
                    f"derived metric '{name}' combines other metrics; remove '{key}'",
                )
        if not require(node, "expr", where, out, "expr: metric_a / metric_b"):
            return None
        text = text_of(node, "expr", where, out)
        if text is None:
            return None
        try:
            formula, deps = parse_derived(text, node.value_loc("expr"), f"expr of '{name}'")
        except MflError as err:
            out.catch(err)
            return None
        return DerivedMetric(
            name=name,
            loc=loc,
            expr=formula,
            depends_on=deps,
            label=label,
            description=description,
            descriptions=descriptions,
            format=fmt,
            target=target,
            change=change,
            expr_text=text,
            expr_loc=node.value_loc("expr"),
            spots=spots_of(node),
            format_given="format" in node and node["format"] is not None,
        )
    ok = require(node, "model", where, out, "model: call_legs")
    ok = require(node, "agg", where, out, "agg: count") and ok
    if not ok:
        return None
    model = text_of(node, "model", where, out)
    agg = parse_enum(Agg, node["agg"], node.value_loc("agg"), f"agg of {where}", out)
    if model is None or agg is None:
        return None
    span = parse_span(node, where, agg, out)
    if agg is Agg.SECONDS and span is None:
        return None
    expr_text = text_of(node, "expr", where, out)
    tree: exp.Expr | None = None
    if agg is Agg.SECONDS and expr_text is not None:
        out.error(
            "E277",
            f"{where} with agg seconds counts the seconds of its span and takes no 'expr'",
            node.key_loc("expr"),
            "remove 'expr'; 'filter' chooses the rows",
        )
        return None
    if agg is Agg.SECONDS and "time" in node:
        # a span counts in every period it overlaps: a time column would be silently ignored
        out.error(
            "E277",
            f"{where} with agg seconds counts its span where it lies and takes no 'time'",
            node.key_loc("time"),
            "remove 'time'; the span's from and until place the seconds in periods",
        )
        return None
    if expr_text is not None and expr_text.strip() != "*":
        try:
            tree = parse_row_sql(expr_text, node.value_loc("expr"), f"expr of '{name}'")
        except MflError as err:
            out.catch(err)
            return None
    elif agg not in (Agg.COUNT, Agg.SECONDS):
        out.error(
            "E202",
            f"{where} with agg {agg.value} needs an 'expr'",
            node.value_loc("agg"),
            "add 'expr: <column or SQL expression>'",
        )
        return None
    filter_text = text_of(node, "filter", where, out)
    filter_tree = None
    if filter_text is not None:
        try:
            filter_tree = parse_row_sql(
                filter_text, node.value_loc("filter"), f"filter of '{name}'"
            )
        except MflError as err:
            out.catch(err)
            return None
    percentile = None
    if agg is Agg.PERCENTILE:
        p = node.get("p")
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= float(p) <= 1:
            out.error(
                "E204",
                f"{where} needs 'p' between 0 and 1 for agg percentile",
                node.value_loc("p") if "p" in node else node.loc,
                "for the 90th percentile write 'p: 0.9'",
            )
            return None
        percentile = float(p)
    elif "p" in node:
        out.error(
            "E201",
            "'p' only applies to agg percentile",
            node.key_loc("p"),
            "remove 'p' or use 'agg: percentile'",
        )
    active = parse_between(node, "active", where, out)
    snapshot = None
    if "snapshot" in node and node["snapshot"] is not None:
        snapshot = parse_enum(
            Snapshot, node["snapshot"], node.value_loc("snapshot"), f"snapshot of {where}", out
        )
    if active is not None and snapshot is not None:
        out.error(
            "E290",
            f"{where} has both 'active' and 'snapshot'",
            node.key_loc("snapshot"),
            "'active' counts the rows open at each period's end, 'snapshot' reads the rows of"
            " the period's last (first) snapshot time: keep one, or define two metrics",
        )
        snapshot = None
    return BaseMetric(
        name=name,
        loc=loc,
        model=model,
        agg=agg,
        expr=tree,
        filter=filter_tree,
        time=text_of(node, "time", where, out),
        percentile=percentile,
        label=label,
        description=description,
        descriptions=descriptions,
        format=fmt,
        target=target,
        change=change,
        expr_text=expr_text or "",
        filter_text=filter_text or "",
        active=active,
        snapshot=snapshot,
        spots=spots_of(node),
        span=span,
    )


def parse_span(node: YMap, where: str, agg: Agg, out: Collector) -> Span | None:
    """`span: {from: A, until: B}`, only with (and required by) agg seconds."""
    example = "span: {from: login_ts, until: logout_ts}"
    if "span" not in node or node["span"] is None:
        if agg is Agg.SECONDS:
            out.error(
                "E277",
                f"{where} with agg seconds needs a 'span'",
                node.value_loc("agg"),
                f"add '{example}': the seconds of [from, until) inside each period",
            )
        return None
    raw = node["span"]
    loc = node.value_loc("span")
    if agg is not Agg.SECONDS:
        out.error(
            "E277",
            f"'span' of {where} only applies to agg seconds",
            node.key_loc("span"),
            "use 'agg: seconds' to count the seconds of a span in each period",
        )
        return None
    if not isinstance(raw, YMap):
        out.error("E277", f"span of {where} must be a mapping", loc, f"write '{example}'")
        return None
    check_keys(raw, SPAN_KEYS, f"span of {where}", out)
    ends = []
    for key in SPAN_KEYS:
        value = raw.get(key)
        if not isinstance(value, str) or not value.isidentifier():
            out.error(
                "E277",
                f"span of {where} needs '{key}:' naming a timestamp column",
                raw.value_loc(key) if key in raw else loc,
                f"write '{example}'",
            )
            return None
        ends.append(value)
    return Span(start=ends[0], until=ends[1], loc=loc)


def parse_indicator(node: YMap, out: Collector) -> IndicatorSpec | None:
    where = "an indicator"
    check_keys(node, INDICATOR_KEYS, where, out)
    if not require(node, "model", where, out, "model: call_legs"):
        return None
    model = text_of(node, "model", where, out)
    grain = Grain.DAY
    if "grain" in node:
        grain = (
            parse_enum(Grain, node["grain"], node.value_loc("grain"), "grain of an indicator", out)
            or grain
        )
    if grain.intraday:
        out.error(
            "E204",
            "indicator grain must be day or coarser",
            node.value_loc("grain"),
            "intraday queries read the source layer directly",
        )
    dims = tuple(str(d) for d, _ in items_of(node, "dimensions", where, out))
    name = text_of(node, "name", where, out)
    if model is None:
        return None
    return IndicatorSpec(
        model=model, dimensions=dims, grain=grain, loc=node.loc, name=name, spots=spots_of(node)
    )


def parse_report(node: YMap, out: Collector) -> Report | None:
    name = name_of(node, "a report", out)
    where = f"report '{name}'" if name else "a report"
    report_description, report_descriptions = descriptions_of(node, where, out)
    check_keys(node, REPORT_KEYS, where, out)
    require(node, "metrics", where, out, "metrics: [offered_calls, abandonment_rate]")
    metrics = tuple(str(m) for m, _ in items_of(node, "metrics", where, out))
    by = tuple(str(d) for d, _ in items_of(node, "by", where, out))
    grains: list[Grain] = []
    for value, loc in items_of(node, "grains", where, out):
        grain = parse_enum(Grain, value, loc, f"grain of {where}", out)
        if grain is not None:
            grains.append(grain)
    compare: list[Comparison] = []
    for value, loc in items_of(node, "compare", where, out):
        comparison = parse_enum(Comparison, value, loc, f"comparison of {where}", out)
        if comparison is not None:
            compare.append(comparison)
    filter_text = text_of(node, "filter", where, out)
    filter_tree = None
    if filter_text is not None:
        try:
            filter_tree = parse_where(filter_text, node.value_loc("filter"), f"filter of {where}")
        except MflError as err:
            out.catch(err)
    periods = node.get("periods", 8)
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
        out.error(
            "E204",
            f"periods of {where} must be a whole number of at least 1",
            node.value_loc("periods"),
            "for the last eight periods write 'periods: 8'",
        )
        periods = 8
    charts = []
    for item, loc in items_of(node, "charts", where, out):
        chart = parse_chart(item, loc, where, out)
        if chart is not None:
            charts.append(chart)
    if name is None:
        return None
    return Report(
        name=name,
        loc=node.value_loc("name"),
        metrics=metrics,
        grains=tuple(grains) or (Grain.DAY, Grain.WEEK, Grain.MONTH),
        by=by,
        label=text_of(node, "label", where, out),
        description=report_description,
        descriptions=report_descriptions,
        filter=filter_tree,
        filter_text=filter_text or "",
        compare=tuple(compare),
        periods=periods,
        charts=tuple(charts),
        spots=spots_of(node),
    )


def parse_chart(item: Any, loc: Location, where: str, out: Collector) -> Chart | None:
    if not isinstance(item, YMap):
        out.error(
            "E203", f"a chart of {where} must be a mapping like {{type: line, metrics: [a]}}", loc
        )
        return None
    check_keys(item, CHART_KEYS, f"a chart of {where}", out)
    if not require(item, "type", f"a chart of {where}", out, "type: line"):
        return None
    kind = parse_enum(
        ChartKind, item["type"], item.value_loc("type"), f"chart type of {where}", out
    )
    metrics = tuple(str(m) for m, _ in items_of(item, "metrics", where, out))
    if kind is None:
        return None
    by = text_of(item, "by", where, out)
    return Chart(
        kind=kind,
        metrics=metrics,
        loc=item.loc,
        by=by,
        title=text_of(item, "title", where, out),
        spots=spots_of(item),
    )
