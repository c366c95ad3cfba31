"""The headline query on the demo center, against hand-written SQL over the source views."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest
from conftest import invoke

# Calls by the day they were offered, shifts by shift_date; each side aggregated to
# (week, team) on its own, then joined, so no leg is multiplied by a shift (DOMAIN.md 3.16). The
# team is the one the agent was in at the call's (the shift's) time, from the team history.
HAND_SQL = """
with calls as (
    select cast(date_trunc('week', l.offered_ts) as date) as week, a.team,
           count(*) filter (where l.direction = 'inbound' and l.leg_seq = 1) as offered,
           count(*) filter (where l.direction = 'inbound' and l.leg_seq = 1
                            and l.answered_ts is null) as abandoned,
           count(*) filter (where l.direction = 'inbound' and l.answered_ts is not null) as handled,
           sum(coalesce(l.talk_seconds, 0) + coalesce(l.hold_seconds, 0)
               + coalesce(l.acw_seconds, 0))
               filter (where l.direction = 'inbound' and l.answered_ts is not null) as handle
    from src.call_legs l left join src.agent_history a on a.agent_id = l.agent_id
        and a.valid_from <= l.offered_ts and (a.valid_to is null or a.valid_to > l.offered_ts)
    where l.offered_ts is not null
    group by all
), shifts as (
    select cast(date_trunc('week', s.shift_date) as date) as week, a.team,
           sum(s.staffed_seconds) / 3600.0 as hours
    from src.attendance s left join src.agent_history a on a.agent_id = s.agent_id
        and a.valid_from <= s.shift_date and (a.valid_to is null or a.valid_to > s.shift_date)
    group by all
)
select coalesce(c.week, s.week) as week, coalesce(c.team, s.team) as team,
       c.abandoned / nullif(c.offered, 0) as abandonment_rate,
       c.handle / nullif(c.handled, 0) as aht_seconds,
       c.handled / nullif(s.hours, 0) as cph
from calls c full join shifts s on c.week = s.week and c.team is not distinct from s.team
"""


def test_abandonment_aht_and_cph_by_team_by_week(demo_project: Path) -> None:
    result = invoke(
        "query",
        "--project-dir",
        str(demo_project),
        "--metrics",
        "abandonment_rate,aht_seconds,cph",
        "--by",
        "team",
        "--grain",
        "week",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    got = {(r["week"], r["team"] or None): r for r in rows}
    con = duckdb.connect(str(demo_project / "target" / "warehouse.duckdb"), read_only=True)
    try:
        expected = con.execute(HAND_SQL).fetchall()
    finally:
        con.close()
    assert len(got) == len(expected)

    def number(text: str) -> float | None:
        return float(text) if text else None

    for week, team, abandonment, aht, cph in expected:
        row = got[(week.isoformat(), team)]
        for name, value in (("abandonment_rate", abandonment), ("aht_seconds", aht), ("cph", cph)):
            if value is None:
                assert number(row[name]) is None, (week, team, name)
            else:
                assert number(row[name]) == pytest.approx(float(value), rel=1e-9), (
                    week,
                    team,
                    name,
                )
    # Abandoned calls have no agent: the team-less rows carry the abandonment rate.
    teamless = [r for r in rows if not r["team"]]
    assert teamless and all(r["abandonment_rate"] for r in teamless)
