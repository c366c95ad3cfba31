-- test: test_state_sql_per_dialect[active_range_end-duckdb]
-- Query SQL of the active, snapshot and time-valid join groups per dialect.
WITH "tickets__created_ts__active__periods" AS (
  SELECT
    CAST("bounds"."hi" + INTERVAL '1' DAY AS TIMESTAMP) AS "__end"
  FROM (
    SELECT
      CAST('2024-10-01' AS DATE) AS lo,
      CAST('2024-10-03' AS DATE) AS hi
  ) AS "bounds"
), "tickets__created_ts__active__changes" AS (
  SELECT
    "m"."created_ts" AS "__at",
    1 AS "__rows",
    1 AS "open_tickets__count"
  FROM "src"."tickets" AS "m"
  WHERE
    NOT "m"."created_ts" IS NULL AND NOT "m"."created_ts" IS NULL
  /* read rows: src.tickets (rows open at each period's end) */
  /* filter: created_ts is not null */
  UNION ALL
  SELECT
    CASE
      WHEN "m"."created_ts" IS NULL OR "m"."resolved_ts" IS NULL
      THEN NULL
      ELSE GREATEST("m"."created_ts", "m"."resolved_ts")
    END AS "__at",
    -1 AS "__rows",
    -(
      1
    ) AS "open_tickets__count"
  FROM "src"."tickets" AS "m"
  WHERE
    (
      NOT "m"."created_ts" IS NULL AND NOT "m"."created_ts" IS NULL
    )
    AND NOT "m"."resolved_ts" IS NULL
), "tickets__created_ts__active" AS (
  /* running total tickets__created_ts__active: open_tickets, rows opened at created_ts minus closed at resolved_ts, at the range's end, 2024-10-01 .. 2024-10-03 of src.tickets.created_ts */
  SELECT
    SUM("c"."open_tickets__count") AS "open_tickets__count"
  FROM "tickets__created_ts__active__changes" AS "c"
  WHERE
    "c"."__at" <= (
      SELECT
        "__end"
      FROM "tickets__created_ts__active__periods"
    )
)
/* one aggregate: tickets__created_ts__active */
/* compute metrics: open_tickets */
SELECT
  COALESCE("tickets__created_ts__active"."open_tickets__count", 0) AS "open_tickets"
FROM "tickets__created_ts__active"
