-- test: test_report_view_sql[duckdb-by_queue]
-- app.queue_daily_week[_total]: TimeSpine, FillZeros, Compare, FlagTargets (Totals).
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
), "base" AS (
  /* one aggregate: calls__offered_ts__ind */
  /* compute metrics: offered_calls, abandonment_rate, aht */
  SELECT
    "calls__offered_ts__ind"."week" AS "week",
    "calls__offered_ts__ind"."queue" AS "queue",
    COALESCE("calls__offered_ts__ind"."offered_calls__count", 0) AS "offered_calls",
    CAST((
      COALESCE("calls__offered_ts__ind"."abandoned_calls__count", 0)
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."offered_calls__count", 0)
    ), 0) AS DOUBLE) AS "abandonment_rate",
    CAST((
      "calls__offered_ts__ind"."handle_seconds__sum"
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
    ), 0) AS DOUBLE) AS "aht"
  FROM "calls__offered_ts__ind"
), "spine" AS (
  /* time spine: every week between the first and the last x every combination of queue */
  SELECT
    "periods"."week",
    "combos"."queue"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '1' WEEK)) AS DATE) AS "week"
    FROM (
      SELECT
        MIN("week") AS lo,
        MAX("week") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
  CROSS JOIN (
    SELECT DISTINCT
      "queue"
    FROM "base"
  ) AS "combos"
), "filled" AS (
  /* fill zeros: offered_calls */
  SELECT
    "spine"."week" AS "week",
    "spine"."queue" AS "queue",
    COALESCE("base"."offered_calls", 0) AS "offered_calls",
    "base"."abandonment_rate" AS "abandonment_rate",
    "base"."aht" AS "aht"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."week" IS NOT DISTINCT FROM "base"."week"
    AND "spine"."queue" IS NOT DISTINCT FROM "base"."queue"
)
/* compare: previous_period (1 week back) */
/* flag targets: abandonment_rate */
SELECT
  "cur"."week" AS "week",
  "cur"."queue" AS "queue",
  "cur"."offered_calls" AS "offered_calls",
  "prev"."offered_calls" AS "offered_calls_prev",
  CAST("cur"."offered_calls" - "prev"."offered_calls" AS DOUBLE) / CAST(NULLIF(ABS("prev"."offered_calls"), 0) AS DOUBLE) AS "offered_calls_change",
  "cur"."abandonment_rate" AS "abandonment_rate",
  "prev"."abandonment_rate" AS "abandonment_rate_prev",
  "cur"."abandonment_rate" - "prev"."abandonment_rate" AS "abandonment_rate_change",
  CASE
    WHEN "cur"."abandonment_rate" IS NULL
    THEN NULL
    ELSE "cur"."abandonment_rate" <= 0.3
  END AS "abandonment_rate_target_met",
  "cur"."aht" AS "aht",
  "prev"."aht" AS "aht_prev",
  CAST("cur"."aht" - "prev"."aht" AS DOUBLE) / CAST(NULLIF(ABS("prev"."aht"), 0) AS DOUBLE) AS "aht_change"
FROM "filled" AS "cur"
LEFT JOIN "filled" AS "prev"
  ON "prev"."week" = CAST("cur"."week" - INTERVAL '1' WEEK AS DATE)
  AND "prev"."queue" IS NOT DISTINCT FROM "cur"."queue"
ORDER BY
  "cur"."week",
  "cur"."queue"
