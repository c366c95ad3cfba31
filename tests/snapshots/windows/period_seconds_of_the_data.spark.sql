-- test: test_window_sql[period_seconds_of_the_data-spark]
-- Generated SQL of a window node kind, per dialect.
WITH `calls__offered_ts__ind` AS (
  /* read indicator table: ind.calls_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: offered_calls by everything (re-aggregated partials) */
  SELECT
    SUM(`m`.`offered_calls__count`) AS `offered_calls__count`
  FROM `ind`.`calls_day` AS `m`
  WHERE
    NOT `m`.`offered_ts_day` IS NULL
), `seconds` AS (
  /* period spine: the whole range from the first day with data to the last day with data, with its first and last day */
  /* period seconds: days from the first to the last day x 86400 */
  SELECT
    (
      DATEDIFF(DAY, `lo`, `hi`) + 1
    ) * 86400 AS `frame_seconds`
  FROM (
    SELECT
      MIN(`lo`) AS `lo`,
      MAX(`hi`) AS `hi`
    FROM (
      SELECT
        MIN(CAST(`offered_ts_day` AS DATE)) AS `lo`,
        MAX(CAST(`offered_ts_day` AS DATE)) AS `hi`
      FROM `ind`.`calls_day`
    ) AS `data`
  ) AS `bounds`
)
/* one aggregate: calls__offered_ts__ind */
/* compute metrics: calls_per_day */
SELECT
  CAST((
    COALESCE(`calls__offered_ts__ind`.`offered_calls__count`, 0)
  ) AS DOUBLE) / CAST(NULLIF(`seconds`.`frame_seconds`, 0) AS DOUBLE) * 86400 AS `calls_per_day`
FROM `calls__offered_ts__ind`
CROSS JOIN `seconds`
