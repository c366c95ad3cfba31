-- test: test_state_sql_per_dialect[roster_and_calls_by_team_day-duckdb]
-- Query SQL of the active, snapshot and time-valid join groups per dialect.
WITH "agent_history__valid_from__active" AS (
  WITH "agent_history__valid_from__active__periods" AS (
    SELECT
      "__period",
      CAST("__period" + INTERVAL '1' DAY AS TIMESTAMP) AS "__end"
    FROM (
      SELECT
        CAST(UNNEST(
          GENERATE_SERIES(CAST("bounds"."lo" AS DATE), CAST("bounds"."hi" AS DATE), INTERVAL '1' DAY)
        ) AS DATE) AS "__period"
      FROM (
        SELECT
          CAST(MIN("offered_ts") AS DATE) AS lo,
          CAST(MAX("offered_ts") AS DATE) AS hi
        FROM "src"."calls"
        WHERE
          NOT "offered_ts" IS NULL
      ) AS "bounds"
    ) AS "starts"
  ), "agent_history__valid_from__active__rows" AS (
    SELECT
      "p"."__period" AS "day",
      "m"."team" AS "team",
      COUNT(DISTINCT "m".agent_id) AS "agents_on_roster__value"
    FROM "agent_history__valid_from__active__periods" AS "p"
    INNER JOIN "src"."agent_history" AS "m"
      ON "m"."valid_from" <= "p"."__end"
      AND (
        "m"."valid_to" IS NULL OR "m"."valid_to" > "p"."__end"
      )
    GROUP BY
      "p"."__period",
      "m"."team"
  )
  /* agent_history__valid_from__active: agents_on_roster over the rows of src.agent_history active at each day's end (valid_from <= t < valid_to) */
  SELECT
    "p"."__period" AS "day",
    "combos"."team" AS "team",
    "rows"."agents_on_roster__value" AS "agents_on_roster__value"
  FROM "agent_history__valid_from__active__periods" AS "p"
  CROSS JOIN (
    SELECT DISTINCT
      "team"
    FROM "agent_history__valid_from__active__rows"
  ) AS "combos"
  LEFT JOIN "agent_history__valid_from__active__rows" AS "rows"
    ON "rows"."day" = "p"."__period"
    AND "rows"."team" IS NOT DISTINCT FROM "combos"."team"
), "calls__offered_ts__ind" AS (
  /* calls__offered_ts__ind: legs by offered_ts from ind.calls_day */
  SELECT
    CAST("m"."offered_ts_day" AS DATE) AS "day",
    "m"."agent_history__team" AS "team",
    SUM("m"."legs__count") AS "legs__count"
  FROM "ind"."calls_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST("m"."offered_ts_day" AS DATE),
    "m"."agent_history__team"
), "keys" AS (
  SELECT
    "day",
    "team"
  FROM "agent_history__valid_from__active"
  UNION
  SELECT
    "day",
    "team"
  FROM "calls__offered_ts__ind"
)
SELECT
  "keys"."day" AS "day",
  "keys"."team" AS "team",
  COALESCE("agent_history__valid_from__active"."agents_on_roster__value", 0) AS "agents_on_roster",
  COALESCE("calls__offered_ts__ind"."legs__count", 0) AS "legs"
FROM "keys"
LEFT JOIN "agent_history__valid_from__active"
  ON "keys"."day" IS NOT DISTINCT FROM "agent_history__valid_from__active"."day"
  AND "keys"."team" IS NOT DISTINCT FROM "agent_history__valid_from__active"."team"
LEFT JOIN "calls__offered_ts__ind"
  ON "keys"."day" IS NOT DISTINCT FROM "calls__offered_ts__ind"."day"
  AND "keys"."team" IS NOT DISTINCT FROM "calls__offered_ts__ind"."team"
ORDER BY
  "keys"."day",
  "keys"."team"
