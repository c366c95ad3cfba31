-- test: test_calendar_table_sql[postgres]
-- The default calendar of tests/fixtures/hours as a table of dates.
SELECT
  "day",
  "weekday",
  CAST(COALESCE(
    SUM("open_seconds") OVER (ORDER BY "day" ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
    0
  ) AS BIGINT) AS "open_before",
  CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST(CAST("day" AS TIMESTAMP) AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) + "open_1" AS "open_1",
  CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST(CAST("day" AS TIMESTAMP) AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) + "close_1" AS "close_1",
  CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST(CAST("day" AS TIMESTAMP) AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) + "open_2" AS "open_2",
  CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST(CAST("day" AS TIMESTAMP) AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) + "close_2" AS "close_2",
  "open_seconds"
FROM (
  SELECT
    "day",
    "weekday",
    CASE
      WHEN "weekday" = 1
      THEN 32400
      WHEN "weekday" = 2
      THEN 32400
      WHEN "weekday" = 3
      THEN 32400
      WHEN "weekday" = 4
      THEN 32400
      WHEN "weekday" = 5
      THEN 32400
      WHEN "weekday" = 6
      THEN 36000
      ELSE 0
    END AS "open_1",
    CASE
      WHEN "weekday" = 1
      THEN 43200
      WHEN "weekday" = 2
      THEN 43200
      WHEN "weekday" = 3
      THEN 43200
      WHEN "weekday" = 4
      THEN 43200
      WHEN "weekday" = 5
      THEN 43200
      WHEN "weekday" = 6
      THEN 57600
      ELSE 0
    END AS "close_1",
    CASE
      WHEN "weekday" = 1
      THEN 46800
      WHEN "weekday" = 2
      THEN 46800
      WHEN "weekday" = 3
      THEN 46800
      WHEN "weekday" = 4
      THEN 46800
      WHEN "weekday" = 5
      THEN 46800
      ELSE 0
    END AS "open_2",
    CASE
      WHEN "weekday" = 1
      THEN 64800
      WHEN "weekday" = 2
      THEN 64800
      WHEN "weekday" = 3
      THEN 64800
      WHEN "weekday" = 4
      THEN 64800
      WHEN "weekday" = 5
      THEN 64800
      ELSE 0
    END AS "close_2",
    CASE
      WHEN "weekday" = 1
      THEN 28800
      WHEN "weekday" = 2
      THEN 28800
      WHEN "weekday" = 3
      THEN 28800
      WHEN "weekday" = 4
      THEN 28800
      WHEN "weekday" = 5
      THEN 28800
      WHEN "weekday" = 6
      THEN 21600
      ELSE 0
    END AS "open_seconds"
  FROM (
    SELECT
      "day",
      CASE
        WHEN "day" IN (
          CAST('2024-10-01' AS DATE),
          CAST('2024-10-02' AS DATE),
          CAST('2024-10-03' AS DATE),
          CAST('2024-10-04' AS DATE),
          CAST('2024-10-05' AS DATE),
          CAST('2024-10-07' AS DATE)
        )
        THEN 0
        WHEN "day" IN (CAST('2024-10-12' AS DATE))
        THEN 1
        ELSE CAST(EXTRACT(ISODOW FROM "day") AS INT)
      END AS "weekday"
    FROM (
      SELECT
        CAST(GENERATE_SERIES(
          CAST(CAST('2000-01-01' AS DATE) AS TIMESTAMP),
          CAST(CAST('2049-12-31' AS DATE) AS TIMESTAMP),
          INTERVAL '1 DAY'
        ) AS DATE) AS "day"
    ) AS "days"
  ) AS "typed"
) AS "ranged"
