-- test: test_rollup_table_sql[spark]
-- A declared rollup: ReadIndicator of the day table, JoinDimensions to agents, Aggregate.
/* read indicator table: ind.calls_day (the rollup calls_by_queue_team_day re-aggregates the day table) */
/* join on keys: agent_id -> src.agents */
/* aggregate calls_by_queue_team_day: abandoned_calls, avg_handle, handle_seconds, handled_legs, offered_calls by offered_ts_day, queue, agents__team (re-aggregated partials) */
SELECT
  CAST(`m`.`offered_ts_day` AS DATE) AS `offered_ts_day`,
  `m`.`queue` AS `queue`,
  `m__agents`.`team` AS `agents__team`,
  SUM(`m`.`abandoned_calls__count`) AS `abandoned_calls__count`,
  SUM(`m`.`avg_handle__sum`) AS `avg_handle__sum`,
  SUM(`m`.`avg_handle__count`) AS `avg_handle__count`,
  SUM(`m`.`handle_seconds__sum`) AS `handle_seconds__sum`,
  SUM(`m`.`handled_legs__count`) AS `handled_legs__count`,
  SUM(`m`.`offered_calls__count`) AS `offered_calls__count`
FROM `ind`.`calls_day` AS `m`
LEFT JOIN `src`.`agents` AS `m__agents`
  ON `m`.`agent_id` = `m__agents`.`agent_id`
GROUP BY
  CAST(`m`.`offered_ts_day` AS DATE),
  `m`.`queue`,
  `m__agents`.`team`
