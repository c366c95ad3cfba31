-- test: test_window_sql[rolling_distinct_from_rows-spark]
-- Generated SQL of a window node kind, per dialect.
WITH `frame__rolling_7_days` AS (
  /* period spine: every day from 2024-03-01 to 2024-03-31, with its first and last day */
  /* rolling: the 7 days ending on the last day */
  SELECT
    `day` AS `day`,
    CAST(`day` - INTERVAL '6' DAY AS DATE) AS `frame_first`,
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
), `calls__offered_ts__src__rolling_7_days` AS (
  /* read rows: src.calls (callers (count_distinct): recomputed from rows, never added up) */
  /* filter: offered_ts is not null */
  /* window aggregate calls__offered_ts__src__rolling_7_days: callers over rolling 7 days by day (from rows) */
  SELECT
    `f`.`day` AS `day`,
    COUNT(DISTINCT `m`.customer_id) AS `callers__value__rolling_7_days`
  FROM `src`.`calls` AS `m`
  JOIN `frame__rolling_7_days` AS `f`
    ON `m`.`offered_ts` >= `f`.`frame_first`
    AND `m`.`offered_ts` < CAST(`f`.`frame_last` + INTERVAL '1' DAY AS DATE)
  WHERE
    NOT `m`.`offered_ts` IS NULL
  GROUP BY
    `f`.`day`
)
/* one aggregate: calls__offered_ts__src__rolling_7_days */
/* compute metrics: rolling_callers_7d */
SELECT
  `calls__offered_ts__src__rolling_7_days`.`day` AS `day`,
  (
    (
      COALESCE(`calls__offered_ts__src__rolling_7_days`.`callers__value__rolling_7_days`, 0)
    )
  ) AS `rolling_callers_7d`
FROM `calls__offered_ts__src__rolling_7_days`
ORDER BY
  `calls__offered_ts__src__rolling_7_days`.`day` NULLS LAST
