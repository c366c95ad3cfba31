-- test: test_state_sql_per_dialect[active_running_by_priority_day-spark]
-- Query SQL of the active, snapshot and time-valid join groups per dialect.
WITH `tickets__created_ts__active__periods` AS (
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
        CAST(MIN(`created_ts`) AS DATE) AS lo,
        CAST(MAX(`created_ts`) AS DATE) AS hi
      FROM `src`.`tickets`
      WHERE
        NOT `created_ts` IS NULL
    ) AS `bounds`
  ) AS `starts`
), `tickets__created_ts__active__changes` AS (
  SELECT
    `m`.`created_ts` AS `__at`,
    `m`.`priority` AS `priority`,
    1 AS `__rows`,
    1 AS `open_tickets__count`
  FROM `src`.`tickets` AS `m`
  WHERE
    NOT `m`.`created_ts` IS NULL AND NOT `m`.`created_ts` IS NULL
  /* read rows: src.tickets (rows open at each period's end) */
  /* filter: created_ts is not null */
  UNION ALL
  SELECT
    GREATEST(`m`.`created_ts`, `m`.`resolved_ts`) AS `__at`,
    `m`.`priority` AS `priority`,
    -1 AS `__rows`,
    -(
      1
    ) AS `open_tickets__count`
  FROM `src`.`tickets` AS `m`
  WHERE
    (
      NOT `m`.`created_ts` IS NULL AND NOT `m`.`created_ts` IS NULL
    )
    AND NOT `m`.`resolved_ts` IS NULL
), `tickets__created_ts__active__deltas` AS (
  SELECT
    GREATEST(
      CAST(CAST(`c`.`__at` AS TIMESTAMP) - INTERVAL '1' MICROSECOND AS DATE),
      `b`.`first_period`
    ) AS `__period`,
    `c`.`priority` AS `priority`,
    SUM(`c`.`__rows`) AS `__rows`,
    SUM(`c`.`open_tickets__count`) AS `open_tickets__count`
  FROM `tickets__created_ts__active__changes` AS `c`
  CROSS JOIN (
    SELECT
      MIN(`__period`) AS first_period,
      MAX(`__period`) AS last_period
    FROM `tickets__created_ts__active__periods`
  ) AS `b`
  WHERE
    CAST(CAST(`c`.`__at` AS TIMESTAMP) - INTERVAL '1' MICROSECOND AS DATE) <= `b`.`last_period`
  GROUP BY
    GREATEST(
      CAST(CAST(`c`.`__at` AS TIMESTAMP) - INTERVAL '1' MICROSECOND AS DATE),
      `b`.`first_period`
    ),
    `c`.`priority`
), `tickets__created_ts__active` AS (
  /* running total tickets__created_ts__active: open_tickets, rows opened at created_ts minus closed at resolved_ts, at each day's end, the first day .. the last day of src.tickets.created_ts */
  SELECT
    `t`.`day` AS `day`,
    `t`.`priority` AS `priority`,
    `t`.`open_tickets__count` AS `open_tickets__count`
  FROM (
    SELECT
      `t`.`day` AS `day`,
      `t`.`priority` AS `priority`,
      `t`.`open_tickets__count` AS `open_tickets__count`,
      MAX(`t`.`__rows`) OVER (PARTITION BY `t`.`priority`) AS `__ever`
    FROM (
      SELECT
        `p`.`__period` AS `day`,
        `combos`.`priority` AS `priority`,
        SUM(`d`.`__rows`) OVER (
          PARTITION BY `combos`.`priority`
          ORDER BY `p`.`__period` NULLS LAST
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS `__rows`,
        SUM(`d`.`open_tickets__count`) OVER (
          PARTITION BY `combos`.`priority`
          ORDER BY `p`.`__period` NULLS LAST
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS `open_tickets__count`
      FROM `tickets__created_ts__active__periods` AS `p`
      CROSS JOIN (
        SELECT DISTINCT
          `priority`
        FROM `tickets__created_ts__active__deltas`
      ) AS `combos`
      LEFT JOIN `tickets__created_ts__active__deltas` AS `d`
        ON `d`.`__period` = `p`.`__period`
        AND `d`.`priority` IS NOT DISTINCT FROM `combos`.`priority`
    ) AS `t`
  ) AS `t`
  WHERE
    `t`.`__ever` > 0
)
/* one aggregate: tickets__created_ts__active */
/* compute metrics: open_tickets */
SELECT
  `tickets__created_ts__active`.`day` AS `day`,
  `tickets__created_ts__active`.`priority` AS `priority`,
  COALESCE(`tickets__created_ts__active`.`open_tickets__count`, 0) AS `open_tickets`
FROM `tickets__created_ts__active`
ORDER BY
  `tickets__created_ts__active`.`day` NULLS LAST,
  `tickets__created_ts__active`.`priority` NULLS LAST
