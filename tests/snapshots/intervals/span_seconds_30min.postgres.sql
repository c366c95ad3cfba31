-- test: test_query_sql[span_seconds_30min-postgres]
-- Generated query SQL of the interval node kinds.
WITH "logins_login_ts_logout_ts_15min__ind" AS (
  /* read indicator table: ind.logins_login_ts_logout_ts_15min (span seconds are summed from quarter hours, at every grain) */
  /* filter: login_ts_15min is not null */
  /* aggregate logins_login_ts_logout_ts_15min__ind: logged_in_seconds by 30min (re-aggregated partials) */
  SELECT
    DATE_TRUNC('HOUR', "m"."login_ts_15min") + CAST(FLOOR(
      CAST(CAST(EXTRACT(MINUTE FROM "m"."login_ts_15min") AS INT) AS DOUBLE PRECISION) / 30
    ) * 30 AS INT) * INTERVAL '1 MINUTE' AS "30min",
    SUM("m"."logged_in_seconds__sum") AS "logged_in_seconds__sum"
  FROM "ind"."logins_login_ts_logout_ts_15min" AS "m"
  WHERE
    NOT "m"."login_ts_15min" IS NULL
  GROUP BY
    DATE_TRUNC('HOUR', "m"."login_ts_15min") + CAST(FLOOR(
      CAST(CAST(EXTRACT(MINUTE FROM "m"."login_ts_15min") AS INT) AS DOUBLE PRECISION) / 30
    ) * 30 AS INT) * INTERVAL '1 MINUTE'
)
/* one aggregate: logins_login_ts_logout_ts_15min__ind */
/* compute metrics: logged_in_seconds, agents_logged_in */
SELECT
  "logins_login_ts_logout_ts_15min__ind"."30min" AS "30min",
  COALESCE("logins_login_ts_logout_ts_15min__ind"."logged_in_seconds__sum", 0) AS "logged_in_seconds",
  CAST((
    COALESCE("logins_login_ts_logout_ts_15min__ind"."logged_in_seconds__sum", 0)
  ) AS DOUBLE PRECISION) / CAST(NULLIF(1800, 0) AS DOUBLE PRECISION) AS "agents_logged_in"
FROM "logins_login_ts_logout_ts_15min__ind"
ORDER BY
  "logins_login_ts_logout_ts_15min__ind"."30min"
