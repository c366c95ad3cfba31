-- test: test_history_indicator_and_overlap_sql[postgres]
-- The calls day table stores the team and city of the version at each leg's time.
/* read rows: src.calls (the rows behind calls_day) */
/* join versions: agent_id -> src.agent_history valid at offered_ts, site_id -> src.sites */
/* aggregate calls_day: handle_seconds, legs by offered_ts_day, queue, agent_id, roster_agent_id, agent_history__team, agent_history__site_id, agent_history__sites__city (from rows) */
SELECT
  CAST("m"."offered_ts" AS DATE) AS "offered_ts_day",
  "m"."queue" AS "queue",
  "m"."agent_id" AS "agent_id",
  "m"."roster_agent_id" AS "roster_agent_id",
  "m__agent_history"."team" AS "agent_history__team",
  "m__agent_history"."site_id" AS "agent_history__site_id",
  "m__agent_history__sites"."city" AS "agent_history__sites__city",
  SUM("m".handle_seconds) AS "handle_seconds__sum",
  COUNT(*) AS "legs__count"
FROM "src"."calls" AS "m"
LEFT JOIN (
  SELECT
    *,
    COALESCE("valid_to", CAST('infinity' AS TIMESTAMP)) AS "_mfl_version_end"
  FROM "src"."agent_history"
) AS "m__agent_history"
  ON "m"."agent_id" = "m__agent_history"."agent_id"
  AND "m__agent_history"."valid_from" <= "m"."offered_ts"
  AND "m__agent_history"."_mfl_version_end" > "m"."offered_ts"
LEFT JOIN "src"."sites" AS "m__agent_history__sites"
  ON "m__agent_history"."site_id" = "m__agent_history__sites"."site_id"
GROUP BY
  CAST("m"."offered_ts" AS DATE),
  "m"."queue",
  "m"."agent_id",
  "m"."roster_agent_id",
  "m__agent_history"."team",
  "m__agent_history"."site_id",
  "m__agent_history__sites"."city"
