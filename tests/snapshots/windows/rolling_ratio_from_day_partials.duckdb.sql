-- test: test_window_sql[rolling_ratio_from_day_partials-duckdb]
-- Generated SQL of a window node kind, per dialect.
WITH "frame__rolling_7_days" AS (
  /* period spine: every day from 2024-03-01 to 2024-03-31, with its first and last day */
  /* rolling: the 7 days ending on the last day */
  SELECT
    "day" AS "day",
    CAST("day" - INTERVAL '6' DAY AS DATE) AS "frame_first",
    "day" AS "frame_last"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES(CAST("lo" AS DATE), CAST("hi" AS DATE), INTERVAL '1' DAY)) AS DATE) AS "day"
    FROM (
      SELECT
        CAST('2024-03-01' AS DATE) AS "lo",
        CAST('2024-03-31' AS DATE) AS "hi"
    ) AS "bounds"
  ) AS "periods"
), "calls__offered_ts__ind__rolling_7_days" AS (
  /* read indicator table: ind.calls_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* filter: offered_ts_day is not null and queue = 'A' */
  /* window aggregate calls__offered_ts__ind__rolling_7_days: abandoned_calls, offered_calls over rolling 7 days by day, queue (re-aggregated day partials) */
  SELECT
    "f"."day" AS "day",
    "m"."queue" AS "queue",
    SUM("m"."abandoned_calls__count") AS "abandoned_calls__count__rolling_7_days",
    SUM("m"."offered_calls__count") AS "offered_calls__count__rolling_7_days"
  FROM "ind"."calls_day" AS "m"
  JOIN "frame__rolling_7_days" AS "f"
    ON "m"."offered_ts_day" >= "f"."frame_first"
    AND "m"."offered_ts_day" <= "f"."frame_last"
  WHERE
    NOT "m"."offered_ts_day" IS NULL AND (
      "m"."queue" = 'A'
    )
  GROUP BY
    "f"."day",
    "m"."queue"
)
/* one aggregate: calls__offered_ts__ind__rolling_7_days */
/* compute metrics: rolling_abandonment_7d */
SELECT
  "calls__offered_ts__ind__rolling_7_days"."day" AS "day",
  "calls__offered_ts__ind__rolling_7_days"."queue" AS "queue",
  (
    (
      CAST((
        COALESCE(
          "calls__offered_ts__ind__rolling_7_days"."abandoned_calls__count__rolling_7_days",
          0
        )
      ) AS DOUBLE) / CAST(NULLIF(
        (
          COALESCE("calls__offered_ts__ind__rolling_7_days"."offered_calls__count__rolling_7_days", 0)
        ),
        0
      ) AS DOUBLE)
    )
  ) AS "rolling_abandonment_7d"
FROM "calls__offered_ts__ind__rolling_7_days"
ORDER BY
  "calls__offered_ts__ind__rolling_7_days"."day",
  "calls__offered_ts__ind__rolling_7_days"."queue"
