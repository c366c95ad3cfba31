-- test: test_query_sql_per_dialect[ratio_by_queue_week-postgres]
-- Generated query SQL for PostgreSQL and Spark, after the dialect rewrites.
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: abandoned_calls, handle_seconds, handled_legs, offered_calls by week, queue (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE) AS "week",
    "m"."queue" AS "queue",
    SUM("m"."abandoned_calls__count") AS "abandoned_calls__count",
    SUM("m"."handle_seconds__sum") AS "handle_seconds__sum",
    SUM("m"."handled_legs__count") AS "handled_legs__count",
    SUM("m"."offered_calls__count") AS "offered_calls__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE),
    "m"."queue"
)
/* one aggregate: calls__offered_ts__ind */
/* compute metrics: abandonment_rate, aht */
SELECT
  "calls__offered_ts__ind"."week" AS "week",
  "calls__offered_ts__ind"."queue" AS "queue",
  CAST((
    COALESCE("calls__offered_ts__ind"."abandoned_calls__count", 0)
  ) AS DOUBLE PRECISION) / CAST(NULLIF((
    COALESCE("calls__offered_ts__ind"."offered_calls__count", 0)
  ), 0) AS DOUBLE PRECISION) AS "abandonment_rate",
  CAST((
    "calls__offered_ts__ind"."handle_seconds__sum"
  ) AS DOUBLE PRECISION) / CAST(NULLIF((
    COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
  ), 0) AS DOUBLE PRECISION) AS "aht"
FROM "calls__offered_ts__ind"
ORDER BY
  "calls__offered_ts__ind"."week",
  "calls__offered_ts__ind"."queue"
