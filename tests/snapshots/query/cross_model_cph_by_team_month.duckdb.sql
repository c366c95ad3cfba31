-- test: test_query_sql[cross_model_cph_by_team_month]
-- Generated query SQL, DuckDB dialect.
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: handled_legs by month, team (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE) AS "month",
    "m"."agents__team" AS "team",
    SUM("m"."handled_legs__count") AS "handled_legs__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE),
    "m"."agents__team"
), "shifts__shift_date__ind" AS (
  /* read indicator table: ind.shifts_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* join on keys: agent_id -> src.agents */
  /* filter: shift_date_day is not null */
  /* aggregate shifts__shift_date__ind: staffed_hours by month, team (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('MONTH', "m"."shift_date_day") AS DATE) AS "month",
    "m__agents"."team" AS "team",
    SUM("m"."staffed_hours__sum") AS "staffed_hours__sum"
  FROM "ind"."shifts_day" AS "m"
  LEFT JOIN "src"."agents" AS "m__agents"
    ON "m"."agent_id" = "m__agents"."agent_id"
  WHERE
    NOT "m"."shift_date_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', "m"."shift_date_day") AS DATE),
    "m__agents"."team"
), "keys" AS (
  SELECT
    "month",
    "team"
  FROM "calls__offered_ts__ind"
  UNION
  SELECT
    "month",
    "team"
  FROM "shifts__shift_date__ind"
)
/* join aggregates on month, team */
/* compute metrics: cph */
SELECT
  "keys"."month" AS "month",
  "keys"."team" AS "team",
  CAST((
    COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
  ) AS DOUBLE) / CAST(NULLIF((
    "shifts__shift_date__ind"."staffed_hours__sum"
  ), 0) AS DOUBLE) AS "cph"
FROM "keys"
LEFT JOIN "calls__offered_ts__ind"
  ON "keys"."month" IS NOT DISTINCT FROM "calls__offered_ts__ind"."month"
  AND "keys"."team" IS NOT DISTINCT FROM "calls__offered_ts__ind"."team"
LEFT JOIN "shifts__shift_date__ind"
  ON "keys"."month" IS NOT DISTINCT FROM "shifts__shift_date__ind"."month"
  AND "keys"."team" IS NOT DISTINCT FROM "shifts__shift_date__ind"."team"
ORDER BY
  "keys"."month",
  "keys"."team"
