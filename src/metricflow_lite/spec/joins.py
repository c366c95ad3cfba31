"""Join paths: which dimensions a model reaches through many-to-one joins, and by what name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from metricflow_lite.spec.expr import column_path
from metricflow_lite.spec.model import Between, Dimension, ProjectSpec

MAX_JOIN_DEPTH = 6


@dataclass(frozen=True, slots=True)
class JoinHop:
    """One many-to-one join: from_alias.column = model.primary_key, under a role name."""

    role: str
    model: str
    column: str  # the foreign key in the model we come from
    primary_key: str
    explicit_role: bool
    valid: Between | None = None  # a model with history: the version valid at the row's time


@dataclass(frozen=True, slots=True)
class ReachableDimension:
    """A dimension as seen from one model: its own, or through a path of joins."""

    dimension: Dimension
    owner: str  # the model whose column it is
    path: tuple[JoinHop, ...]

    @property
    def qualified_name(self) -> str:
        return ".".join([hop.role for hop in self.path] + [self.dimension.name])

    @property
    def uses_roles(self) -> bool:
        return any(hop.explicit_role for hop in self.path)

    @property
    def through_history(self) -> bool:
        """True when a join on the path picks a version by time (`valid:`): the value depends
        on the row's time, not only on its keys."""
        return any(hop.valid is not None for hop in self.path)


def reachable_dimensions(spec: ProjectSpec, model_name: str) -> tuple[ReachableDimension, ...]:
    """Every dimension a model reaches: its own first, then through joins (breadth first)."""
    found: list[ReachableDimension] = []
    frontier: list[tuple[str, tuple[JoinHop, ...]]] = [(model_name, ())]
    while frontier:
        current, path = frontier.pop(0)
        model = spec.model(current)
        if model is None:
            continue
        for dim in model.dimensions:
            found.append(ReachableDimension(dim, current, path))
            if dim.joins and len(path) < MAX_JOIN_DEPTH:
                target = spec.model(dim.joins)
                if target is None or target.primary_key is None:
                    continue
                if any(hop.model == target.name and hop.column == dim.name for hop in path):
                    continue
                hop = JoinHop(
                    role=dim.role or target.name,
                    model=target.name,
                    column=dim.name,
                    primary_key=target.primary_key,
                    explicit_role=dim.role is not None,
                    valid=target.valid,
                )
                frontier.append((target.name, (*path, hop)))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of looking a dimension name up from a model."""

    found: ReachableDimension | None
    ambiguous: tuple[str, ...] = ()
    known: tuple[str, ...] = ()


def resolve_dimension(spec: ProjectSpec, model_name: str, requested: str) -> Resolution:
    """Find `team`, `agents.team` or `transfer_agent.team` from a model.

    A plain name prefers paths without role-named joins, then the shortest path; a dotted
    name matches the end of a path's qualified name.
    """
    candidates = reachable_dimensions(spec, model_name)
    known = tuple(
        sorted(
            {c.qualified_name for c in candidates}
            | {c.dimension.name for c in candidates if not c.uses_roles}
        )
    )
    exact = [c for c in candidates if c.qualified_name == requested]
    if exact:
        return Resolution(exact[0], known=known)
    if "." in requested:
        matches = [c for c in candidates if c.qualified_name.endswith("." + requested)]
    else:
        matches = [c for c in candidates if c.dimension.name == requested]
    if not matches:
        return Resolution(None, known=known)
    plain = [c for c in matches if not c.uses_roles] or matches
    shortest = min(len(c.path) for c in plain)
    best = [c for c in plain if len(c.path) == shortest]
    if len(best) > 1:
        return Resolution(
            None, ambiguous=tuple(sorted(c.qualified_name for c in best)), known=known
        )
    return Resolution(best[0], known=known)


def dimension_label_hint(spec: ProjectSpec, model_name: str, requested: str) -> str | None:
    """The hint for a dimension's label typed where its name belongs ('城市' for city),
    naming the dimension as the model reaches it; None when no reachable label matches."""
    for candidate in reachable_dimensions(spec, model_name):
        label = candidate.dimension.label
        if label and label.strip() == requested.strip():
            plain = candidate.dimension.name
            found = resolve_dimension(spec, model_name, plain).found
            name = plain if found == candidate else candidate.qualified_name
            return f"'{requested}' is the label of '{name}': did you mean '{name}'?"
    return None


@dataclass(frozen=True, slots=True)
class LabelValue:
    """A value label compared where its code belongs: `channel = '热线'` for the code hotline."""

    value: exp.Literal  # the label as written in the filter
    message: str
    hint: str


def label_values(
    spec: ProjectSpec, where: exp.Expr, models: Sequence[str]
) -> tuple[LabelValue, ...]:
    """Every value label a filter compares with a dimension of the models (`=`, `<>`, `IN`):
    tables show the labels of `values:`, filters compare the codes, so it would match nothing."""
    found = []
    for node in where.walk():
        if isinstance(node, exp.EQ | exp.NEQ):
            sides = [(node.this, [node.expression]), (node.expression, [node.this])]
        elif isinstance(node, exp.In):
            sides = [(node.this, list(node.expressions))]
        else:
            continue
        for column, values in sides:
            if not isinstance(column, exp.Column):
                continue
            name = column_path(column)
            codes = next(
                (
                    dict(reached.dimension.values)
                    for model in models
                    if (reached := resolve_dimension(spec, model, name).found) is not None
                ),
                {},
            )
            by_label = {label: code for code, label in codes.items()}
            for value in values:
                if not (isinstance(value, exp.Literal) and value.is_string):
                    continue
                text = str(value.this)
                if text not in codes and text in by_label:
                    code = by_label[text]
                    found.append(
                        LabelValue(
                            value,
                            f"'{text}' is the label of '{code}' in dimension '{name}', not one"
                            " of its values",
                            f"did you mean '{code}'? filters compare the codes; tables show"
                            " their labels",
                        )
                    )
    return tuple(found)
