-- test: test_day_table_with_business_seconds_sql[duckdb]
-- The tickets' day table: business_seconds() over two calendar joins per call.
/* read rows: src.tickets (the rows behind tickets_day) */
/* join calendars: ind._calendar_cn_hours on date(created_ts), ind._calendar_cn_hours on date(first_reply_ts), ind._calendar_default on date(first_reply_ts), ind._calendar_default on date(created_ts), ind._calendar_default on date(resolved_ts) */
/* aggregate tickets_day: replied_within_4h, reply_business_seconds, reply_cn_seconds, resolve_business_seconds, tickets_created by created_ts_day, ticket_id (from rows) */
SELECT
  CAST("m"."created_ts" AS DATE) AS "created_ts_day",
  "m"."ticket_id" AS "ticket_id",
  COUNT(
    CASE
      WHEN CASE
        WHEN "m".first_reply_ts > "m".created_ts
        THEN (
          "cal_default_09b87d4acc"."open_before" + CASE
            WHEN "m"."cal_default_09b87d4acc_at" >= "cal_default_09b87d4acc"."close_1"
            THEN (
              "cal_default_09b87d4acc"."close_1" - "cal_default_09b87d4acc"."open_1"
            )
            WHEN "m"."cal_default_09b87d4acc_at" > "cal_default_09b87d4acc"."open_1"
            THEN (
              "m"."cal_default_09b87d4acc_at" - "cal_default_09b87d4acc"."open_1"
            )
            ELSE 0
          END + CASE
            WHEN "m"."cal_default_09b87d4acc_at" >= "cal_default_09b87d4acc"."close_2"
            THEN (
              "cal_default_09b87d4acc"."close_2" - "cal_default_09b87d4acc"."open_2"
            )
            WHEN "m"."cal_default_09b87d4acc_at" > "cal_default_09b87d4acc"."open_2"
            THEN (
              "m"."cal_default_09b87d4acc_at" - "cal_default_09b87d4acc"."open_2"
            )
            ELSE 0
          END
        ) - (
          "cal_default_19c03081c5"."open_before" + CASE
            WHEN "m"."cal_default_19c03081c5_at" >= "cal_default_19c03081c5"."close_1"
            THEN (
              "cal_default_19c03081c5"."close_1" - "cal_default_19c03081c5"."open_1"
            )
            WHEN "m"."cal_default_19c03081c5_at" > "cal_default_19c03081c5"."open_1"
            THEN (
              "m"."cal_default_19c03081c5_at" - "cal_default_19c03081c5"."open_1"
            )
            ELSE 0
          END + CASE
            WHEN "m"."cal_default_19c03081c5_at" >= "cal_default_19c03081c5"."close_2"
            THEN (
              "cal_default_19c03081c5"."close_2" - "cal_default_19c03081c5"."open_2"
            )
            WHEN "m"."cal_default_19c03081c5_at" > "cal_default_19c03081c5"."open_2"
            THEN (
              "m"."cal_default_19c03081c5_at" - "cal_default_19c03081c5"."open_2"
            )
            ELSE 0
          END
        )
        WHEN "m".first_reply_ts <= "m".created_ts
        THEN 0
      END <= 4 * 3600
      THEN 1
    END
  ) AS "replied_within_4h__count",
  SUM(
    CASE
      WHEN "m".first_reply_ts > "m".created_ts
      THEN (
        "cal_default_09b87d4acc"."open_before" + CASE
          WHEN "m"."cal_default_09b87d4acc_at" >= "cal_default_09b87d4acc"."close_1"
          THEN (
            "cal_default_09b87d4acc"."close_1" - "cal_default_09b87d4acc"."open_1"
          )
          WHEN "m"."cal_default_09b87d4acc_at" > "cal_default_09b87d4acc"."open_1"
          THEN (
            "m"."cal_default_09b87d4acc_at" - "cal_default_09b87d4acc"."open_1"
          )
          ELSE 0
        END + CASE
          WHEN "m"."cal_default_09b87d4acc_at" >= "cal_default_09b87d4acc"."close_2"
          THEN (
            "cal_default_09b87d4acc"."close_2" - "cal_default_09b87d4acc"."open_2"
          )
          WHEN "m"."cal_default_09b87d4acc_at" > "cal_default_09b87d4acc"."open_2"
          THEN (
            "m"."cal_default_09b87d4acc_at" - "cal_default_09b87d4acc"."open_2"
          )
          ELSE 0
        END
      ) - (
        "cal_default_19c03081c5"."open_before" + CASE
          WHEN "m"."cal_default_19c03081c5_at" >= "cal_default_19c03081c5"."close_1"
          THEN (
            "cal_default_19c03081c5"."close_1" - "cal_default_19c03081c5"."open_1"
          )
          WHEN "m"."cal_default_19c03081c5_at" > "cal_default_19c03081c5"."open_1"
          THEN (
            "m"."cal_default_19c03081c5_at" - "cal_default_19c03081c5"."open_1"
          )
          ELSE 0
        END + CASE
          WHEN "m"."cal_default_19c03081c5_at" >= "cal_default_19c03081c5"."close_2"
          THEN (
            "cal_default_19c03081c5"."close_2" - "cal_default_19c03081c5"."open_2"
          )
          WHEN "m"."cal_default_19c03081c5_at" > "cal_default_19c03081c5"."open_2"
          THEN (
            "m"."cal_default_19c03081c5_at" - "cal_default_19c03081c5"."open_2"
          )
          ELSE 0
        END
      )
      WHEN "m".first_reply_ts <= "m".created_ts
      THEN 0
    END
  ) AS "reply_business_seconds__sum",
  SUM(
    CASE
      WHEN "m".first_reply_ts > "m".created_ts
      THEN (
        "cal_cn_hours_7de073f45a"."open_before" + CASE
          WHEN "m"."cal_cn_hours_7de073f45a_at" >= "cal_cn_hours_7de073f45a"."close_1"
          THEN (
            "cal_cn_hours_7de073f45a"."close_1" - "cal_cn_hours_7de073f45a"."open_1"
          )
          WHEN "m"."cal_cn_hours_7de073f45a_at" > "cal_cn_hours_7de073f45a"."open_1"
          THEN (
            "m"."cal_cn_hours_7de073f45a_at" - "cal_cn_hours_7de073f45a"."open_1"
          )
          ELSE 0
        END
      ) - (
        "cal_cn_hours_14c2d51f0d"."open_before" + CASE
          WHEN "m"."cal_cn_hours_14c2d51f0d_at" >= "cal_cn_hours_14c2d51f0d"."close_1"
          THEN (
            "cal_cn_hours_14c2d51f0d"."close_1" - "cal_cn_hours_14c2d51f0d"."open_1"
          )
          WHEN "m"."cal_cn_hours_14c2d51f0d_at" > "cal_cn_hours_14c2d51f0d"."open_1"
          THEN (
            "m"."cal_cn_hours_14c2d51f0d_at" - "cal_cn_hours_14c2d51f0d"."open_1"
          )
          ELSE 0
        END
      )
      WHEN "m".first_reply_ts <= "m".created_ts
      THEN 0
    END
  ) AS "reply_cn_seconds__sum",
  SUM(
    CASE
      WHEN "m".resolved_ts > "m".created_ts
      THEN (
        "cal_default_dde0500647"."open_before" + CASE
          WHEN "m"."cal_default_dde0500647_at" >= "cal_default_dde0500647"."close_1"
          THEN (
            "cal_default_dde0500647"."close_1" - "cal_default_dde0500647"."open_1"
          )
          WHEN "m"."cal_default_dde0500647_at" > "cal_default_dde0500647"."open_1"
          THEN (
            "m"."cal_default_dde0500647_at" - "cal_default_dde0500647"."open_1"
          )
          ELSE 0
        END + CASE
          WHEN "m"."cal_default_dde0500647_at" >= "cal_default_dde0500647"."close_2"
          THEN (
            "cal_default_dde0500647"."close_2" - "cal_default_dde0500647"."open_2"
          )
          WHEN "m"."cal_default_dde0500647_at" > "cal_default_dde0500647"."open_2"
          THEN (
            "m"."cal_default_dde0500647_at" - "cal_default_dde0500647"."open_2"
          )
          ELSE 0
        END
      ) - (
        "cal_default_19c03081c5"."open_before" + CASE
          WHEN "m"."cal_default_19c03081c5_at" >= "cal_default_19c03081c5"."close_1"
          THEN (
            "cal_default_19c03081c5"."close_1" - "cal_default_19c03081c5"."open_1"
          )
          WHEN "m"."cal_default_19c03081c5_at" > "cal_default_19c03081c5"."open_1"
          THEN (
            "m"."cal_default_19c03081c5_at" - "cal_default_19c03081c5"."open_1"
          )
          ELSE 0
        END + CASE
          WHEN "m"."cal_default_19c03081c5_at" >= "cal_default_19c03081c5"."close_2"
          THEN (
            "cal_default_19c03081c5"."close_2" - "cal_default_19c03081c5"."open_2"
          )
          WHEN "m"."cal_default_19c03081c5_at" > "cal_default_19c03081c5"."open_2"
          THEN (
            "m"."cal_default_19c03081c5_at" - "cal_default_19c03081c5"."open_2"
          )
          ELSE 0
        END
      )
      WHEN "m".resolved_ts <= "m".created_ts
      THEN 0
    END
  ) AS "resolve_business_seconds__sum",
  COUNT(*) AS "tickets_created__count"
