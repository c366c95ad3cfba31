-- test: test_span_table_sql[spark]
-- The quarter-hour table of the logins' span seconds.
/* split spans: [login_ts, logout_ts) into the 15min intervals it overlaps */
/* aggregate logins_login_ts_logout_ts_15min: a1_logged_in_seconds, logged_in_seconds by login_ts_15min, agent_id (from rows) */
SELECT
  `m`.`__interval` AS `login_ts_15min`,
  `m`.`agent_id` AS `agent_id`,
  SUM(
    CASE
      WHEN `m`.agent_id = 'a1'
      THEN CASE
        WHEN `m`.__from <= `m`.__interval
        AND `m`.__until >= `m`.__interval + INTERVAL '15' MINUTE
        THEN 900
        ELSE DATEDIFF(
          SECOND,
          DATE_TRUNC('SECOND', GREATEST(`m`.__from, `m`.__interval)),
          DATE_TRUNC('SECOND', LEAST(`m`.__until, `m`.__interval + INTERVAL '15' MINUTE))
        )
      END
    END
  ) AS `a1_logged_in_seconds__sum`,
  SUM(
    CASE
      WHEN `m`.__from <= `m`.__interval
      AND `m`.__until >= `m`.__interval + INTERVAL '15' MINUTE
      THEN 900
      ELSE DATEDIFF(
        SECOND,
        DATE_TRUNC('SECOND', GREATEST(`m`.__from, `m`.__interval)),
        DATE_TRUNC('SECOND', LEAST(`m`.__until, `m`.__interval + INTERVAL '15' MINUTE))
      )
    END
  ) AS `logged_in_seconds__sum`
FROM (
  /* read rows: src.logins (the spans behind logins_login_ts_logout_ts_15min) */
  SELECT
    `m`.`agent_id` AS `agent_id`,
    `m`.`login_ts` AS `__from`,
    `m`.`logout_ts` AS `__until`,
    EXPLODE(
      SEQUENCE(
        DATE_TRUNC('HOUR', `m`.`login_ts`) + CAST(FLOOR(EXTRACT(MINUTE FROM `m`.`login_ts`) / 15) * 15 AS INT) * INTERVAL '1' MINUTE,
        `m`.`logout_ts`,
        INTERVAL '15' MINUTE
      )
    ) AS `__interval`
  FROM `src`.`logins` AS `m`
  WHERE
    `m`.`logout_ts` > `m`.`login_ts`
) AS `m`
WHERE
  `m`.`__interval` < `m`.`__until`
GROUP BY
  `m`.`__interval`,
  `m`.`agent_id`
