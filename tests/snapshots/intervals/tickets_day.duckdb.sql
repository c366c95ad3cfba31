-- test: test_day_table_with_business_seconds_sql[duckdb]
-- The tickets' day table: business_seconds() of column ends from the open seconds the
/* read rows: src.tickets (the rows behind tickets_day) */
/* join calendars: src._calendar_default on date(COALESCE(first_reply_ts, resolved_ts)) */
/* aggregate tickets_day: replied_within_4h, reply_business_seconds, reply_cn_seconds, resolve_business_seconds, tickets_created, touch_business_seconds by created_ts_day, ticket_id (from rows) */
SELECT
  CAST("m"."created_ts" AS DATE) AS "created_ts_day",
  "m"."ticket_id" AS "ticket_id",
  COUNT(
    CASE
      WHEN CASE
        WHEN "m".first_reply_ts > "m".created_ts
        THEN "m"."_cal_default_09b87d4acc_open" - "m"."_cal_default_19c03081c5_open"
        WHEN "m".first_reply_ts <= "m".created_ts
        THEN 0
      END <= 4 * 3600
      THEN 1
    END
  ) AS "replied_within_4h__count",
  SUM(
    CASE
      WHEN "m".first_reply_ts > "m".created_ts
      THEN "m"."_cal_default_09b87d4acc_open" - "m"."_cal_default_19c03081c5_open"
      WHEN "m".first_reply_ts <= "m".created_ts
      THEN 0
    END
  ) AS "reply_business_seconds__sum",
  SUM(
    CASE
      WHEN "m".first_reply_ts > "m".created_ts
      THEN "m"."_cal_cn_hours_7de073f45a_open" - "m"."_cal_cn_hours_14c2d51f0d_open"
      WHEN "m".first_reply_ts <= "m".created_ts
      THEN 0
    END
  ) AS "reply_cn_seconds__sum",
  SUM(
    CASE
      WHEN "m".resolved_ts > "m".created_ts
      THEN "m"."_cal_default_dde0500647_open" - "m"."_cal_default_19c03081c5_open"
      WHEN "m".resolved_ts <= "m".created_ts
      THEN 0
    END
  ) AS "resolve_business_seconds__sum",
  COUNT(*) AS "tickets_created__count",
  SUM(
    CASE
      WHEN COALESCE("m".first_reply_ts, "m".resolved_ts) > "m".created_ts
      THEN (
        "cal_default_2bc285e66e"."open_before" + CASE
          WHEN "m"."cal_default_2bc285e66e_at" >= "cal_default_2bc285e66e"."close_1"
          THEN (
            "cal_default_2bc285e66e"."close_1" - "cal_default_2bc285e66e"."open_1"
          )
          WHEN "m"."cal_default_2bc285e66e_at" > "cal_default_2bc285e66e"."open_1"
          THEN (
            "m"."cal_default_2bc285e66e_at" - "cal_default_2bc285e66e"."open_1"
          )
          ELSE 0
        END + CASE
          WHEN "m"."cal_default_2bc285e66e_at" >= "cal_default_2bc285e66e"."close_2"
          THEN (
            "cal_default_2bc285e66e"."close_2" - "cal_default_2bc285e66e"."open_2"
          )
          WHEN "m"."cal_default_2bc285e66e_at" > "cal_default_2bc285e66e"."open_2"
          THEN (
            "m"."cal_default_2bc285e66e_at" - "cal_default_2bc285e66e"."open_2"
          )
          ELSE 0
        END
      ) - "m"."_cal_default_19c03081c5_open"
      WHEN COALESCE("m".first_reply_ts, "m".resolved_ts) <= "m".created_ts
      THEN 0
    END
  ) AS "touch_business_seconds__sum"
FROM (
  SELECT
    "m".*,
    DATE_DIFF(
      'SECOND',
      CAST('2000-01-01 00:00:00' AS TIMESTAMP),
      COALESCE("m".first_reply_ts, "m".resolved_ts)
    ) AS "cal_default_2bc285e66e_at"
  FROM "src"."tickets" AS "m"
) AS "m"
LEFT JOIN "src"."_calendar_default" AS "cal_default_2bc285e66e"
  ON "cal_default_2bc285e66e"."day" = CAST(COALESCE("m".first_reply_ts, "m".resolved_ts) AS DATE)
GROUP BY
  CAST("m"."created_ts" AS DATE),
  "m"."ticket_id"
