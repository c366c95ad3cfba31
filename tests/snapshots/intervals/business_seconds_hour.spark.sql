-- test: test_query_sql[business_seconds_hour-spark]
-- Generated query SQL of the interval node kinds.
WITH `tickets__created_ts__src` AS (
  /* read rows: src.tickets (hour is finer than the day that indicator tables start at) */
  /* filter: created_ts is not null */
  /* aggregate tickets__created_ts__src: replied_within_4h, reply_business_seconds by hour (from rows) */
  SELECT
    DATE_TRUNC('HOUR', `m`.`created_ts`) AS `hour`,
    COUNT(
      CASE
        WHEN CASE
          WHEN `m`.first_reply_ts > `m`.created_ts
          THEN `m`.`_cal_default_09b87d4acc_open` - `m`.`_cal_default_19c03081c5_open`
          WHEN `m`.first_reply_ts <= `m`.created_ts
          THEN 0
        END <= 4 * 3600
        THEN 1
      END
    ) AS `replied_within_4h__count`,
    SUM(
      CASE
        WHEN `m`.first_reply_ts > `m`.created_ts
        THEN `m`.`_cal_default_09b87d4acc_open` - `m`.`_cal_default_19c03081c5_open`
        WHEN `m`.first_reply_ts <= `m`.created_ts
        THEN 0
      END
    ) AS `reply_business_seconds__sum`
  FROM `src`.`tickets` AS `m`
  WHERE
    NOT `m`.`created_ts` IS NULL
  GROUP BY
    DATE_TRUNC('HOUR', `m`.`created_ts`)
)
/* one aggregate: tickets__created_ts__src */
/* compute metrics: reply_business_seconds, replied_within_4h */
SELECT
  `tickets__created_ts__src`.`hour` AS `hour`,
  `tickets__created_ts__src`.`reply_business_seconds__sum` AS `reply_business_seconds`,
  COALESCE(`tickets__created_ts__src`.`replied_within_4h__count`, 0) AS `replied_within_4h`
FROM `tickets__created_ts__src`
ORDER BY
  `tickets__created_ts__src`.`hour` NULLS LAST
