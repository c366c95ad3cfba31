-- test: test_window_sql[shift_of_to_date-duckdb]
-- Generated SQL of a window node kind, per dialect.
WITH "frame__shift_1_year__month_to_date" AS (
  /* period spine: every month from the first day with data to the last day with data, with its first and last day */
  /* shift: 1 year earlier */
  /* to date: from the start of the month holding the last day */
  SELECT
    "month" AS "month",
    CAST(DATE_TRUNC(
      'MONTH',
      CASE
        WHEN EXTRACT(DAY FROM "month") = 1
        AND EXTRACT(DAY FROM CAST(CAST(CAST("month" + INTERVAL '1' MONTH AS DATE) - INTERVAL '1' DAY AS DATE) + INTERVAL '1' DAY AS DATE)) = 1
        THEN CAST(CAST(CAST(CAST(CAST("month" + INTERVAL '1' MONTH AS DATE) - INTERVAL '1' DAY AS DATE) + INTERVAL '1' DAY AS DATE) - INTERVAL '12' MONTH AS DATE) - INTERVAL '1' DAY AS DATE)
        ELSE CAST(CAST(CAST("month" + INTERVAL '1' MONTH AS DATE) - INTERVAL '1' DAY AS DATE) - INTERVAL '12' MONTH AS DATE)
      END
    ) AS DATE) AS "frame_first",
    CASE
      WHEN EXTRACT(DAY FROM "month") = 1
      AND EXTRACT(DAY FROM CAST(CAST(CAST("month" + INTERVAL '1' MONTH AS DATE) - INTERVAL '1' DAY AS DATE) + INTERVAL '1' DAY AS DATE)) = 1
      THEN CAST(CAST(CAST(CAST(CAST("month" + INTERVAL '1' MONTH AS DATE) - INTERVAL '1' DAY AS DATE) + INTERVAL '1' DAY AS DATE) - INTERVAL '12' MONTH AS DATE) - INTERVAL '1' DAY AS DATE)
      ELSE CAST(CAST(CAST("month" + INTERVAL '1' MONTH AS DATE) - INTERVAL '1' DAY AS DATE) - INTERVAL '12' MONTH AS DATE)
    END AS "frame_last"
  FROM (
    SELECT
      CAST(UNNEST(
        GENERATE_SERIES(
          CAST(DATE_TRUNC('MONTH', "lo") AS DATE),
          CAST(DATE_TRUNC('MONTH', "hi") AS DATE),
          INTERVAL '1' MONTH
        )
      ) AS DATE) AS "month"
    FROM (
      SELECT
        MIN("lo") AS "lo",
        MAX("hi") AS "hi"
      FROM (
        SELECT
          MIN(CAST("offered_ts_day" AS DATE)) AS "lo",
          MAX(CAST("offered_ts_day" AS DATE)) AS "hi"
        FROM "ind"."calls_day"
      ) AS "data"
    ) AS "bounds"
  ) AS "periods"
), "calls__offered_ts__ind__shift_1_year__month_to_date" AS (
  /* read indicator table: ind.calls_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* filter: offered_ts_day is not null */
  /* window aggregate calls__offered_ts__ind__shift_1_year__month_to_date: offered_calls over shift 1 year, month to date by month (re-aggregated day partials) */
  SELECT
    "f"."month" AS "month",
    SUM("m"."offered_calls__count") AS "offered_calls__count__shift_1_year__month_to_date"
  FROM "ind"."calls_day" AS "m"
  JOIN "frame__shift_1_year__month_to_date" AS "f"
    ON "m"."offered_ts_day" >= "f"."frame_first"
    AND "m"."offered_ts_day" <= "f"."frame_last"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    "f"."month"
)
/* one aggregate: calls__offered_ts__ind__shift_1_year__month_to_date */
/* compute metrics: offered_mtd_last_year */
SELECT
  "calls__offered_ts__ind__shift_1_year__month_to_date"."month" AS "month",
  (
    (
      (
        COALESCE(
          "calls__offered_ts__ind__shift_1_year__month_to_date"."offered_calls__count__shift_1_year__month_to_date",
          0
        )
      )
    )
  ) AS "offered_mtd_last_year"
FROM "calls__offered_ts__ind__shift_1_year__month_to_date"
ORDER BY
  "calls__offered_ts__ind__shift_1_year__month_to_date"."month"
