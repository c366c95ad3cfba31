-- test: test_source_table_carrying_business_ends_sql[postgres]
-- src.tickets: the model's rows with the open seconds of each column end of its metrics'
SELECT
  "_mfl_rows".*,
  (
    "cal_cn_hours_14c2d51f0d"."open_before" + CASE
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".created_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) >= "cal_cn_hours_14c2d51f0d"."close_1"
      THEN (
        "cal_cn_hours_14c2d51f0d"."close_1" - "cal_cn_hours_14c2d51f0d"."open_1"
      )
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".created_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) > "cal_cn_hours_14c2d51f0d"."open_1"
      THEN (
        CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".created_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) - "cal_cn_hours_14c2d51f0d"."open_1"
      )
      ELSE 0
    END
  ) AS "_cal_cn_hours_14c2d51f0d_open",
  (
    "cal_cn_hours_7de073f45a"."open_before" + CASE
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".first_reply_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) >= "cal_cn_hours_7de073f45a"."close_1"
      THEN (
        "cal_cn_hours_7de073f45a"."close_1" - "cal_cn_hours_7de073f45a"."open_1"
      )
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".first_reply_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) > "cal_cn_hours_7de073f45a"."open_1"
      THEN (
        CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".first_reply_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) - "cal_cn_hours_7de073f45a"."open_1"
      )
      ELSE 0
    END
  ) AS "_cal_cn_hours_7de073f45a_open",
  (
    "cal_default_09b87d4acc"."open_before" + CASE
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".first_reply_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) >= "cal_default_09b87d4acc"."close_1"
      THEN (
        "cal_default_09b87d4acc"."close_1" - "cal_default_09b87d4acc"."open_1"
      )
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".first_reply_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) > "cal_default_09b87d4acc"."open_1"
      THEN (
        CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".first_reply_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) - "cal_default_09b87d4acc"."open_1"
      )
      ELSE 0
    END + CASE
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".first_reply_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) >= "cal_default_09b87d4acc"."close_2"
      THEN (
        "cal_default_09b87d4acc"."close_2" - "cal_default_09b87d4acc"."open_2"
      )
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".first_reply_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) > "cal_default_09b87d4acc"."open_2"
      THEN (
        CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".first_reply_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) - "cal_default_09b87d4acc"."open_2"
      )
      ELSE 0
    END
  ) AS "_cal_default_09b87d4acc_open",
  (
    "cal_default_19c03081c5"."open_before" + CASE
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".created_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) >= "cal_default_19c03081c5"."close_1"
      THEN (
        "cal_default_19c03081c5"."close_1" - "cal_default_19c03081c5"."open_1"
      )
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".created_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) > "cal_default_19c03081c5"."open_1"
      THEN (
        CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".created_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) - "cal_default_19c03081c5"."open_1"
      )
      ELSE 0
    END + CASE
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".created_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) >= "cal_default_19c03081c5"."close_2"
      THEN (
        "cal_default_19c03081c5"."close_2" - "cal_default_19c03081c5"."open_2"
      )
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".created_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) > "cal_default_19c03081c5"."open_2"
      THEN (
        CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".created_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) - "cal_default_19c03081c5"."open_2"
      )
      ELSE 0
    END
  ) AS "_cal_default_19c03081c5_open",
  (
    "cal_default_dde0500647"."open_before" + CASE
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".resolved_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) >= "cal_default_dde0500647"."close_1"
      THEN (
        "cal_default_dde0500647"."close_1" - "cal_default_dde0500647"."open_1"
      )
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".resolved_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) > "cal_default_dde0500647"."open_1"
      THEN (
        CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".resolved_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) - "cal_default_dde0500647"."open_1"
      )
      ELSE 0
    END + CASE
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".resolved_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) >= "cal_default_dde0500647"."close_2"
      THEN (
        "cal_default_dde0500647"."close_2" - "cal_default_dde0500647"."open_2"
      )
      WHEN CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".resolved_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) > "cal_default_dde0500647"."open_2"
      THEN (
        CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("_mfl_rows".resolved_ts AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) - "cal_default_dde0500647"."open_2"
      )
      ELSE 0
    END
  ) AS "_cal_default_dde0500647_open"
FROM (
  SELECT
    ticket_id,
    CAST(created_ts AS TIMESTAMP) AS created_ts,
    CAST(first_reply_ts AS TIMESTAMP) AS first_reply_ts,
    CAST(resolved_ts AS TIMESTAMP) AS resolved_ts
  FROM raw.tickets
) AS "_mfl_rows"
LEFT JOIN "src"."_calendar_cn_hours" AS "cal_cn_hours_14c2d51f0d"
  ON "cal_cn_hours_14c2d51f0d"."day" = CAST("_mfl_rows".created_ts AS DATE)
LEFT JOIN "src"."_calendar_cn_hours" AS "cal_cn_hours_7de073f45a"
  ON "cal_cn_hours_7de073f45a"."day" = CAST("_mfl_rows".first_reply_ts AS DATE)
LEFT JOIN "src"."_calendar_default" AS "cal_default_09b87d4acc"
  ON "cal_default_09b87d4acc"."day" = CAST("_mfl_rows".first_reply_ts AS DATE)
LEFT JOIN "src"."_calendar_default" AS "cal_default_19c03081c5"
  ON "cal_default_19c03081c5"."day" = CAST("_mfl_rows".created_ts AS DATE)
LEFT JOIN "src"."_calendar_default" AS "cal_default_dde0500647"
  ON "cal_default_dde0500647"."day" = CAST("_mfl_rows".resolved_ts AS DATE)