FROM (
  SELECT
    "m".*,
    DATE_DIFF('SECOND', CAST('2000-01-01 00:00:00' AS TIMESTAMP), "m".created_ts) AS "cal_cn_hours_14c2d51f0d_at",
    DATE_DIFF('SECOND', CAST('2000-01-01 00:00:00' AS TIMESTAMP), "m".first_reply_ts) AS "cal_cn_hours_7de073f45a_at",
    DATE_DIFF('SECOND', CAST('2000-01-01 00:00:00' AS TIMESTAMP), "m".first_reply_ts) AS "cal_default_09b87d4acc_at",
    DATE_DIFF('SECOND', CAST('2000-01-01 00:00:00' AS TIMESTAMP), "m".created_ts) AS "cal_default_19c03081c5_at",
    DATE_DIFF('SECOND', CAST('2000-01-01 00:00:00' AS TIMESTAMP), "m".resolved_ts) AS "cal_default_dde0500647_at"
  FROM "src"."tickets" AS "m"
) AS "m"
LEFT JOIN "ind"."_calendar_cn_hours" AS "cal_cn_hours_14c2d51f0d"
  ON "cal_cn_hours_14c2d51f0d"."day" = CAST("m".created_ts AS DATE)
LEFT JOIN "ind"."_calendar_cn_hours" AS "cal_cn_hours_7de073f45a"
  ON "cal_cn_hours_7de073f45a"."day" = CAST("m".first_reply_ts AS DATE)
LEFT JOIN "ind"."_calendar_default" AS "cal_default_09b87d4acc"
  ON "cal_default_09b87d4acc"."day" = CAST("m".first_reply_ts AS DATE)
LEFT JOIN "ind"."_calendar_default" AS "cal_default_19c03081c5"
  ON "cal_default_19c03081c5"."day" = CAST("m".created_ts AS DATE)
LEFT JOIN "ind"."_calendar_default" AS "cal_default_dde0500647"
  ON "cal_default_dde0500647"."day" = CAST("m".resolved_ts AS DATE)
GROUP BY
  CAST("m"."created_ts" AS DATE),
  "m"."ticket_id"
