-- test: test_window_sql[to_date_month-spark]
-- Generated SQL of a window node kind, per dialect.
WITH `frame__month_to_date` AS (
  /* period spine: every day from 2024-03-01 to 2024-03-31, with its first and last day */
  /* to date: from the start of the month holding the last day */
  SELECT
    `day` AS `day`,
    CAST(DATE_TRUNC('MONTH', `day`) AS DATE) AS `frame_first`,
    `day` AS `frame_last`
  FROM (
    SELECT
      EXPLODE(SEQUENCE(CAST(`lo` AS DATE), CAST(`hi` AS DATE), INTERVAL '1' DAY)) AS `day`
    FROM (
      SELECT
        CAST('2024-03-01' AS DATE) AS `lo`,
        CAST('2024-03-31' AS DATE) AS `hi`
    ) AS `bounds`
  ) AS `periods`
), `calls__offered_ts__ind__month_to_date` AS (
  /* read indicator table: ind.calls_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* filter: offered_ts_day is not null */
  /* window aggregate calls__offered_ts__ind__month_to_date: offered_calls over month to date by day (re-aggregated day partials) */
  SELECT
    `f`.`day` AS `day`,
    SUM(`m`.`offered_calls__count`) AS `offered_calls__count__month_to_date`
  FROM `ind`.`calls_day` AS `m`
  JOIN `frame__month_to_date` AS `f`
    ON `m`.`offered_ts_day` >= `f`.`frame_first`
    AND `m`.`offered_ts_day` <= `f`.`frame_last`
  WHERE
    NOT `m`.`offered_ts_day` IS NULL
  GROUP BY
    `f`.`day`
)
/* one aggregate: calls__offered_ts__ind__month_to_date */
/* compute metrics: offered_mtd */
SELECT
  `calls__offered_ts__ind__month_to_date`.`day` AS `day`,
  (
    (
      COALESCE(`calls__offered_ts__ind__month_to_date`.`offered_calls__count__month_to_date`, 0)
    )
  ) AS `offered_mtd`
FROM `calls__offered_ts__ind__month_to_date`
ORDER BY
  `calls__offered_ts__ind__month_to_date`.`day` NULLS LAST
