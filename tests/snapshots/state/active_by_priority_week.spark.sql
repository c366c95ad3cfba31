-- test: test_state_sql_per_dialect[active_by_priority_week-spark]
-- Query SQL of the active, snapshot and time-valid join groups per dialect.
WITH `tickets__created_ts__active__periods` AS (
  SELECT
    `__period`,
    CAST(`__period` + INTERVAL '1' WEEK AS TIMESTAMP) AS `__end`
  FROM (
    SELECT
      EXPLODE(
        SEQUENCE(
          CAST(DATE_TRUNC('WEEK', `bounds`.`lo`) AS DATE),
          CAST(DATE_TRUNC('WEEK', `bounds`.`hi`) AS DATE),
          INTERVAL '1' WEEK
        )
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
), `tickets__created_ts__active__rows` AS (
  /* read rows: src.tickets (rows open at each period's end) */
  /* filter: created_ts is not null */
  SELECT
    `p`.`__period` AS `week`,
    `m`.`priority` AS `priority`,
    SUM(
      DATEDIFF(SECOND, DATE_TRUNC('SECOND', `m`.created_ts), DATE_TRUNC('SECOND', `p`.`__end`)) / CAST(3600.0 AS DOUBLE)
    ) AS `open_ticket_age_hours__sum`,
    COUNT(
      DATEDIFF(SECOND, DATE_TRUNC('SECOND', `m`.created_ts), DATE_TRUNC('SECOND', `p`.`__end`)) / CAST(3600.0 AS DOUBLE)
    ) AS `open_ticket_age_hours__count`
  FROM `src`.`tickets` AS `m`
  INNER JOIN `tickets__created_ts__active__periods` AS `p`
    ON `m`.`created_ts` <= `p`.`__end`
    AND (
      `m`.`resolved_ts` IS NULL OR `m`.`resolved_ts` > `p`.`__end`
    )
  WHERE
    NOT `m`.`created_ts` IS NULL
  GROUP BY
    `p`.`__period`,
    `m`.`priority`
), `tickets__created_ts__active` AS (
  /* active tickets__created_ts__active: open_ticket_age_hours over the rows with created_ts <= t < resolved_ts, at each week's end, the first day .. the last day of src.tickets.created_ts */
  SELECT
    `p`.`__period` AS `week`,
    `combos`.`priority` AS `priority`,
    `rows`.`open_ticket_age_hours__sum` AS `open_ticket_age_hours__sum`,
    `rows`.`open_ticket_age_hours__count` AS `open_ticket_age_hours__count`
  FROM `tickets__created_ts__active__periods` AS `p`
  CROSS JOIN (
    SELECT DISTINCT
      `priority`
    FROM `tickets__created_ts__active__rows`
  ) AS `combos`
  LEFT JOIN `tickets__created_ts__active__rows` AS `rows`
    ON `rows`.`week` = `p`.`__period`
    AND `rows`.`priority` IS NOT DISTINCT FROM `combos`.`priority`
), `tickets__created_ts__active2__periods` AS (
  SELECT
    `__period`,
    CAST(`__period` + INTERVAL '1' WEEK AS TIMESTAMP) AS `__end`
  FROM (
    SELECT
      EXPLODE(
        SEQUENCE(
          CAST(DATE_TRUNC('WEEK', `bounds`.`lo`) AS DATE),
          CAST(DATE_TRUNC('WEEK', `bounds`.`hi`) AS DATE),
          INTERVAL '1' WEEK
        )
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
), `tickets__created_ts__active2__changes` AS (
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
), `tickets__created_ts__active2__deltas` AS (
  SELECT
    GREATEST(
      CAST(DATE_TRUNC('WEEK', CAST(`c`.`__at` AS TIMESTAMP) - INTERVAL '1' MICROSECOND) AS DATE),
      `b`.`first_period`
    ) AS `__period`,
    `c`.`priority` AS `priority`,
    SUM(`c`.`__rows`) AS `__rows`,
    SUM(`c`.`open_tickets__count`) AS `open_tickets__count`
  FROM `tickets__created_ts__active2__changes` AS `c`
  CROSS JOIN (
    SELECT
      MIN(`__period`) AS first_period,
      MAX(`__period`) AS last_period
    FROM `tickets__created_ts__active2__periods`
  ) AS `b`
  WHERE
    CAST(DATE_TRUNC('WEEK', CAST(`c`.`__at` AS TIMESTAMP) - INTERVAL '1' MICROSECOND) AS DATE) <= `b`.`last_period`
  GROUP BY
    GREATEST(
      CAST(DATE_TRUNC('WEEK', CAST(`c`.`__at` AS TIMESTAMP) - INTERVAL '1' MICROSECOND) AS DATE),
      `b`.`first_period`
    ),
    `c`.`priority`
), `tickets__created_ts__active2` AS (
  /* running total tickets__created_ts__active2: open_tickets, rows opened at created_ts minus closed at resolved_ts, at each week's end, the first day .. the last day of src.tickets.created_ts */
  SELECT
    `t`.`week` AS `week`,
    `t`.`priority` AS `priority`,
    `t`.`open_tickets__count` AS `open_tickets__count`
  FROM (
    SELECT
      `t`.`week` AS `week`,
      `t`.`priority` AS `priority`,
      `t`.`open_tickets__count` AS `open_tickets__count`,
      MAX(`t`.`__rows`) OVER (PARTITION BY `t`.`priority`) AS `__ever`
    FROM (
      SELECT
        `p`.`__period` AS `week`,
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
      FROM `tickets__created_ts__active2__periods` AS `p`
      CROSS JOIN (
        SELECT DISTINCT
          `priority`
        FROM `tickets__created_ts__active2__deltas`
      ) AS `combos`
      LEFT JOIN `tickets__created_ts__active2__deltas` AS `d`
        ON `d`.`__period` = `p`.`__period`
        AND `d`.`priority` IS NOT DISTINCT FROM `combos`.`priority`
    ) AS `t`
  ) AS `t`
  WHERE
    `t`.`__ever` > 0
), `keys` AS (
  SELECT
    `week`,
    `priority`
  FROM `tickets__created_ts__active`
  UNION
  SELECT
    `week`,
    `priority`
  FROM `tickets__created_ts__active2`
)
/* join aggregates on week, priority */
/* compute metrics: open_tickets, open_ticket_age_hours */
SELECT
  `keys`.`week` AS `week`,
  `keys`.`priority` AS `priority`,
  COALESCE(`tickets__created_ts__active2`.`open_tickets__count`, 0) AS `open_tickets`,
  CAST(`tickets__created_ts__active`.`open_ticket_age_hours__sum` AS DOUBLE) / CAST(NULLIF(`tickets__created_ts__active`.`open_ticket_age_hours__count`, 0) AS DOUBLE) AS `open_ticket_age_hours`
FROM `keys`
LEFT JOIN `tickets__created_ts__active`
  ON `keys`.`week` IS NOT DISTINCT FROM `tickets__created_ts__active`.`week`
  AND `keys`.`priority` IS NOT DISTINCT FROM `tickets__created_ts__active`.`priority`
LEFT JOIN `tickets__created_ts__active2`
  ON `keys`.`week` IS NOT DISTINCT FROM `tickets__created_ts__active2`.`week`
  AND `keys`.`priority` IS NOT DISTINCT FROM `tickets__created_ts__active2`.`priority`
ORDER BY
  `keys`.`week` NULLS LAST,
  `keys`.`priority` NULLS LAST
