-- test: test_query_sql[erlang_30min-spark]
-- Generated query SQL of the interval node kinds.
WITH `calls__offered_ts__src` AS (
  /* read rows: src.calls (30min is finer than the day that indicator tables start at) */
  /* filter: offered_ts is not null */
  /* aggregate calls__offered_ts__src: handle_seconds, handled_calls, offered_calls by 30min (from rows) */
  SELECT
    DATE_TRUNC('HOUR', `m`.`offered_ts`) + CAST(FLOOR(EXTRACT(MINUTE FROM `m`.`offered_ts`) / 30) * 30 AS INT) * INTERVAL '1' MINUTE AS `30min`,
    SUM(`m`.handle_seconds) AS `handle_seconds__sum`,
    COUNT(CASE WHEN NOT `m`.handle_seconds IS NULL THEN 1 END) AS `handled_calls__count`,
    COUNT(*) AS `offered_calls__count`
  FROM `src`.`calls` AS `m`
  WHERE
    NOT `m`.`offered_ts` IS NULL
  GROUP BY
    DATE_TRUNC('HOUR', `m`.`offered_ts`) + CAST(FLOOR(EXTRACT(MINUTE FROM `m`.`offered_ts`) / 30) * 30 AS INT) * INTERVAL '1' MINUTE
), `erlang__1` AS (
  SELECT
    `calls__offered_ts__src`.`30min` AS `30min`,
    CASE
      WHEN CAST((
        COALESCE(`calls__offered_ts__src`.`offered_calls__count`, 0)
      ) AS DOUBLE) = 0
      THEN 0
      WHEN CAST((
        CAST((
          `calls__offered_ts__src`.`handle_seconds__sum`
        ) AS DOUBLE) / CAST(NULLIF((
          COALESCE(`calls__offered_ts__src`.`handled_calls__count`, 0)
        ), 0) AS DOUBLE)
      ) AS DOUBLE) IS NULL
      THEN NULL
      WHEN CAST((
        CAST((
          `calls__offered_ts__src`.`handle_seconds__sum`
        ) AS DOUBLE) / CAST(NULLIF((
          COALESCE(`calls__offered_ts__src`.`handled_calls__count`, 0)
        ), 0) AS DOUBLE)
      ) AS DOUBLE) <= 0
      THEN 0
      ELSE `e`.`value`
    END AS `value`
  FROM `calls__offered_ts__src`
  LEFT JOIN (
    SELECT
      `t`.`30min`,
      MIN(
        CASE
          WHEN `t`.`n` > `t`.`traffic`
          AND 1 - (
            (
              `t`.`top` / NULLIF(`t`.`below` + `t`.`top`, 0)
            ) * EXP(
              GREATEST(-(
                (
                  `t`.`n` - `t`.`traffic`
                ) * `t`.`answer`
              ) / `t`.`aht`, -700)
            )
          ) >= `t`.`goal`
          THEN `t`.`n`
        END
      ) AS `value`
    FROM (
      SELECT
        `i`.`30min`,
        `i`.`traffic`,
        `i`.`aht`,
        `i`.`answer`,
        `i`.`goal`,
        `s`.`n`,
        SUM(
          EXP(
            GREATEST(
              (
                (
                  (
                    `s`.`n` - 1
                  ) * LN(`i`.`traffic`)
                ) - `s`.`log_fact_before`
              ) - `i`.`traffic`,
              -700
            )
          )
        ) OVER (
          PARTITION BY `i`.`30min`
          ORDER BY `s`.`n` NULLS LAST
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS `below`,
        (
          EXP(
            GREATEST((
              (
                `s`.`n` * LN(`i`.`traffic`)
              ) - `s`.`log_fact`
            ) - `i`.`traffic`, -700)
          ) * CAST(`s`.`n` AS DOUBLE)
        ) / NULLIF(`s`.`n` - `i`.`traffic`, 0) AS `top`
      FROM (
        SELECT
          `calls__offered_ts__src`.`30min` AS `30min`,
          CAST((
            COALESCE(`calls__offered_ts__src`.`offered_calls__count`, 0)
          ) AS DOUBLE) AS `calls`,
          CAST((
            CAST((
              `calls__offered_ts__src`.`handle_seconds__sum`
            ) AS DOUBLE) / CAST(NULLIF((
              COALESCE(`calls__offered_ts__src`.`handled_calls__count`, 0)
            ), 0) AS DOUBLE)
          ) AS DOUBLE) AS `aht`,
          CAST(20 AS DOUBLE) AS `answer`,
          CAST(0.8 AS DOUBLE) AS `goal`,
          (
            CAST((
              COALESCE(`calls__offered_ts__src`.`offered_calls__count`, 0)
            ) AS DOUBLE) * CAST((
              CAST((
                `calls__offered_ts__src`.`handle_seconds__sum`
              ) AS DOUBLE) / CAST(NULLIF((
                COALESCE(`calls__offered_ts__src`.`handled_calls__count`, 0)
              ), 0) AS DOUBLE)
            ) AS DOUBLE)
          ) / CAST(NULLIF(1800, 0) AS DOUBLE) AS `traffic`
        FROM `calls__offered_ts__src`
      ) AS `i`
      INNER JOIN (
        SELECT
          `n`,
          `log_fact`,
          `log_fact` - LN(CAST(`n` AS DOUBLE)) AS `log_fact_before`
        FROM (
          SELECT
            `n`,
            SUM(LN(CAST(`n` AS DOUBLE))) OVER (ORDER BY `n` NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS `log_fact`
          FROM (
            SELECT
              (
                (
                  `h`.`d` * 100
                ) + (
                  `t`.`d` * 10
                )
              ) + (
                `u`.`d` + 1
              ) AS `n`
            FROM (
              SELECT
                0 AS `d`
              UNION ALL
              SELECT
                1 AS `d`
              UNION ALL
              SELECT
                2 AS `d`
              UNION ALL
              SELECT
                3 AS `d`
              UNION ALL
              SELECT
                4 AS `d`
              UNION ALL
              SELECT
                5 AS `d`
              UNION ALL
              SELECT
                6 AS `d`
              UNION ALL
              SELECT
                7 AS `d`
              UNION ALL
              SELECT
                8 AS `d`
              UNION ALL
              SELECT
                9 AS `d`
            ) AS `h`
            CROSS JOIN (
              SELECT
                0 AS `d`
              UNION ALL
              SELECT
                1 AS `d`
              UNION ALL
              SELECT
                2 AS `d`
              UNION ALL
              SELECT
                3 AS `d`
              UNION ALL
              SELECT
                4 AS `d`
              UNION ALL
              SELECT
                5 AS `d`
              UNION ALL
              SELECT
                6 AS `d`
              UNION ALL
              SELECT
                7 AS `d`
              UNION ALL
              SELECT
                8 AS `d`
              UNION ALL
              SELECT
                9 AS `d`
            ) AS `t`
            CROSS JOIN (
              SELECT
                0 AS `d`
              UNION ALL
              SELECT
                1 AS `d`
              UNION ALL
              SELECT
                2 AS `d`
              UNION ALL
              SELECT
                3 AS `d`
              UNION ALL
              SELECT
                4 AS `d`
              UNION ALL
              SELECT
                5 AS `d`
              UNION ALL
              SELECT
                6 AS `d`
              UNION ALL
              SELECT
                7 AS `d`
              UNION ALL
              SELECT
                8 AS `d`
              UNION ALL
              SELECT
                9 AS `d`
            ) AS `u`
          ) AS `numbers`
        ) AS `facts`
      ) AS `s`
        ON `i`.`traffic` > 0
        AND `i`.`aht` > 0
        AND `s`.`n` <= (
          `i`.`traffic` + (
            10 * SQRT(`i`.`traffic`)
          )
        ) + 30
    ) AS `t`
    GROUP BY
      `t`.`30min`
  ) AS `e`
    ON `calls__offered_ts__src`.`30min` IS NOT DISTINCT FROM `e`.`30min`
)
/* one aggregate: calls__offered_ts__src */
/* compute metrics: agents_required, agents_gap */
SELECT
  `calls__offered_ts__src`.`30min` AS `30min`,
  `erlang__1`.`value` AS `agents_required`,
  `erlang__1`.`value` - 2 AS `agents_gap`
FROM `calls__offered_ts__src`
LEFT JOIN `erlang__1`
  ON `calls__offered_ts__src`.`30min` IS NOT DISTINCT FROM `erlang__1`.`30min`
ORDER BY
  `calls__offered_ts__src`.`30min` NULLS LAST
