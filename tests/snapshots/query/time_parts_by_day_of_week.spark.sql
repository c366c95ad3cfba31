-- test: test_query_sql_per_dialect[time_parts_by_day_of_week-spark]
-- Generated query SQL for PostgreSQL and Spark, after the dialect rewrites.
WITH `calls__offered_ts__src` AS (
  /* read rows: src.calls (no indicator table of calls by offered_ts stores hour_of_day) */
  /* filter: offered_ts is not null */
  /* aggregate calls__offered_ts__src: handled_legs by day_of_week, hour_of_day (from rows) */
  SELECT
    EXTRACT(DAYOFWEEK_ISO FROM `m`.`offered_ts`) AS `day_of_week`,
    EXTRACT(HOUR FROM `m`.`offered_ts`) AS `hour_of_day`,
    COUNT(CASE WHEN NOT `m`.answered_ts IS NULL THEN 1 END) AS `handled_legs__count`
  FROM `src`.`calls` AS `m`
  WHERE
    NOT `m`.`offered_ts` IS NULL
  GROUP BY
    EXTRACT(DAYOFWEEK_ISO FROM `m`.`offered_ts`),
    EXTRACT(HOUR FROM `m`.`offered_ts`)
)
/* one aggregate: calls__offered_ts__src */
/* compute metrics: handled_legs */
SELECT
  `calls__offered_ts__src`.`day_of_week` AS `day_of_week`,
  `calls__offered_ts__src`.`hour_of_day` AS `hour_of_day`,
  COALESCE(`calls__offered_ts__src`.`handled_legs__count`, 0) AS `handled_legs`
FROM `calls__offered_ts__src`
ORDER BY
  `calls__offered_ts__src`.`day_of_week` NULLS LAST,
  `calls__offered_ts__src`.`hour_of_day` NULLS LAST
