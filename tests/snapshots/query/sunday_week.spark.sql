-- test: test_sunday_week_sql[spark]
-- Sunday weeks: the Monday week of the next day, a day back.
WITH `calls__offered_ts__ind` AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: offered_calls by week (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('WEEK', CAST(`m`.`offered_ts_day` AS DATE) + INTERVAL '1' DAY) - INTERVAL '1' DAY AS DATE) AS `week`,
    SUM(`m`.`offered_calls__count`) AS `offered_calls__count`
  FROM `ind`.`calls_by_queue_team_day` AS `m`
  WHERE
    NOT `m`.`offered_ts_day` IS NULL
  GROUP BY
    CAST(DATE_TRUNC('WEEK', CAST(`m`.`offered_ts_day` AS DATE) + INTERVAL '1' DAY) - INTERVAL '1' DAY AS DATE)
)
/* one aggregate: calls__offered_ts__ind */
/* compute metrics: offered_calls */
SELECT
  `calls__offered_ts__ind`.`week` AS `week`,
  COALESCE(`calls__offered_ts__ind`.`offered_calls__count`, 0) AS `offered_calls`
FROM `calls__offered_ts__ind`
ORDER BY
  `calls__offered_ts__ind`.`week` NULLS LAST
