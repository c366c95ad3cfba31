-- test: test_query_sql[business_seconds_expression_end-postgres]
-- Generated query SQL of the interval node kinds.
WITH "tickets__created_ts__src" AS (
  /* read rows: src.tickets (--no-indicators) */
  /* join calendars: src._calendar_default on date(COALESCE(first_reply_ts, resolved_ts)) */
  /* filter: created_ts is not null */
  /* aggregate tickets__created_ts__src: touch_business_seconds by day (from rows) */
  SELECT
    CAST("m"."created_ts" AS DATE) AS "day",
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
      CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST(COALESCE("m".first_reply_ts, "m".resolved_ts) AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST(CAST('2000-01-01 00:00:00' AS TIMESTAMP) AS TIMESTAMP))) AS BIGINT) AS "cal_default_2bc285e66e_at"
    FROM "src"."tickets" AS "m"
  ) AS "m"
  LEFT JOIN "src"."_calendar_default" AS "cal_default_2bc285e66e"
    ON "cal_default_2bc285e66e"."day" = CAST(COALESCE("m".first_reply_ts, "m".resolved_ts) AS DATE)
  WHERE
    NOT "m"."created_ts" IS NULL
  GROUP BY
    CAST("m"."created_ts" AS DATE)
)
/* one aggregate: tickets__created_ts__src */
/* compute metrics: touch_business_seconds */
SELECT
  "tickets__created_ts__src"."day" AS "day",
  "tickets__created_ts__src"."touch_business_seconds__sum" AS "touch_business_seconds"
FROM "tickets__created_ts__src"
ORDER BY
  "tickets__created_ts__src"."day"
