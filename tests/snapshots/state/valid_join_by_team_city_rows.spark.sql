-- test: test_state_sql_per_dialect[valid_join_by_team_city_rows-spark]
-- Query SQL of the active, snapshot and time-valid join groups per dialect.
WITH `calls__offered_ts__src` AS (
  /* read rows: src.calls (median_handle (median): recomputed from rows, never added up) */
  /* join versions: agent_id -> src.agent_history valid at offered_ts, site_id -> src.sites */
  /* filter: offered_ts is not null */
  /* aggregate calls__offered_ts__src: handle_seconds, median_handle by team, city (from rows) */
  SELECT
    `m__agent_history`.`team` AS `team`,
    `m__agent_history__sites`.`city` AS `city`,
    SUM(`m`.handle_seconds) AS `handle_seconds__sum`,
    PERCENTILE(`m`.handle_seconds, 0.5) AS `median_handle__value`
  FROM `src`.`calls` AS `m`
  LEFT JOIN (
    SELECT
      *,
      COALESCE(`valid_to`, CAST('9999-12-31 23:59:59.999999' AS TIMESTAMP)) AS `_mfl_version_end`
    FROM `src`.`agent_history`
  ) AS `m__agent_history`
    ON `m`.`agent_id` = `m__agent_history`.`agent_id`
    AND `m__agent_history`.`valid_from` <= `m`.`offered_ts`
    AND `m__agent_history`.`_mfl_version_end` > `m`.`offered_ts`
  LEFT JOIN `src`.`sites` AS `m__agent_history__sites`
    ON `m__agent_history`.`site_id` = `m__agent_history__sites`.`site_id`
  WHERE
    NOT `m`.`offered_ts` IS NULL
  GROUP BY
    `m__agent_history`.`team`,
    `m__agent_history__sites`.`city`
)
/* one aggregate: calls__offered_ts__src */
/* compute metrics: handle_seconds, median_handle */
SELECT
  `calls__offered_ts__src`.`team` AS `team`,
  `calls__offered_ts__src`.`city` AS `city`,
  `calls__offered_ts__src`.`handle_seconds__sum` AS `handle_seconds`,
  `calls__offered_ts__src`.`median_handle__value` AS `median_handle`
FROM `calls__offered_ts__src`
ORDER BY
  `calls__offered_ts__src`.`team` NULLS LAST,
  `calls__offered_ts__src`.`city` NULLS LAST
