-- test: test_state_sql_per_dialect[roster_and_calls_by_team_day-spark]
-- Query SQL of the active, snapshot and time-valid join groups per dialect.
WITH `calls__offered_ts__ind` AS (
  /* read indicator table: ind.calls_day (6 dimensions by day: the only table that holds these metrics, dimensions and grain) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: legs by day, team (re-aggregated partials) */
  SELECT
    CAST(`m`.`offered_ts_day` AS DATE) AS `day`,
    `m`.`agent_history__team` AS `team`,
    SUM(`m`.`legs__count`) AS `legs__count`
  FROM `ind`.`calls_day` AS `m`
  WHERE
    NOT `m`.`offered_ts_day` IS NULL
  GROUP BY
    CAST(`m`.`offered_ts_day` AS DATE),
    `m`.`agent_history__team`
), `agent_history__valid_from__active__periods` AS (
  SELECT
    `__period`,
    CAST(`__period` + INTERVAL '1' DAY AS TIMESTAMP) AS `__end`
  FROM (
    SELECT
      EXPLODE(
        SEQUENCE(CAST(`bounds`.`lo` AS DATE), CAST(`bounds`.`hi` AS DATE), INTERVAL '1' DAY)
      ) AS `__period`
    FROM (
      SELECT
        CAST(MIN(`offered_ts`) AS DATE) AS lo,
        CAST(MAX(`offered_ts`) AS DATE) AS hi
      FROM `src`.`calls`
      WHERE
        NOT `offered_ts` IS NULL
    ) AS `bounds`
  ) AS `starts`
), `agent_history__valid_from__active__rows` AS (
  /* read rows: src.agent_history (rows open at each period's end) */
  /* filter: valid_from is not null */
  SELECT
    `p`.`__period` AS `day`,
    `m`.`team` AS `team`,
    COUNT(DISTINCT `m`.agent_id) AS `agents_on_roster__value`
  FROM `src`.`agent_history` AS `m`
  INNER JOIN `agent_history__valid_from__active__periods` AS `p`
    ON `m`.`valid_from` <= `p`.`__end`
    AND (
      `m`.`valid_to` IS NULL OR `m`.`valid_to` > `p`.`__end`
    )
  WHERE
    NOT `m`.`valid_from` IS NULL
  GROUP BY
    `p`.`__period`,
    `m`.`team`
), `agent_history__valid_from__active` AS (
  /* active agent_history__valid_from__active: agents_on_roster over the rows with valid_from <= t < valid_to, at each day's end, the first day .. the last day of src.calls.offered_ts */
  SELECT
    `p`.`__period` AS `day`,
    `combos`.`team` AS `team`,
    `rows`.`agents_on_roster__value` AS `agents_on_roster__value`
  FROM `agent_history__valid_from__active__periods` AS `p`
  CROSS JOIN (
    SELECT DISTINCT
      `team`
    FROM `agent_history__valid_from__active__rows`
  ) AS `combos`
  LEFT JOIN `agent_history__valid_from__active__rows` AS `rows`
    ON `rows`.`day` = `p`.`__period`
    AND `rows`.`team` IS NOT DISTINCT FROM `combos`.`team`
), `keys` AS (
  SELECT
    `day`,
    `team`
  FROM `calls__offered_ts__ind`
  UNION
  SELECT
    `day`,
    `team`
  FROM `agent_history__valid_from__active`
)
/* join aggregates on day, team */
/* compute metrics: agents_on_roster, legs */
SELECT
  `keys`.`day` AS `day`,
  `keys`.`team` AS `team`,
  COALESCE(`agent_history__valid_from__active`.`agents_on_roster__value`, 0) AS `agents_on_roster`,
  COALESCE(`calls__offered_ts__ind`.`legs__count`, 0) AS `legs`
FROM `keys`
LEFT JOIN `calls__offered_ts__ind`
  ON `keys`.`day` IS NOT DISTINCT FROM `calls__offered_ts__ind`.`day`
  AND `keys`.`team` IS NOT DISTINCT FROM `calls__offered_ts__ind`.`team`
LEFT JOIN `agent_history__valid_from__active`
  ON `keys`.`day` IS NOT DISTINCT FROM `agent_history__valid_from__active`.`day`
  AND `keys`.`team` IS NOT DISTINCT FROM `agent_history__valid_from__active`.`team`
ORDER BY
  `keys`.`day` NULLS LAST,
  `keys`.`team` NULLS LAST
