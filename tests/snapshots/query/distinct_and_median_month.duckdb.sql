-- test: test_query_sql[distinct_and_median_month]
-- Generated query SQL, DuckDB dialect.
WITH "calls__offered_ts__src" AS (
  /* read rows: src.calls (callers (count_distinct), median_handle (median): recomputed from rows, never added up) */
  /* filter: offered_ts is not null */
  /* aggregate calls__offered_ts__src: callers, median_handle by month (from rows) */
  SELECT
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts") AS DATE) AS "month",
    COUNT(DISTINCT CASE WHEN "m".leg_seq = 1 THEN "m".customer_id END) AS "callers__value",
    QUANTILE_CONT(CASE WHEN NOT "m".answered_ts IS NULL THEN "m".handle_seconds END, 0.5) AS "median_handle__value"
  FROM "src"."calls" AS "m"
  WHERE
    NOT "m"."offered_ts" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts") AS DATE)
)
/* one aggregate: calls__offered_ts__src */
/* compute metrics: callers, median_handle */
SELECT
  "calls__offered_ts__src"."month" AS "month",
  COALESCE("calls__offered_ts__src"."callers__value", 0) AS "callers",
  "calls__offered_ts__src"."median_handle__value" AS "median_handle"
FROM "calls__offered_ts__src"
ORDER BY
  "calls__offered_ts__src"."month"
