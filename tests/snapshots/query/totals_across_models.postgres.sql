-- test: test_query_sql_per_dialect[totals_across_models-postgres]
-- Generated query SQL for PostgreSQL and Spark, after the dialect rewrites.
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: handled_legs by everything (re-aggregated partials) */
  SELECT
    SUM("m"."handled_legs__count") AS "handled_legs__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
), "shifts__shift_date__ind" AS (
  /* read indicator table: ind.shifts_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* filter: shift_date_day is not null */
  /* aggregate shifts__shift_date__ind: staffed_hours by everything (re-aggregated partials) */
  SELECT
    SUM("m"."staffed_hours__sum") AS "staffed_hours__sum"
  FROM "ind"."shifts_day" AS "m"
  WHERE
    NOT "m"."shift_date_day" IS NULL
)
/* join aggregates on nothing (one row each) */
/* compute metrics: handled_legs, staffed_hours */
SELECT
  COALESCE("calls__offered_ts__ind"."handled_legs__count", 0) AS "handled_legs",
  "shifts__shift_date__ind"."staffed_hours__sum" AS "staffed_hours"
FROM "calls__offered_ts__ind"
CROSS JOIN "shifts__shift_date__ind"
