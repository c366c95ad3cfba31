-- test: test_state_sql_per_dialect[snapshot_by_queue_day_where-postgres]
-- Query SQL of the active, snapshot and time-valid join groups per dialect.
WITH "queue_snapshots__waiting_close__snapshot__periods" AS (
  SELECT
    "__period",
    CAST("__period" + INTERVAL '1 DAY' AS TIMESTAMP) AS "__end"
  FROM (
    SELECT
      CAST(GENERATE_SERIES(
        CAST(CAST("bounds"."lo" AS DATE) AS TIMESTAMP),
        CAST(CAST("bounds"."hi" AS DATE) AS TIMESTAMP),
        INTERVAL '1 DAY'
      ) AS DATE) AS "__period"
    FROM (
      SELECT
        CAST(MIN("snapshot_ts") AS DATE) AS lo,
        CAST(MAX("snapshot_ts") AS DATE) AS hi
      FROM "src"."queue_snapshots"
      WHERE
        NOT "snapshot_ts" IS NULL
    ) AS "bounds"
  ) AS "starts"
), "queue_snapshots__waiting_close__snapshot__rows" AS (
  SELECT
    "m"."__period" AS "day",
    "m"."__d0" AS "queue",
    SUM("m".waiting_calls) AS "waiting_close__sum"
  FROM (
    /* read rows: src.queue_snapshots (snapshot last) */
    /* filter: snapshot_ts is not null and queue <> 'C' */
    SELECT
      "m".*,
      CAST("m"."snapshot_ts" AS DATE) AS "__period",
      "m"."queue" AS "__d0",
      MAX("m"."snapshot_ts") OVER (PARTITION BY CAST("m"."snapshot_ts" AS DATE)) AS "__pick"
    FROM "src"."queue_snapshots" AS "m"
    WHERE
      NOT "m"."snapshot_ts" IS NULL AND (
        "m"."queue" <> 'C'
      )
  ) AS "m"
  WHERE
    "m"."snapshot_ts" = "m"."__pick"
  GROUP BY
    "m"."__period",
    "m"."__d0"
), "queue_snapshots__waiting_close__snapshot" AS (
  /* snapshot queue_snapshots__waiting_close__snapshot: waiting_close at the latest snapshot_ts of each day */
  SELECT
    "p"."__period" AS "day",
    "combos"."queue" AS "queue",
    "rows"."waiting_close__sum" AS "waiting_close__sum"
  FROM "queue_snapshots__waiting_close__snapshot__periods" AS "p"
  CROSS JOIN (
    SELECT DISTINCT
      "queue"
    FROM "queue_snapshots__waiting_close__snapshot__rows"
  ) AS "combos"
  LEFT JOIN "queue_snapshots__waiting_close__snapshot__rows" AS "rows"
    ON "rows"."day" = "p"."__period"
    AND "rows"."queue" IS NOT DISTINCT FROM "combos"."queue"
), "queue_snapshots__waiting_open__snapshot__periods" AS (
  SELECT
    "__period",
    CAST("__period" + INTERVAL '1 DAY' AS TIMESTAMP) AS "__end"
  FROM (
    SELECT
      CAST(GENERATE_SERIES(
        CAST(CAST("bounds"."lo" AS DATE) AS TIMESTAMP),
        CAST(CAST("bounds"."hi" AS DATE) AS TIMESTAMP),
        INTERVAL '1 DAY'
      ) AS DATE) AS "__period"
    FROM (
      SELECT
        CAST(MIN("snapshot_ts") AS DATE) AS lo,
        CAST(MAX("snapshot_ts") AS DATE) AS hi
      FROM "src"."queue_snapshots"
      WHERE
        NOT "snapshot_ts" IS NULL
    ) AS "bounds"
  ) AS "starts"
), "queue_snapshots__waiting_open__snapshot__rows" AS (
  SELECT
    "m"."__period" AS "day",
    "m"."__d0" AS "queue",
    SUM("m".waiting_calls) AS "waiting_open__sum"
  FROM (
    /* read rows: src.queue_snapshots (snapshot first) */
    /* filter: snapshot_ts is not null and queue <> 'C' */
    SELECT
      "m".*,
      CAST("m"."snapshot_ts" AS DATE) AS "__period",
      "m"."queue" AS "__d0",
      MIN("m"."snapshot_ts") OVER (PARTITION BY CAST("m"."snapshot_ts" AS DATE)) AS "__pick"
    FROM "src"."queue_snapshots" AS "m"
    WHERE
      NOT "m"."snapshot_ts" IS NULL AND (
        "m"."queue" <> 'C'
      )
  ) AS "m"
  WHERE
    "m"."snapshot_ts" = "m"."__pick"
  GROUP BY
    "m"."__period",
    "m"."__d0"
), "queue_snapshots__waiting_open__snapshot" AS (
  /* snapshot queue_snapshots__waiting_open__snapshot: waiting_open at the earliest snapshot_ts of each day */
  SELECT
    "p"."__period" AS "day",
    "combos"."queue" AS "queue",
    "rows"."waiting_open__sum" AS "waiting_open__sum"
  FROM "queue_snapshots__waiting_open__snapshot__periods" AS "p"
  CROSS JOIN (
    SELECT DISTINCT
      "queue"
    FROM "queue_snapshots__waiting_open__snapshot__rows"
  ) AS "combos"
  LEFT JOIN "queue_snapshots__waiting_open__snapshot__rows" AS "rows"
    ON "rows"."day" = "p"."__period"
    AND "rows"."queue" IS NOT DISTINCT FROM "combos"."queue"
), "keys" AS (
  SELECT
    "day",
    "queue"
  FROM "queue_snapshots__waiting_close__snapshot"
  UNION
  SELECT
    "day",
    "queue"
  FROM "queue_snapshots__waiting_open__snapshot"
)
/* join aggregates on day, queue */
/* compute metrics: waiting_close, waiting_open */
SELECT
  "keys"."day" AS "day",
  "keys"."queue" AS "queue",
  "queue_snapshots__waiting_close__snapshot"."waiting_close__sum" AS "waiting_close",
  "queue_snapshots__waiting_open__snapshot"."waiting_open__sum" AS "waiting_open"
FROM "keys"
LEFT JOIN "queue_snapshots__waiting_close__snapshot"
  ON "keys"."day" IS NOT DISTINCT FROM "queue_snapshots__waiting_close__snapshot"."day"
  AND "keys"."queue" IS NOT DISTINCT FROM "queue_snapshots__waiting_close__snapshot"."queue"
LEFT JOIN "queue_snapshots__waiting_open__snapshot"
  ON "keys"."day" IS NOT DISTINCT FROM "queue_snapshots__waiting_open__snapshot"."day"
  AND "keys"."queue" IS NOT DISTINCT FROM "queue_snapshots__waiting_open__snapshot"."queue"
ORDER BY
  "keys"."day",
  "keys"."queue"
