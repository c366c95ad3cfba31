"""Issue 16: the `active`, `snapshot` and `valid` keys, and what validate says about them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_fixture, invoke

from metricflow_lite.spec.model import BaseMetric, Between, Snapshot
from metricflow_lite.spec.project import load_project
from metricflow_lite.spec.validate import load_spec

METRICS = "metrics/history.yml"


def patched(tmp_path: Path, old: str, new: str) -> Path:
    project = copy_fixture("history", tmp_path)
    path = project / METRICS
    text = path.read_text(encoding="utf-8")
    assert old in text, "the patch does not match"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return project


def test_the_keys_become_spec_values(tmp_path: Path) -> None:
    spec = load_spec(load_project(copy_fixture("history", tmp_path)))
    open_tickets = spec.metric("open_tickets")
    assert isinstance(open_tickets, BaseMetric)
    assert open_tickets.active is not None
    assert (open_tickets.active.start, open_tickets.active.until) == ("created_ts", "resolved_ts")
    assert open_tickets.snapshot is None and open_tickets.is_state
    close = spec.metric("waiting_close")
    assert isinstance(close, BaseMetric) and close.snapshot is Snapshot.LAST
    assert not close.additive  # a state is never summed over days
    history = spec.model("agent_history")
    assert history is not None and history.valid is not None
    assert isinstance(history.valid, Between)
    assert (history.valid.start, history.valid.until) == ("valid_from", "valid_to")
    legs = spec.metric("legs")
    assert isinstance(legs, BaseMetric) and legs.additive and not legs.is_state


CASES = [
    pytest.param(
        "    snapshot: last\n  - name: waiting_open",
        "    snapshot: last\n    active: {from: snapshot_ts, until: snapshot_ts}\n"
        "  - name: waiting_open",
        "E290",
        "has both 'active' and 'snapshot'",
        id="E290_active_and_snapshot",
    ),
    pytest.param(
        "    primary_key: agent_id\n    valid:",
        "    valid:",
        "E291",
        "has 'valid' but no primary_key",
        id="E291_valid_without_key",
    ),
    pytest.param(
        "active: {from: created_ts, until: resolved_ts}\n  - name: open_ticket_age_hours",
        "active: {from: ticket_id, until: resolved_ts}\n  - name: open_ticket_age_hours",
        "E292",
        "'active' from column 'ticket_id' of model 'tickets' is VARCHAR",
        id="E292_active_from_text",
    ),
    pytest.param(
        "valid: {from: valid_from, until: valid_to}",
        "valid: {from: valid_from, until: team}",
        "E292",
        "'valid' until column 'team' of model 'agent_history' is VARCHAR",
        id="E292_valid_until_text",
    ),
    pytest.param(
        "valid: {from: valid_from, until: valid_to}",
        "valid: {from: valid_form, until: valid_to}",
        "E281",
        "'valid' from column 'valid_form' is not a column",
        id="E281_valid_unknown_column",
    ),
    pytest.param(
        "    description: Tickets created in the period.\n",
        "    description: Tickets created in the period.\n    filter: created_ts < period_end()\n",
        "E293",
        "period_end() in filter of metric 'new_tickets', which has no 'active'",
        id="E293_period_end_without_active",
    ),
    pytest.param(
        "    expr: handle_seconds / legs",
        "    expr: handle_seconds / legs\n    snapshot: last",
        "E201",
        "'snapshot' only applies to metrics with 'agg' and 'model'",
        id="E201_snapshot_on_derived",
    ),
    pytest.param(
        "    snapshot: first",
        "    snapshot: earliest",
        "E204",
        "snapshot of metric 'waiting_open' 'earliest' is not one of last, first",
        id="E204_snapshot_value",
    ),
    pytest.param(
        "active: {from: valid_from, until: valid_to}",
        "active: valid_from",
        "E203",
        "'active' of metric 'agents_on_roster' must be a mapping of two time columns",
        id="E203_active_scalar",
    ),
    pytest.param(
        "active: {from: valid_from, until: valid_to}",
        "active: {from: valid_from}",
        "E202",
        "is missing required key 'until'",
        id="E202_active_without_until",
    ),
]


@pytest.mark.parametrize(("old", "new", "code", "words"), CASES)
def test_validate_names_the_mistake(
    tmp_path: Path, old: str, new: str, code: str, words: str
) -> None:
    project = patched(tmp_path, old, new)
    result = invoke("validate", "--project-dir", str(project))
    assert result.exit_code == 1, result.output
    assert f"error {code}: " in result.output, result.output
    assert words in result.output, result.output
    assert "Traceback" not in result.output


def test_the_fixture_validates(tmp_path: Path) -> None:
    result = invoke("validate", "--project-dir", str(copy_fixture("history", tmp_path)))
    assert result.exit_code == 0, result.output
    assert " error E" not in result.output


def test_a_window_over_a_state_is_named_at_the_call(tmp_path: Path) -> None:
    """validate warns at the call (W233: the other metrics still answer), and a query of the
    metric says E233 there, not at the state metric's own definition."""
    project = patched(
        tmp_path,
        "    expr: handle_seconds / legs",
        "    expr: handle_seconds / legs\n  - name: backlog_last_week\n    label: 上周未结工单数\n"
        "    description: open tickets a week earlier.\n"
        "    expr: \"shift(open_tickets, '1 week')\"",
    )
    message = (
        "shift() over 'open_tickets', an `active` or `snapshot` metric, is not supported,"
        " in metric 'backlog_last_week'"
    )
    result = invoke("validate", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    assert f"metrics/history.yml:106:18: warning W233: {message}" in result.output
    # planned only (--sql): no warehouse needed
    query = ("query", "--project-dir", str(project), "--sql", "--metrics")
    assert invoke(*query, "legs").exit_code == 0
    result = invoke(*query, "backlog_last_week")
    assert result.exit_code == 1, result.output
    assert f"metrics/history.yml:106:18: error E233: {message}" in result.output


def test_a_window_over_a_metric_computed_from_a_state_is_named_in_query(tmp_path: Path) -> None:
    project = patched(
        tmp_path,
        "    expr: handle_seconds / legs",
        "    expr: handle_seconds / legs\n  - name: overdue_share\n    label: 超时占比\n"
        "    description: overdue / open.\n    expr: overdue_tickets / open_tickets\n"
        "  - name: overdue_share_7d\n    label: 近7天超时占比\n    description: 7 days.\n"
        "    expr: \"rolling(overdue_share, '7 days')\"",
    )
    result = invoke(
        "query", "--project-dir", str(project), "--metrics", "overdue_share_7d", "--grain", "day"
    )
    assert result.exit_code == 1, result.output
    assert (
        "metrics/history.yml:110:20: error E233: rolling() over 'overdue_share', computed from"
        " the `active` or `snapshot` metric 'open_tickets', is not supported, in metric"
        " 'overdue_share_7d'"
    ) in result.output
    assert "Traceback" not in result.output
