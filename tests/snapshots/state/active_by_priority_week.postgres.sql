-- test: test_state_sql_per_dialect[active_by_priority_week-postgres]
-- Query SQL of the active, snapshot and time-valid join groups per dialect.
WITH "tickets__created_ts__active" AS (
  WITH "tickets__created_ts__active__periods" AS (
    SELECT
      "__period",
      CAST("__period" + INTERVAL '1 WEEK' AS TIMESTAMP) AS "__end"
    FROM (
      SELECT
        CAST(GENERATE_SERIES(
          CAST(CAST(DATE_TRUNC('WEEK', "bounds"."lo") AS DATE) AS TIMESTAMP),
          CAST(CAST(DATE_TRUNC('WEEK', "bounds"."hi") AS DATE) AS TIMESTAMP),
          INTERVAL '1 WEEK'
        ) AS DATE) AS "__period"
      FROM (
        SELECT
          CAST(MIN("created_ts") AS DATE) AS lo,
          CAST(MAX("created_ts") AS DATE) AS hi
        FROM "src"."tickets"
        WHERE
          NOT "created_ts" IS NULL
      ) AS "bounds"
    ) AS "starts"
  ), "tickets__created_ts__active__rows" AS (
    SELECT
      "p"."__period" AS "week",
      "m"."priority" AS "priority",
      SUM(
        CAST(CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("p"."__end" AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST("m".created_ts AS TIMESTAMP))) AS BIGINT) AS DOUBLE PRECISION) / 3600.0
      ) AS "open_ticket_age_hours__sum",
      COUNT(
        CAST(CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("p"."__end" AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST("m".created_ts AS TIMESTAMP))) AS BIGINT) AS DOUBLE PRECISION) / 3600.0
      ) AS "open_ticket_age_hours__count",
      COUNT(*) AS "open_tickets__count"
    FROM "tickets__created_ts__active__periods" AS "p"
    INNER JOIN "src"."tickets" AS "m"
      ON "m"."created_ts" <= "p"."__end"
      AND (
        "m"."resolved_ts" IS NULL OR "m"."resolved_ts" > "p"."__end"
      )
    GROUP BY
      "p"."__period",
      "m"."priority"
  )
  /* tickets__created_ts__active: open_ticket_age_hours, open_tickets over the rows of src.tickets active at each week's end (created_ts <= t < resolved_ts) */
  SELECT
    "p"."__period" AS "week",
    "combos"."priority" AS "priority",
    "rows"."open_ticket_age_hours__sum" AS "open_ticket_age_hours__sum",
    "rows"."open_ticket_age_hours__count" AS "open_ticket_age_hours__count",
    "rows"."open_tickets__count" AS "open_tickets__count"
  FROM "tickets__created_ts__active__periods" AS "p"
  CROSS JOIN (
    SELECT DISTINCT
      "priority"
    FROM "tickets__created_ts__active__rows"
  ) AS "combos"
  LEFT JOIN "tickets__created_ts__active__rows" AS "rows"
    ON "rows"."week" = "p"."__period"
    AND "rows"."priority" IS NOT DISTINCT FROM "combos"."priority"
)
SELECT
  "tickets__created_ts__active"."week" AS "week",
  "tickets__created_ts__active"."priority" AS "priority",
  COALESCE("tickets__created_ts__active"."open_tickets__count", 0) AS "open_tickets",
  CAST("tickets__created_ts__active"."open_ticket_age_hours__sum" AS DOUBLE PRECISION) / CAST(NULLIF("tickets__created_ts__active"."open_ticket_age_hours__count", 0) AS DOUBLE PRECISION) AS "open_ticket_age_hours"
FROM "tickets__created_ts__active"
ORDER BY
  "tickets__created_ts__active"."week",
  "tickets__created_ts__active"."priority"
