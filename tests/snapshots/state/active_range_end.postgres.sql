-- test: test_state_sql_per_dialect[active_range_end-postgres]
-- Query SQL of the active, snapshot and time-valid join groups per dialect.
WITH "tickets__created_ts__active" AS (
  WITH "tickets__created_ts__active__periods" AS (
    SELECT
      CAST("bounds"."hi" + INTERVAL '1 DAY' AS TIMESTAMP) AS "__end"
    FROM (
      SELECT
        CAST('2024-10-01' AS DATE) AS lo,
        CAST('2024-10-03' AS DATE) AS hi
    ) AS "bounds"
  )
  /* tickets__created_ts__active: open_tickets over the rows of src.tickets active at the range's end (created_ts <= t < resolved_ts) */
  SELECT
    COUNT(*) AS "open_tickets__count"
  FROM "tickets__created_ts__active__periods" AS "p"
  INNER JOIN "src"."tickets" AS "m"
    ON "m"."created_ts" <= "p"."__end"
    AND (
      "m"."resolved_ts" IS NULL OR "m"."resolved_ts" > "p"."__end"
    )
)
SELECT
  COALESCE("tickets__created_ts__active"."open_tickets__count", 0) AS "open_tickets"
FROM "tickets__created_ts__active"
