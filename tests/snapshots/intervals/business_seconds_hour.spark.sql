-- test: test_query_sql[business_seconds_hour-spark]
-- Generated query SQL of the interval node kinds.
WITH `tickets__created_ts__src` AS (
  /* read rows: src.tickets (hour is finer than the day that indicator tables start at) */
  /* join calendars: ind._calendar_default on date(first_reply_ts), ind._calendar_default on date(created_ts) */
  /* filter: created_ts is not null */
  /* aggregate tickets__created_ts__src: replied_within_4h, reply_business_seconds by hour (from rows) */
  SELECT
    DATE_TRUNC('HOUR', `m`.`created_ts`) AS `hour`,
    COUNT(
      CASE
        WHEN CASE
          WHEN `m`.first_reply_ts > `m`.created_ts
          THEN (
            `cal_default_09b87d4acc`.`open_before` + CASE
              WHEN `m`.`cal_default_09b87d4acc_at` >= `cal_default_09b87d4acc`.`close_1`
              THEN (
                `cal_default_09b87d4acc`.`close_1` - `cal_default_09b87d4acc`.`open_1`
              )
              WHEN `m`.`cal_default_09b87d4acc_at` > `cal_default_09b87d4acc`.`open_1`
              THEN (
                `m`.`cal_default_09b87d4acc_at` - `cal_default_09b87d4acc`.`open_1`
              )
              ELSE 0
            END + CASE
              WHEN `m`.`cal_default_09b87d4acc_at` >= `cal_default_09b87d4acc`.`close_2`
              THEN (
                `cal_default_09b87d4acc`.`close_2` - `cal_default_09b87d4acc`.`open_2`
              )
              WHEN `m`.`cal_default_09b87d4acc_at` > `cal_default_09b87d4acc`.`open_2`
              THEN (
                `m`.`cal_default_09b87d4acc_at` - `cal_default_09b87d4acc`.`open_2`
              )
              ELSE 0
            END
          ) - (
            `cal_default_19c03081c5`.`open_before` + CASE
              WHEN `m`.`cal_default_19c03081c5_at` >= `cal_default_19c03081c5`.`close_1`
              THEN (
                `cal_default_19c03081c5`.`close_1` - `cal_default_19c03081c5`.`open_1`
              )
              WHEN `m`.`cal_default_19c03081c5_at` > `cal_default_19c03081c5`.`open_1`
              THEN (
                `m`.`cal_default_19c03081c5_at` - `cal_default_19c03081c5`.`open_1`
              )
              ELSE 0
            END + CASE
              WHEN `m`.`cal_default_19c03081c5_at` >= `cal_default_19c03081c5`.`close_2`
              THEN (
                `cal_default_19c03081c5`.`close_2` - `cal_default_19c03081c5`.`open_2`
              )
              WHEN `m`.`cal_default_19c03081c5_at` > `cal_default_19c03081c5`.`open_2`
              THEN (
                `m`.`cal_default_19c03081c5_at` - `cal_default_19c03081c5`.`open_2`
              )
              ELSE 0
            END
          )
          WHEN `m`.first_reply_ts <= `m`.created_ts
          THEN 0
        END <= 4 * 3600
        THEN 1
      END
    ) AS `replied_within_4h__count`,
    SUM(
      CASE
        WHEN `m`.first_reply_ts > `m`.created_ts
        THEN (
          `cal_default_09b87d4acc`.`open_before` + CASE
            WHEN `m`.`cal_default_09b87d4acc_at` >= `cal_default_09b87d4acc`.`close_1`
            THEN (
              `cal_default_09b87d4acc`.`close_1` - `cal_default_09b87d4acc`.`open_1`
            )
            WHEN `m`.`cal_default_09b87d4acc_at` > `cal_default_09b87d4acc`.`open_1`
            THEN (
              `m`.`cal_default_09b87d4acc_at` - `cal_default_09b87d4acc`.`open_1`
            )
            ELSE 0
          END + CASE
            WHEN `m`.`cal_default_09b87d4acc_at` >= `cal_default_09b87d4acc`.`close_2`
            THEN (
              `cal_default_09b87d4acc`.`close_2` - `cal_default_09b87d4acc`.`open_2`
            )
            WHEN `m`.`cal_default_09b87d4acc_at` > `cal_default_09b87d4acc`.`open_2`
            THEN (
              `m`.`cal_default_09b87d4acc_at` - `cal_default_09b87d4acc`.`open_2`
            )
            ELSE 0
          END
        ) - (
          `cal_default_19c03081c5`.`open_before` + CASE
            WHEN `m`.`cal_default_19c03081c5_at` >= `cal_default_19c03081c5`.`close_1`
            THEN (
              `cal_default_19c03081c5`.`close_1` - `cal_default_19c03081c5`.`open_1`
            )
            WHEN `m`.`cal_default_19c03081c5_at` > `cal_default_19c03081c5`.`open_1`
            THEN (
              `m`.`cal_default_19c03081c5_at` - `cal_default_19c03081c5`.`open_1`
            )
            ELSE 0
          END + CASE
            WHEN `m`.`cal_default_19c03081c5_at` >= `cal_default_19c03081c5`.`close_2`
            THEN (
              `cal_default_19c03081c5`.`close_2` - `cal_default_19c03081c5`.`open_2`
            )
            WHEN `m`.`cal_default_19c03081c5_at` > `cal_default_19c03081c5`.`open_2`
            THEN (
              `m`.`cal_default_19c03081c5_at` - `cal_default_19c03081c5`.`open_2`
            )
            ELSE 0
          END
        )
        WHEN `m`.first_reply_ts <= `m`.created_ts
        THEN 0
      END
    ) AS `reply_business_seconds__sum`
  FROM (
    SELECT
      `m`.*,
      DATEDIFF(
        SECOND,
        DATE_TRUNC('SECOND', CAST('2000-01-01 00:00:00' AS TIMESTAMP)),
        DATE_TRUNC('SECOND', `m`.first_reply_ts)
      ) AS `cal_default_09b87d4acc_at`,
      DATEDIFF(
        SECOND,
        DATE_TRUNC('SECOND', CAST('2000-01-01 00:00:00' AS TIMESTAMP)),
        DATE_TRUNC('SECOND', `m`.created_ts)
      ) AS `cal_default_19c03081c5_at`
    FROM `src`.`tickets` AS `m`
  ) AS `m`
  LEFT JOIN `ind`.`_calendar_default` AS `cal_default_09b87d4acc`
    ON `cal_default_09b87d4acc`.`day` = CAST(`m`.first_reply_ts AS DATE)
  LEFT JOIN `ind`.`_calendar_default` AS `cal_default_19c03081c5`
    ON `cal_default_19c03081c5`.`day` = CAST(`m`.created_ts AS DATE)
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
