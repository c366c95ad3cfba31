-- test: test_query_sql_per_dialect[half_hour_with_where-spark]
-- Generated query SQL for PostgreSQL and Spark, after the dialect rewrites.
WITH `calls__offered_ts__src` AS (
  /* read rows: src.calls (30min is finer than the day that indicator tables start at) */
  /* filter: offered_ts is not null and queue = 'A' */
  /* aggregate calls__offered_ts__src: offered_calls by 30min (from rows) */
  SELECT
    DATE_TRUNC('HOUR', `m`.`offered_ts`) + CAST(FLOOR(EXTRACT(MINUTE FROM `m`.`offered_ts`) / 30) * 30 AS INT) * INTERVAL '1' MINUTE AS `30min`,
    COUNT(CASE WHEN `m`.leg_seq = 1 THEN 1 END) AS `offered_calls__count`
  FROM `src`.`calls` AS `m`
  WHERE
    NOT `m`.`offered_ts` IS NULL AND (
      `m`.`queue` = 'A'
    )
  GROUP BY
    DATE_TRUNC('HOUR', `m`.`offered_ts`) + CAST(FLOOR(EXTRACT(MINUTE FROM `m`.`offered_ts`) / 30) * 30 AS INT) * INTERVAL '1' MINUTE
)
/* one aggregate: calls__offered_ts__src */
/* compute metrics: offered_calls */
SELECT
  `calls__offered_ts__src`.`30min` AS `30min`,
  COALESCE(`calls__offered_ts__src`.`offered_calls__count`, 0) AS `offered_calls`
FROM `calls__offered_ts__src`
ORDER BY
  `calls__offered_ts__src`.`30min` NULLS LAST
