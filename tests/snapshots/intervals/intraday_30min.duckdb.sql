-- test: test_intraday_view_sql[duckdb]
-- app.intraday_30min: each half hour next to the same half hour 1 and 7 days earlier.
WITH "calls__offered_ts__src" AS (
  /* read rows: src.calls (30min is finer than the day that indicator tables start at) */
  /* filter: offered_ts is not null */
  /* aggregate calls__offered_ts__src: handle_seconds, handled_calls, offered_calls by 30min (from rows) */
  SELECT
    DATE_TRUNC('HOUR', "m"."offered_ts") + CAST(FLOOR(EXTRACT(MINUTE FROM "m"."offered_ts") / 30) * 30 AS INT) * INTERVAL '1' MINUTE AS "30min",
    SUM("m".handle_seconds) AS "handle_seconds__sum",
    COUNT(CASE WHEN NOT "m".handle_seconds IS NULL THEN 1 END) AS "handled_calls__count",
    COUNT(*) AS "offered_calls__count"
  FROM "src"."calls" AS "m"
  WHERE
    NOT "m"."offered_ts" IS NULL
  GROUP BY
    DATE_TRUNC('HOUR', "m"."offered_ts") + CAST(FLOOR(EXTRACT(MINUTE FROM "m"."offered_ts") / 30) * 30 AS INT) * INTERVAL '1' MINUTE
), "erlang__1" AS (
  SELECT
    "calls__offered_ts__src"."30min" AS "30min",
    CASE
      WHEN CAST((
        COALESCE("calls__offered_ts__src"."offered_calls__count", 0)
      ) AS DOUBLE) = 0
      THEN 0
      WHEN CAST((
        CAST((
          "calls__offered_ts__src"."handle_seconds__sum"
        ) AS DOUBLE) / CAST(NULLIF((
          COALESCE("calls__offered_ts__src"."handled_calls__count", 0)
        ), 0) AS DOUBLE)
      ) AS DOUBLE) IS NULL
      THEN NULL
      WHEN CAST((
        CAST((
          "calls__offered_ts__src"."handle_seconds__sum"
        ) AS DOUBLE) / CAST(NULLIF((
          COALESCE("calls__offered_ts__src"."handled_calls__count", 0)
        ), 0) AS DOUBLE)
      ) AS DOUBLE) <= 0
      THEN 0
      ELSE "e"."value"
    END AS "value"
  FROM "calls__offered_ts__src"
  LEFT JOIN (
    SELECT
      "t"."30min",
      MIN(
        CASE
          WHEN "t"."n" > "t"."traffic"
          AND 1 - (
            (
              "t"."top" / NULLIF("t"."below" + "t"."top", 0)
            ) * EXP(
              GREATEST(-(
                (
                  "t"."n" - "t"."traffic"
                ) * "t"."answer"
              ) / "t"."aht", -700)
            )
          ) >= "t"."goal"
          THEN "t"."n"
        END
      ) AS "value"
    FROM (
      SELECT
        "i"."30min",
        "i"."traffic",
        "i"."aht",
        "i"."answer",
        "i"."goal",
        "s"."n",
        SUM(
          EXP(
            GREATEST(
              (
                (
                  (
                    "s"."n" - 1
                  ) * LN("i"."traffic")
                ) - "s"."log_fact_before"
              ) - "i"."traffic",
              -700
            )
          )
        ) OVER (
          PARTITION BY "i"."30min"
          ORDER BY "s"."n"
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS "below",
        (
          EXP(
            GREATEST((
              (
                "s"."n" * LN("i"."traffic")
              ) - "s"."log_fact"
            ) - "i"."traffic", -700)
          ) * CAST("s"."n" AS DOUBLE)
        ) / NULLIF("s"."n" - "i"."traffic", 0) AS "top"
      FROM (
        SELECT
          "calls__offered_ts__src"."30min" AS "30min",
          CAST((
            COALESCE("calls__offered_ts__src"."offered_calls__count", 0)
          ) AS DOUBLE) AS "calls",
          CAST((
            CAST((
              "calls__offered_ts__src"."handle_seconds__sum"
            ) AS DOUBLE) / CAST(NULLIF((
              COALESCE("calls__offered_ts__src"."handled_calls__count", 0)
            ), 0) AS DOUBLE)
          ) AS DOUBLE) AS "aht",
          CAST(20 AS DOUBLE) AS "answer",
          CAST(0.8 AS DOUBLE) AS "goal",
          (
            CAST((
              COALESCE("calls__offered_ts__src"."offered_calls__count", 0)
            ) AS DOUBLE) * CAST((
              CAST((
                "calls__offered_ts__src"."handle_seconds__sum"
              ) AS DOUBLE) / CAST(NULLIF((
                COALESCE("calls__offered_ts__src"."handled_calls__count", 0)
              ), 0) AS DOUBLE)
            ) AS DOUBLE)
          ) / CAST(NULLIF(1800, 0) AS DOUBLE) AS "traffic"
        FROM "calls__offered_ts__src"
      ) AS "i"
      INNER JOIN (
        SELECT
          "n",
          "log_fact",
          "log_fact" - LN(CAST("n" AS DOUBLE)) AS "log_fact_before"
        FROM (
          SELECT
            "n",
            SUM(LN(CAST("n" AS DOUBLE))) OVER (ORDER BY "n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "log_fact"
          FROM (
            SELECT
              (
                (
                  "h"."d" * 100
                ) + (
                  "t"."d" * 10
                )
              ) + (
                "u"."d" + 1
              ) AS "n"
            FROM (
              SELECT
                0 AS "d"
              UNION ALL
              SELECT
                1 AS "d"
              UNION ALL
              SELECT
                2 AS "d"
              UNION ALL
              SELECT
                3 AS "d"
              UNION ALL
              SELECT
                4 AS "d"
              UNION ALL
              SELECT
                5 AS "d"
              UNION ALL
              SELECT
                6 AS "d"
              UNION ALL
              SELECT
                7 AS "d"
              UNION ALL
              SELECT
                8 AS "d"
              UNION ALL
              SELECT
                9 AS "d"
            ) AS "h"
            CROSS JOIN (
              SELECT
                0 AS "d"
              UNION ALL
              SELECT
                1 AS "d"
              UNION ALL
              SELECT
                2 AS "d"
              UNION ALL
              SELECT
                3 AS "d"
              UNION ALL
              SELECT
                4 AS "d"
              UNION ALL
              SELECT
                5 AS "d"
              UNION ALL
              SELECT
                6 AS "d"
              UNION ALL
              SELECT
                7 AS "d"
              UNION ALL
              SELECT
                8 AS "d"
              UNION ALL
              SELECT
                9 AS "d"
            ) AS "t"
            CROSS JOIN (
              SELECT
                0 AS "d"
              UNION ALL
              SELECT
                1 AS "d"
              UNION ALL
              SELECT
                2 AS "d"
              UNION ALL
              SELECT
                3 AS "d"
              UNION ALL
              SELECT
                4 AS "d"
              UNION ALL
              SELECT
                5 AS "d"
              UNION ALL
              SELECT
                6 AS "d"
              UNION ALL
              SELECT
                7 AS "d"
              UNION ALL
              SELECT
                8 AS "d"
              UNION ALL
              SELECT
                9 AS "d"
            ) AS "u"
          ) AS "numbers"
        ) AS "facts"
      ) AS "s"
        ON "i"."traffic" > 0
        AND "i"."aht" > 0
        AND "s"."n" <= (
          "i"."traffic" + (
            10 * SQRT("i"."traffic")
          )
        ) + 30
    ) AS "t"
    GROUP BY
      "t"."30min"
  ) AS "e"
    ON "calls__offered_ts__src"."30min" IS NOT DISTINCT FROM "e"."30min"
), "base" AS (
  /* one aggregate: calls__offered_ts__src */
  /* compute metrics: offered_calls, agents_required */
  SELECT
    "calls__offered_ts__src"."30min" AS "30min",
    COALESCE("calls__offered_ts__src"."offered_calls__count", 0) AS "offered_calls",
    "erlang__1"."value" AS "agents_required"
  FROM "calls__offered_ts__src"
  LEFT JOIN "erlang__1"
    ON "calls__offered_ts__src"."30min" IS NOT DISTINCT FROM "erlang__1"."30min"
), "spine" AS (
  /* time spine: every 30min between the first and the last */
  SELECT
    "periods"."30min"
  FROM (
    SELECT
      UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '30' MINUTE)) AS "30min"
    FROM (
      SELECT
        MIN("30min") AS lo,
        MAX("30min") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
), "filled" AS (
  /* fill zeros: offered_calls; without rows agents_required = 0 */
  SELECT
    "spine"."30min" AS "30min",
    COALESCE("base"."offered_calls", 0) AS "offered_calls",
    CASE WHEN "base"."30min" IS NULL THEN 0 ELSE "base"."agents_required" END AS "agents_required"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."30min" IS NOT DISTINCT FROM "base"."30min"
), "flagged" AS (
  /* compare: previous_period (1 day back), same_period_last_week (7 days back) */
  /* flag targets: none */
  SELECT
    "cur"."30min" AS "30min",
    "cur"."offered_calls" AS "offered_calls",
    "prev"."offered_calls" AS "offered_calls_prev",
    CAST("cur"."offered_calls" - "prev"."offered_calls" AS DOUBLE) / CAST(NULLIF(ABS("prev"."offered_calls"), 0) AS DOUBLE) AS "offered_calls_change",
    "prev_week"."offered_calls" AS "offered_calls_prev_week",
    CAST("cur"."offered_calls" - "prev_week"."offered_calls" AS DOUBLE) / CAST(NULLIF(ABS("prev_week"."offered_calls"), 0) AS DOUBLE) AS "offered_calls_change_week",
    "cur"."agents_required" AS "agents_required",
    "prev"."agents_required" AS "agents_required_prev",
    CAST("cur"."agents_required" - "prev"."agents_required" AS DOUBLE) / CAST(NULLIF(ABS("prev"."agents_required"), 0) AS DOUBLE) AS "agents_required_change",
    "prev_week"."agents_required" AS "agents_required_prev_week",
    CAST("cur"."agents_required" - "prev_week"."agents_required" AS DOUBLE) / CAST(NULLIF(ABS("prev_week"."agents_required"), 0) AS DOUBLE) AS "agents_required_change_week"
  FROM "filled" AS "cur"
  LEFT JOIN "filled" AS "prev"
    ON "prev"."30min" = "cur"."30min" - INTERVAL '1' DAY
  LEFT JOIN "filled" AS "prev_week"
    ON "prev_week"."30min" = "cur"."30min" - INTERVAL '7' DAY
), "data_bounds" AS (
  SELECT
    (
      SELECT
        MIN(CAST("offered_ts" AS TIMESTAMP))
      FROM "src"."calls"
    ) AS "first_0",
    (
      SELECT
        CASE
          WHEN MAX(
            CASE
              WHEN CAST("offered_ts" AS TIMESTAMP) = CAST(CAST(CAST("offered_ts" AS TIMESTAMP) AS DATE) AS TIMESTAMP)
              THEN 0
              ELSE 1
            END
          ) = 0
          THEN MAX(CAST("offered_ts" AS TIMESTAMP)) + INTERVAL '1' DAY
          ELSE MAX(CAST("offered_ts" AS TIMESTAMP))
        END
      FROM "src"."calls"
    ) AS "last_0"
)
/* flag complete periods: covered by src.calls.offered_ts, grace 3600 s */
SELECT
  "flagged"."30min" AS "30min",
  "flagged"."offered_calls" AS "offered_calls",
  "flagged"."offered_calls_prev" AS "offered_calls_prev",
  "flagged"."offered_calls_change" AS "offered_calls_change",
  "flagged"."offered_calls_prev_week" AS "offered_calls_prev_week",
  "flagged"."offered_calls_change_week" AS "offered_calls_change_week",
  "flagged"."agents_required" AS "agents_required",
  "flagged"."agents_required_prev" AS "agents_required_prev",
  "flagged"."agents_required_change" AS "agents_required_change",
  "flagged"."agents_required_prev_week" AS "agents_required_prev_week",
  "flagged"."agents_required_change_week" AS "agents_required_change_week",
  COALESCE(
    CAST("data_bounds"."first_0" AS DATE) <= CAST("flagged"."30min" AS DATE)
    AND "data_bounds"."last_0" >= CAST("flagged"."30min" AS TIMESTAMP) + INTERVAL '30' MINUTE - INTERVAL '3600' SECOND,
    FALSE
  ) AS "is_complete"
FROM "flagged"
CROSS JOIN "data_bounds"
ORDER BY
  "flagged"."30min"
