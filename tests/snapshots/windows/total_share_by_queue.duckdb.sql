-- test: test_window_sql[total_share_by_queue-duckdb]
-- Generated SQL of a window node kind, per dialect.
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* filter: offered_ts_day is not null and offered_ts_day >= 2024-03-01 and offered_ts_day < 2024-04-01 */
  /* aggregate calls__offered_ts__ind: offered_calls by month, queue (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE) AS "month",
    "m"."queue" AS "queue",
    SUM("m"."offered_calls__count") AS "offered_calls__count"
  FROM "ind"."calls_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
    AND "m"."offered_ts_day" >= CAST('2024-03-01' AS DATE)
    AND "m"."offered_ts_day" < CAST('2024-04-01' AS DATE)
  GROUP BY
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE),
    "m"."queue"
), "calls__offered_ts__ind__total" AS (
  /* read indicator table: ind.calls_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* filter: offered_ts_day is not null and offered_ts_day >= 2024-03-01 and offered_ts_day < 2024-04-01 */
  /* aggregate calls__offered_ts__ind__total: offered_calls by month (re-aggregated partials) */
  /* total: offered_calls over all members */
  SELECT
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE) AS "month",
    SUM("m"."offered_calls__count") AS "offered_calls__count__total"
  FROM "ind"."calls_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
    AND "m"."offered_ts_day" >= CAST('2024-03-01' AS DATE)
    AND "m"."offered_ts_day" < CAST('2024-04-01' AS DATE)
  GROUP BY
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE)
)
/* join aggregates on month, queue */
/* compute metrics: queue_share */
SELECT
  "calls__offered_ts__ind"."month" AS "month",
  "calls__offered_ts__ind"."queue" AS "queue",
  CAST((
    COALESCE("calls__offered_ts__ind"."offered_calls__count", 0)
  ) AS DOUBLE) / CAST(NULLIF(
    (
      (
        COALESCE("calls__offered_ts__ind__total"."offered_calls__count__total", 0)
      )
    ),
    0
  ) AS DOUBLE) AS "queue_share"
FROM "calls__offered_ts__ind"
LEFT JOIN "calls__offered_ts__ind__total"
  ON "calls__offered_ts__ind"."month" = "calls__offered_ts__ind__total"."month"
ORDER BY
  "calls__offered_ts__ind"."month",
  "calls__offered_ts__ind"."queue"
