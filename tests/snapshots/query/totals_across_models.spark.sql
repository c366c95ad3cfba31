-- test: test_query_sql_per_dialect[totals_across_models-spark]
-- Generated query SQL for PostgreSQL and Spark, after the dialect rewrites.
WITH `calls__offered_ts__ind` AS (
  /* calls__offered_ts__ind: handled_legs by offered_ts from ind.calls_by_queue_team_day */
  SELECT
    SUM(`m`.`handled_legs__count`) AS `handled_legs__count`
  FROM `ind`.`calls_by_queue_team_day` AS `m`
  WHERE
    NOT `m`.`offered_ts_day` IS NULL
), `shifts__shift_date__ind` AS (
  /* shifts__shift_date__ind: staffed_hours by shift_date from ind.shifts_day */
  SELECT
    SUM(`m`.`staffed_hours__sum`) AS `staffed_hours__sum`
  FROM `ind`.`shifts_day` AS `m`
  WHERE
    NOT `m`.`shift_date_day` IS NULL
)
SELECT
  COALESCE(`calls__offered_ts__ind`.`handled_legs__count`, 0) AS `handled_legs`,
  `shifts__shift_date__ind`.`staffed_hours__sum` AS `staffed_hours`
FROM `calls__offered_ts__ind`
CROSS JOIN `shifts__shift_date__ind`
