-- test: test_build_ddl[duckdb]
-- Every CREATE (and COMMENT) statement of the tiny project's build, in build order.
CREATE TABLE "src"."agents" AS
SELECT
  agent_id,
  agent_name,
  team,
  site_id
FROM raw.agents;

CREATE TABLE "src"."calls" AS
SELECT
  leg_id,
  call_id,
  CAST(leg_seq AS INT) AS leg_seq,
  queue,
  agent_id,
  customer_id,
  CAST(offered_ts AS TIMESTAMP) AS offered_ts,
  CAST(answered_ts AS TIMESTAMP) AS answered_ts,
  CAST(handle_seconds AS INT) AS handle_seconds,
  transfer_agent_id
FROM raw.calls;

CREATE TABLE "src"."sites" AS
SELECT
  site_id,
  city
FROM raw.sites;

CREATE TABLE "src"."shifts" AS
SELECT
  s.agent_id,
  CAST(s.shift_date AS DATE) AS shift_date,
  CAST(s.staffed_seconds AS INT) AS staffed_seconds
FROM raw.shifts AS s
JOIN src.agents AS a
  ON a.agent_id = s.agent_id;

CREATE TABLE "ind"."calls_day" AS
/* read rows: src.calls (the rows behind calls_day) */
/* aggregate calls_day: abandoned_calls, avg_handle, handle_seconds, handled_legs, offered_calls by offered_ts_day, queue, agent_id, transfer_agent_id (from rows) */
SELECT
  CAST("m"."offered_ts" AS DATE) AS "offered_ts_day",
  "m"."queue" AS "queue",
  "m"."agent_id" AS "agent_id",
  "m"."transfer_agent_id" AS "transfer_agent_id",
  COUNT(CASE WHEN "m".leg_seq = 1 AND "m".answered_ts IS NULL THEN 1 END) AS "abandoned_calls__count",
  SUM("m".handle_seconds) AS "avg_handle__sum",
  COUNT("m".handle_seconds) AS "avg_handle__count",
  SUM("m".handle_seconds) AS "handle_seconds__sum",
  COUNT(CASE WHEN NOT "m".answered_ts IS NULL THEN 1 END) AS "handled_legs__count",
  COUNT(CASE WHEN "m".leg_seq = 1 THEN 1 END) AS "offered_calls__count"
FROM "src"."calls" AS "m"
GROUP BY
  CAST("m"."offered_ts" AS DATE),
  "m"."queue",
  "m"."agent_id",
  "m"."transfer_agent_id";

COMMENT ON TABLE "ind"."calls_day" IS 'additive partials of calls by day x 3 dimensions';

COMMENT ON COLUMN "ind"."calls_day"."abandoned_calls__count" IS 'count behind 放弃量: count(*) where leg_seq = 1 and answered_ts is null';

COMMENT ON COLUMN "ind"."calls_day"."avg_handle__sum" IS 'sum behind 平均处理时长(avg): avg(handle_seconds)';

COMMENT ON COLUMN "ind"."calls_day"."avg_handle__count" IS 'count behind 平均处理时长(avg): avg(handle_seconds)';

COMMENT ON COLUMN "ind"."calls_day"."handle_seconds__sum" IS 'sum behind 处理时长: sum(handle_seconds)';

COMMENT ON COLUMN "ind"."calls_day"."handled_legs__count" IS 'count behind 处理量: count(*) where answered_ts is not null';

COMMENT ON COLUMN "ind"."calls_day"."offered_calls__count" IS 'count behind 呼入量: count(*) where leg_seq = 1';

CREATE TABLE "ind"."calls_by_queue_team_day" AS
/* read indicator table: ind.calls_day (the rollup calls_by_queue_team_day re-aggregates the day table) */
/* join on keys: agent_id -> src.agents */
/* aggregate calls_by_queue_team_day: abandoned_calls, avg_handle, handle_seconds, handled_legs, offered_calls by offered_ts_day, queue, agents__team (re-aggregated partials) */
SELECT
  CAST("m"."offered_ts_day" AS DATE) AS "offered_ts_day",
  "m"."queue" AS "queue",
  "m__agents"."team" AS "agents__team",
  SUM("m"."abandoned_calls__count") AS "abandoned_calls__count",
  SUM("m"."avg_handle__sum") AS "avg_handle__sum",
  SUM("m"."avg_handle__count") AS "avg_handle__count",
  SUM("m"."handle_seconds__sum") AS "handle_seconds__sum",
  SUM("m"."handled_legs__count") AS "handled_legs__count",
  SUM("m"."offered_calls__count") AS "offered_calls__count"
FROM "ind"."calls_day" AS "m"
LEFT JOIN "src"."agents" AS "m__agents"
  ON "m"."agent_id" = "m__agents"."agent_id"
GROUP BY
  CAST("m"."offered_ts_day" AS DATE),
  "m"."queue",
  "m__agents"."team";

COMMENT ON TABLE "ind"."calls_by_queue_team_day" IS 'additive partials of calls by day x 2 dimensions';

COMMENT ON COLUMN "ind"."calls_by_queue_team_day"."abandoned_calls__count" IS 'count behind 放弃量: count(*) where leg_seq = 1 and answered_ts is null';

COMMENT ON COLUMN "ind"."calls_by_queue_team_day"."avg_handle__sum" IS 'sum behind 平均处理时长(avg): avg(handle_seconds)';

COMMENT ON COLUMN "ind"."calls_by_queue_team_day"."avg_handle__count" IS 'count behind 平均处理时长(avg): avg(handle_seconds)';

COMMENT ON COLUMN "ind"."calls_by_queue_team_day"."handle_seconds__sum" IS 'sum behind 处理时长: sum(handle_seconds)';

COMMENT ON COLUMN "ind"."calls_by_queue_team_day"."handled_legs__count" IS 'count behind 处理量: count(*) where answered_ts is not null';

COMMENT ON COLUMN "ind"."calls_by_queue_team_day"."offered_calls__count" IS 'count behind 呼入量: count(*) where leg_seq = 1';

CREATE TABLE "ind"."shifts_day" AS
/* read rows: src.shifts (the rows behind shifts_day) */
/* aggregate shifts_day: staffed_hours by shift_date_day, agent_id (from rows) */
SELECT
  CAST("m"."shift_date" AS DATE) AS "shift_date_day",
  "m"."agent_id" AS "agent_id",
  SUM("m".staffed_seconds / 3600.0) AS "staffed_hours__sum"
FROM "src"."shifts" AS "m"
GROUP BY
  CAST("m"."shift_date" AS DATE),
  "m"."agent_id";

COMMENT ON TABLE "ind"."shifts_day" IS 'additive partials of shifts by day x 1 dimensions';

COMMENT ON COLUMN "ind"."shifts_day"."staffed_hours__sum" IS 'sum behind 在线工时: sum(staffed_seconds / 3600.0)';

CREATE VIEW "app"."queue_daily_day" AS
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: abandoned_calls, handle_seconds, handled_legs, offered_calls by day, queue (re-aggregated partials) */
  SELECT
    CAST("m"."offered_ts_day" AS DATE) AS "day",
    "m"."queue" AS "queue",
    SUM("m"."abandoned_calls__count") AS "abandoned_calls__count",
    SUM("m"."handle_seconds__sum") AS "handle_seconds__sum",
    SUM("m"."handled_legs__count") AS "handled_legs__count",
    SUM("m"."offered_calls__count") AS "offered_calls__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST("m"."offered_ts_day" AS DATE),
    "m"."queue"
), "base" AS (
  /* one aggregate: calls__offered_ts__ind */
  /* compute metrics: offered_calls, abandonment_rate, aht */
  SELECT
    "calls__offered_ts__ind"."day" AS "day",
    "calls__offered_ts__ind"."queue" AS "queue",
    COALESCE("calls__offered_ts__ind"."offered_calls__count", 0) AS "offered_calls",
    CAST((
      COALESCE("calls__offered_ts__ind"."abandoned_calls__count", 0)
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."offered_calls__count", 0)
    ), 0) AS DOUBLE) AS "abandonment_rate",
    CAST((
      "calls__offered_ts__ind"."handle_seconds__sum"
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
    ), 0) AS DOUBLE) AS "aht"
  FROM "calls__offered_ts__ind"
), "spine" AS (
  /* time spine: every day between the first and the last x every combination of queue */
  SELECT
    "periods"."day",
    "combos"."queue"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '1' DAY)) AS DATE) AS "day"
    FROM (
      SELECT
        MIN("day") AS lo,
        MAX("day") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
  CROSS JOIN (
    SELECT DISTINCT
      "queue"
    FROM "base"
  ) AS "combos"
), "filled" AS (
  /* fill zeros: offered_calls */
  SELECT
    "spine"."day" AS "day",
    "spine"."queue" AS "queue",
    COALESCE("base"."offered_calls", 0) AS "offered_calls",
    "base"."abandonment_rate" AS "abandonment_rate",
    "base"."aht" AS "aht"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."day" IS NOT DISTINCT FROM "base"."day"
    AND "spine"."queue" IS NOT DISTINCT FROM "base"."queue"
), "flagged" AS (
  /* compare: previous_period (1 day back) */
  /* flag targets: abandonment_rate */
  SELECT
    "cur"."day" AS "day",
    "cur"."queue" AS "queue",
    "cur"."offered_calls" AS "offered_calls",
    "prev"."offered_calls" AS "offered_calls_prev",
    CAST("cur"."offered_calls" - "prev"."offered_calls" AS DOUBLE) / CAST(NULLIF(ABS("prev"."offered_calls"), 0) AS DOUBLE) AS "offered_calls_change",
    "cur"."abandonment_rate" AS "abandonment_rate",
    "prev"."abandonment_rate" AS "abandonment_rate_prev",
    "cur"."abandonment_rate" - "prev"."abandonment_rate" AS "abandonment_rate_change",
    CASE
      WHEN "cur"."abandonment_rate" IS NULL
      THEN NULL
      ELSE "cur"."abandonment_rate" <= 0.3
    END AS "abandonment_rate_target_met",
    "cur"."aht" AS "aht",
    "prev"."aht" AS "aht_prev",
    CAST("cur"."aht" - "prev"."aht" AS DOUBLE) / CAST(NULLIF(ABS("prev"."aht"), 0) AS DOUBLE) AS "aht_change"
  FROM "filled" AS "cur"
  LEFT JOIN "filled" AS "prev"
    ON "prev"."day" = CAST("cur"."day" - INTERVAL '1' DAY AS DATE)
    AND "prev"."queue" IS NOT DISTINCT FROM "cur"."queue"
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
  "flagged"."day" AS "day",
  "flagged"."queue" AS "queue",
  "flagged"."offered_calls" AS "offered_calls",
  "flagged"."offered_calls_prev" AS "offered_calls_prev",
  "flagged"."offered_calls_change" AS "offered_calls_change",
  "flagged"."abandonment_rate" AS "abandonment_rate",
  "flagged"."abandonment_rate_prev" AS "abandonment_rate_prev",
  "flagged"."abandonment_rate_change" AS "abandonment_rate_change",
  "flagged"."abandonment_rate_target_met" AS "abandonment_rate_target_met",
  "flagged"."aht" AS "aht",
  "flagged"."aht_prev" AS "aht_prev",
  "flagged"."aht_change" AS "aht_change",
  COALESCE(
    CAST("data_bounds"."first_0" AS DATE) <= CAST("flagged"."day" AS DATE)
    AND "data_bounds"."last_0" >= CAST("flagged"."day" AS TIMESTAMP) + INTERVAL '1' DAY - INTERVAL '3600' SECOND,
    FALSE
  ) AS "is_complete"
FROM "flagged"
CROSS JOIN "data_bounds"
ORDER BY
  "flagged"."day",
  "flagged"."queue";

COMMENT ON VIEW "app"."queue_daily_day" IS '队列日报 (day)';

COMMENT ON COLUMN "app"."queue_daily_day"."offered_calls" IS '呼入量: count(*) where leg_seq = 1';

COMMENT ON COLUMN "app"."queue_daily_day"."abandonment_rate" IS '放弃率: abandoned_calls / offered_calls';

COMMENT ON COLUMN "app"."queue_daily_day"."aht" IS '平均处理时长: handle_seconds / handled_legs';

CREATE VIEW "app"."queue_daily_day_total" AS
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: abandoned_calls, handle_seconds, handled_legs, offered_calls by day (re-aggregated partials) */
  SELECT
    CAST("m"."offered_ts_day" AS DATE) AS "day",
    SUM("m"."abandoned_calls__count") AS "abandoned_calls__count",
    SUM("m"."handle_seconds__sum") AS "handle_seconds__sum",
    SUM("m"."handled_legs__count") AS "handled_legs__count",
    SUM("m"."offered_calls__count") AS "offered_calls__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST("m"."offered_ts_day" AS DATE)
), "base" AS (
  /* one aggregate: calls__offered_ts__ind */
  /* compute metrics: offered_calls, abandonment_rate, aht */
  SELECT
    "calls__offered_ts__ind"."day" AS "day",
    COALESCE("calls__offered_ts__ind"."offered_calls__count", 0) AS "offered_calls",
    CAST((
      COALESCE("calls__offered_ts__ind"."abandoned_calls__count", 0)
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."offered_calls__count", 0)
    ), 0) AS DOUBLE) AS "abandonment_rate",
    CAST((
      "calls__offered_ts__ind"."handle_seconds__sum"
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
    ), 0) AS DOUBLE) AS "aht"
  FROM "calls__offered_ts__ind"
), "spine" AS (
  /* time spine: every day between the first and the last */
  SELECT
    "periods"."day"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '1' DAY)) AS DATE) AS "day"
    FROM (
      SELECT
        MIN("day") AS lo,
        MAX("day") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
), "filled" AS (
  /* fill zeros: offered_calls */
  SELECT
    "spine"."day" AS "day",
    COALESCE("base"."offered_calls", 0) AS "offered_calls",
    "base"."abandonment_rate" AS "abandonment_rate",
    "base"."aht" AS "aht"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."day" IS NOT DISTINCT FROM "base"."day"
), "flagged" AS (
  /* compare: previous_period (1 day back) */
  /* flag targets: abandonment_rate */
  SELECT
    "cur"."day" AS "day",
    "cur"."offered_calls" AS "offered_calls",
    "prev"."offered_calls" AS "offered_calls_prev",
    CAST("cur"."offered_calls" - "prev"."offered_calls" AS DOUBLE) / CAST(NULLIF(ABS("prev"."offered_calls"), 0) AS DOUBLE) AS "offered_calls_change",
    "cur"."abandonment_rate" AS "abandonment_rate",
    "prev"."abandonment_rate" AS "abandonment_rate_prev",
    "cur"."abandonment_rate" - "prev"."abandonment_rate" AS "abandonment_rate_change",
    CASE
      WHEN "cur"."abandonment_rate" IS NULL
      THEN NULL
      ELSE "cur"."abandonment_rate" <= 0.3
    END AS "abandonment_rate_target_met",
    "cur"."aht" AS "aht",
    "prev"."aht" AS "aht_prev",
    CAST("cur"."aht" - "prev"."aht" AS DOUBLE) / CAST(NULLIF(ABS("prev"."aht"), 0) AS DOUBLE) AS "aht_change"
  FROM "filled" AS "cur"
  LEFT JOIN "filled" AS "prev"
    ON "prev"."day" = CAST("cur"."day" - INTERVAL '1' DAY AS DATE)
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
/* totals: over all members of queue (sum over sum, not of rows) */
SELECT
  "flagged"."day" AS "day",
  "flagged"."offered_calls" AS "offered_calls",
  "flagged"."offered_calls_prev" AS "offered_calls_prev",
  "flagged"."offered_calls_change" AS "offered_calls_change",
  "flagged"."abandonment_rate" AS "abandonment_rate",
  "flagged"."abandonment_rate_prev" AS "abandonment_rate_prev",
  "flagged"."abandonment_rate_change" AS "abandonment_rate_change",
  "flagged"."abandonment_rate_target_met" AS "abandonment_rate_target_met",
  "flagged"."aht" AS "aht",
  "flagged"."aht_prev" AS "aht_prev",
  "flagged"."aht_change" AS "aht_change",
  COALESCE(
    CAST("data_bounds"."first_0" AS DATE) <= CAST("flagged"."day" AS DATE)
    AND "data_bounds"."last_0" >= CAST("flagged"."day" AS TIMESTAMP) + INTERVAL '1' DAY - INTERVAL '3600' SECOND,
    FALSE
  ) AS "is_complete"
FROM "flagged"
CROSS JOIN "data_bounds"
ORDER BY
  "flagged"."day";

COMMENT ON VIEW "app"."queue_daily_day_total" IS '队列日报 (day, 合计)';

COMMENT ON COLUMN "app"."queue_daily_day_total"."offered_calls" IS '呼入量: count(*) where leg_seq = 1';

COMMENT ON COLUMN "app"."queue_daily_day_total"."abandonment_rate" IS '放弃率: abandoned_calls / offered_calls';

COMMENT ON COLUMN "app"."queue_daily_day_total"."aht" IS '平均处理时长: handle_seconds / handled_legs';

CREATE VIEW "app"."queue_daily_week" AS
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: abandoned_calls, handle_seconds, handled_legs, offered_calls by week, queue (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE) AS "week",
    "m"."queue" AS "queue",
    SUM("m"."abandoned_calls__count") AS "abandoned_calls__count",
    SUM("m"."handle_seconds__sum") AS "handle_seconds__sum",
    SUM("m"."handled_legs__count") AS "handled_legs__count",
    SUM("m"."offered_calls__count") AS "offered_calls__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE),
    "m"."queue"
), "base" AS (
  /* one aggregate: calls__offered_ts__ind */
  /* compute metrics: offered_calls, abandonment_rate, aht */
  SELECT
    "calls__offered_ts__ind"."week" AS "week",
    "calls__offered_ts__ind"."queue" AS "queue",
    COALESCE("calls__offered_ts__ind"."offered_calls__count", 0) AS "offered_calls",
    CAST((
      COALESCE("calls__offered_ts__ind"."abandoned_calls__count", 0)
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."offered_calls__count", 0)
    ), 0) AS DOUBLE) AS "abandonment_rate",
    CAST((
      "calls__offered_ts__ind"."handle_seconds__sum"
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
    ), 0) AS DOUBLE) AS "aht"
  FROM "calls__offered_ts__ind"
), "spine" AS (
  /* time spine: every week between the first and the last x every combination of queue */
  SELECT
    "periods"."week",
    "combos"."queue"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '1' WEEK)) AS DATE) AS "week"
    FROM (
      SELECT
        MIN("week") AS lo,
        MAX("week") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
  CROSS JOIN (
    SELECT DISTINCT
      "queue"
    FROM "base"
  ) AS "combos"
), "filled" AS (
  /* fill zeros: offered_calls */
  SELECT
    "spine"."week" AS "week",
    "spine"."queue" AS "queue",
    COALESCE("base"."offered_calls", 0) AS "offered_calls",
    "base"."abandonment_rate" AS "abandonment_rate",
    "base"."aht" AS "aht"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."week" IS NOT DISTINCT FROM "base"."week"
    AND "spine"."queue" IS NOT DISTINCT FROM "base"."queue"
), "flagged" AS (
  /* compare: previous_period (1 week back) */
  /* flag targets: abandonment_rate */
  SELECT
    "cur"."week" AS "week",
    "cur"."queue" AS "queue",
    "cur"."offered_calls" AS "offered_calls",
    "prev"."offered_calls" AS "offered_calls_prev",
    CAST("cur"."offered_calls" - "prev"."offered_calls" AS DOUBLE) / CAST(NULLIF(ABS("prev"."offered_calls"), 0) AS DOUBLE) AS "offered_calls_change",
    "cur"."abandonment_rate" AS "abandonment_rate",
    "prev"."abandonment_rate" AS "abandonment_rate_prev",
    "cur"."abandonment_rate" - "prev"."abandonment_rate" AS "abandonment_rate_change",
    CASE
      WHEN "cur"."abandonment_rate" IS NULL
      THEN NULL
      ELSE "cur"."abandonment_rate" <= 0.3
    END AS "abandonment_rate_target_met",
    "cur"."aht" AS "aht",
    "prev"."aht" AS "aht_prev",
    CAST("cur"."aht" - "prev"."aht" AS DOUBLE) / CAST(NULLIF(ABS("prev"."aht"), 0) AS DOUBLE) AS "aht_change"
  FROM "filled" AS "cur"
  LEFT JOIN "filled" AS "prev"
    ON "prev"."week" = CAST("cur"."week" - INTERVAL '1' WEEK AS DATE)
    AND "prev"."queue" IS NOT DISTINCT FROM "cur"."queue"
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
  "flagged"."week" AS "week",
  "flagged"."queue" AS "queue",
  "flagged"."offered_calls" AS "offered_calls",
  "flagged"."offered_calls_prev" AS "offered_calls_prev",
  "flagged"."offered_calls_change" AS "offered_calls_change",
  "flagged"."abandonment_rate" AS "abandonment_rate",
  "flagged"."abandonment_rate_prev" AS "abandonment_rate_prev",
  "flagged"."abandonment_rate_change" AS "abandonment_rate_change",
  "flagged"."abandonment_rate_target_met" AS "abandonment_rate_target_met",
  "flagged"."aht" AS "aht",
  "flagged"."aht_prev" AS "aht_prev",
  "flagged"."aht_change" AS "aht_change",
  COALESCE(
    CAST("data_bounds"."first_0" AS DATE) <= CAST("flagged"."week" AS DATE)
    AND "data_bounds"."last_0" >= CAST("flagged"."week" AS TIMESTAMP) + INTERVAL '1' WEEK - INTERVAL '3600' SECOND,
    FALSE
  ) AS "is_complete"
FROM "flagged"
CROSS JOIN "data_bounds"
ORDER BY
  "flagged"."week",
  "flagged"."queue";

COMMENT ON VIEW "app"."queue_daily_week" IS '队列日报 (week)';

COMMENT ON COLUMN "app"."queue_daily_week"."offered_calls" IS '呼入量: count(*) where leg_seq = 1';

COMMENT ON COLUMN "app"."queue_daily_week"."abandonment_rate" IS '放弃率: abandoned_calls / offered_calls';

COMMENT ON COLUMN "app"."queue_daily_week"."aht" IS '平均处理时长: handle_seconds / handled_legs';

CREATE VIEW "app"."queue_daily_week_total" AS
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: abandoned_calls, handle_seconds, handled_legs, offered_calls by week (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE) AS "week",
    SUM("m"."abandoned_calls__count") AS "abandoned_calls__count",
    SUM("m"."handle_seconds__sum") AS "handle_seconds__sum",
    SUM("m"."handled_legs__count") AS "handled_legs__count",
    SUM("m"."offered_calls__count") AS "offered_calls__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE)
), "base" AS (
  /* one aggregate: calls__offered_ts__ind */
  /* compute metrics: offered_calls, abandonment_rate, aht */
  SELECT
    "calls__offered_ts__ind"."week" AS "week",
    COALESCE("calls__offered_ts__ind"."offered_calls__count", 0) AS "offered_calls",
    CAST((
      COALESCE("calls__offered_ts__ind"."abandoned_calls__count", 0)
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."offered_calls__count", 0)
    ), 0) AS DOUBLE) AS "abandonment_rate",
    CAST((
      "calls__offered_ts__ind"."handle_seconds__sum"
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
    ), 0) AS DOUBLE) AS "aht"
  FROM "calls__offered_ts__ind"
), "spine" AS (
  /* time spine: every week between the first and the last */
  SELECT
    "periods"."week"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '1' WEEK)) AS DATE) AS "week"
    FROM (
      SELECT
        MIN("week") AS lo,
        MAX("week") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
), "filled" AS (
  /* fill zeros: offered_calls */
  SELECT
    "spine"."week" AS "week",
    COALESCE("base"."offered_calls", 0) AS "offered_calls",
    "base"."abandonment_rate" AS "abandonment_rate",
    "base"."aht" AS "aht"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."week" IS NOT DISTINCT FROM "base"."week"
), "flagged" AS (
  /* compare: previous_period (1 week back) */
  /* flag targets: abandonment_rate */
  SELECT
    "cur"."week" AS "week",
    "cur"."offered_calls" AS "offered_calls",
    "prev"."offered_calls" AS "offered_calls_prev",
    CAST("cur"."offered_calls" - "prev"."offered_calls" AS DOUBLE) / CAST(NULLIF(ABS("prev"."offered_calls"), 0) AS DOUBLE) AS "offered_calls_change",
    "cur"."abandonment_rate" AS "abandonment_rate",
    "prev"."abandonment_rate" AS "abandonment_rate_prev",
    "cur"."abandonment_rate" - "prev"."abandonment_rate" AS "abandonment_rate_change",
    CASE
      WHEN "cur"."abandonment_rate" IS NULL
      THEN NULL
      ELSE "cur"."abandonment_rate" <= 0.3
    END AS "abandonment_rate_target_met",
    "cur"."aht" AS "aht",
    "prev"."aht" AS "aht_prev",
    CAST("cur"."aht" - "prev"."aht" AS DOUBLE) / CAST(NULLIF(ABS("prev"."aht"), 0) AS DOUBLE) AS "aht_change"
  FROM "filled" AS "cur"
  LEFT JOIN "filled" AS "prev"
    ON "prev"."week" = CAST("cur"."week" - INTERVAL '1' WEEK AS DATE)
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
/* totals: over all members of queue (sum over sum, not of rows) */
SELECT
  "flagged"."week" AS "week",
  "flagged"."offered_calls" AS "offered_calls",
  "flagged"."offered_calls_prev" AS "offered_calls_prev",
  "flagged"."offered_calls_change" AS "offered_calls_change",
  "flagged"."abandonment_rate" AS "abandonment_rate",
  "flagged"."abandonment_rate_prev" AS "abandonment_rate_prev",
  "flagged"."abandonment_rate_change" AS "abandonment_rate_change",
  "flagged"."abandonment_rate_target_met" AS "abandonment_rate_target_met",
  "flagged"."aht" AS "aht",
  "flagged"."aht_prev" AS "aht_prev",
  "flagged"."aht_change" AS "aht_change",
  COALESCE(
    CAST("data_bounds"."first_0" AS DATE) <= CAST("flagged"."week" AS DATE)
    AND "data_bounds"."last_0" >= CAST("flagged"."week" AS TIMESTAMP) + INTERVAL '1' WEEK - INTERVAL '3600' SECOND,
    FALSE
  ) AS "is_complete"
FROM "flagged"
CROSS JOIN "data_bounds"
ORDER BY
  "flagged"."week";

COMMENT ON VIEW "app"."queue_daily_week_total" IS '队列日报 (week, 合计)';

COMMENT ON COLUMN "app"."queue_daily_week_total"."offered_calls" IS '呼入量: count(*) where leg_seq = 1';

COMMENT ON COLUMN "app"."queue_daily_week_total"."abandonment_rate" IS '放弃率: abandoned_calls / offered_calls';

COMMENT ON COLUMN "app"."queue_daily_week_total"."aht" IS '平均处理时长: handle_seconds / handled_legs';

CREATE VIEW "app"."queue_daily_month" AS
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: abandoned_calls, handle_seconds, handled_legs, offered_calls by month, queue (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE) AS "month",
    "m"."queue" AS "queue",
    SUM("m"."abandoned_calls__count") AS "abandoned_calls__count",
    SUM("m"."handle_seconds__sum") AS "handle_seconds__sum",
    SUM("m"."handled_legs__count") AS "handled_legs__count",
    SUM("m"."offered_calls__count") AS "offered_calls__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE),
    "m"."queue"
), "base" AS (
  /* one aggregate: calls__offered_ts__ind */
  /* compute metrics: offered_calls, abandonment_rate, aht */
  SELECT
    "calls__offered_ts__ind"."month" AS "month",
    "calls__offered_ts__ind"."queue" AS "queue",
    COALESCE("calls__offered_ts__ind"."offered_calls__count", 0) AS "offered_calls",
    CAST((
      COALESCE("calls__offered_ts__ind"."abandoned_calls__count", 0)
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."offered_calls__count", 0)
    ), 0) AS DOUBLE) AS "abandonment_rate",
    CAST((
      "calls__offered_ts__ind"."handle_seconds__sum"
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
    ), 0) AS DOUBLE) AS "aht"
  FROM "calls__offered_ts__ind"
), "spine" AS (
  /* time spine: every month between the first and the last x every combination of queue */
  SELECT
    "periods"."month",
    "combos"."queue"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '1' MONTH)) AS DATE) AS "month"
    FROM (
      SELECT
        MIN("month") AS lo,
        MAX("month") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
  CROSS JOIN (
    SELECT DISTINCT
      "queue"
    FROM "base"
  ) AS "combos"
), "filled" AS (
  /* fill zeros: offered_calls */
  SELECT
    "spine"."month" AS "month",
    "spine"."queue" AS "queue",
    COALESCE("base"."offered_calls", 0) AS "offered_calls",
    "base"."abandonment_rate" AS "abandonment_rate",
    "base"."aht" AS "aht"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."month" IS NOT DISTINCT FROM "base"."month"
    AND "spine"."queue" IS NOT DISTINCT FROM "base"."queue"
), "flagged" AS (
  /* compare: previous_period (1 month back) */
  /* flag targets: abandonment_rate */
  SELECT
    "cur"."month" AS "month",
    "cur"."queue" AS "queue",
    "cur"."offered_calls" AS "offered_calls",
    "prev"."offered_calls" AS "offered_calls_prev",
    CAST("cur"."offered_calls" - "prev"."offered_calls" AS DOUBLE) / CAST(NULLIF(ABS("prev"."offered_calls"), 0) AS DOUBLE) AS "offered_calls_change",
    "cur"."abandonment_rate" AS "abandonment_rate",
    "prev"."abandonment_rate" AS "abandonment_rate_prev",
    "cur"."abandonment_rate" - "prev"."abandonment_rate" AS "abandonment_rate_change",
    CASE
      WHEN "cur"."abandonment_rate" IS NULL
      THEN NULL
      ELSE "cur"."abandonment_rate" <= 0.3
    END AS "abandonment_rate_target_met",
    "cur"."aht" AS "aht",
    "prev"."aht" AS "aht_prev",
    CAST("cur"."aht" - "prev"."aht" AS DOUBLE) / CAST(NULLIF(ABS("prev"."aht"), 0) AS DOUBLE) AS "aht_change"
  FROM "filled" AS "cur"
  LEFT JOIN "filled" AS "prev"
    ON "prev"."month" = CAST("cur"."month" - INTERVAL '1' MONTH AS DATE)
    AND "prev"."queue" IS NOT DISTINCT FROM "cur"."queue"
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
  "flagged"."month" AS "month",
  "flagged"."queue" AS "queue",
  "flagged"."offered_calls" AS "offered_calls",
  "flagged"."offered_calls_prev" AS "offered_calls_prev",
  "flagged"."offered_calls_change" AS "offered_calls_change",
  "flagged"."abandonment_rate" AS "abandonment_rate",
  "flagged"."abandonment_rate_prev" AS "abandonment_rate_prev",
  "flagged"."abandonment_rate_change" AS "abandonment_rate_change",
  "flagged"."abandonment_rate_target_met" AS "abandonment_rate_target_met",
  "flagged"."aht" AS "aht",
  "flagged"."aht_prev" AS "aht_prev",
  "flagged"."aht_change" AS "aht_change",
  COALESCE(
    CAST("data_bounds"."first_0" AS DATE) <= CAST("flagged"."month" AS DATE)
    AND "data_bounds"."last_0" >= CAST("flagged"."month" AS TIMESTAMP) + INTERVAL '1' MONTH - INTERVAL '3600' SECOND,
    FALSE
  ) AS "is_complete"
FROM "flagged"
CROSS JOIN "data_bounds"
ORDER BY
  "flagged"."month",
  "flagged"."queue";

COMMENT ON VIEW "app"."queue_daily_month" IS '队列日报 (month)';

COMMENT ON COLUMN "app"."queue_daily_month"."offered_calls" IS '呼入量: count(*) where leg_seq = 1';

COMMENT ON COLUMN "app"."queue_daily_month"."abandonment_rate" IS '放弃率: abandoned_calls / offered_calls';

COMMENT ON COLUMN "app"."queue_daily_month"."aht" IS '平均处理时长: handle_seconds / handled_legs';

CREATE VIEW "app"."queue_daily_month_total" AS
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: abandoned_calls, handle_seconds, handled_legs, offered_calls by month (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE) AS "month",
    SUM("m"."abandoned_calls__count") AS "abandoned_calls__count",
    SUM("m"."handle_seconds__sum") AS "handle_seconds__sum",
    SUM("m"."handled_legs__count") AS "handled_legs__count",
    SUM("m"."offered_calls__count") AS "offered_calls__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', "m"."offered_ts_day") AS DATE)
), "base" AS (
  /* one aggregate: calls__offered_ts__ind */
  /* compute metrics: offered_calls, abandonment_rate, aht */
  SELECT
    "calls__offered_ts__ind"."month" AS "month",
    COALESCE("calls__offered_ts__ind"."offered_calls__count", 0) AS "offered_calls",
    CAST((
      COALESCE("calls__offered_ts__ind"."abandoned_calls__count", 0)
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."offered_calls__count", 0)
    ), 0) AS DOUBLE) AS "abandonment_rate",
    CAST((
      "calls__offered_ts__ind"."handle_seconds__sum"
    ) AS DOUBLE) / CAST(NULLIF((
      COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
    ), 0) AS DOUBLE) AS "aht"
  FROM "calls__offered_ts__ind"
), "spine" AS (
  /* time spine: every month between the first and the last */
  SELECT
    "periods"."month"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '1' MONTH)) AS DATE) AS "month"
    FROM (
      SELECT
        MIN("month") AS lo,
        MAX("month") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
), "filled" AS (
  /* fill zeros: offered_calls */
  SELECT
    "spine"."month" AS "month",
    COALESCE("base"."offered_calls", 0) AS "offered_calls",
    "base"."abandonment_rate" AS "abandonment_rate",
    "base"."aht" AS "aht"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."month" IS NOT DISTINCT FROM "base"."month"
), "flagged" AS (
  /* compare: previous_period (1 month back) */
  /* flag targets: abandonment_rate */
  SELECT
    "cur"."month" AS "month",
    "cur"."offered_calls" AS "offered_calls",
    "prev"."offered_calls" AS "offered_calls_prev",
    CAST("cur"."offered_calls" - "prev"."offered_calls" AS DOUBLE) / CAST(NULLIF(ABS("prev"."offered_calls"), 0) AS DOUBLE) AS "offered_calls_change",
    "cur"."abandonment_rate" AS "abandonment_rate",
    "prev"."abandonment_rate" AS "abandonment_rate_prev",
    "cur"."abandonment_rate" - "prev"."abandonment_rate" AS "abandonment_rate_change",
    CASE
      WHEN "cur"."abandonment_rate" IS NULL
      THEN NULL
      ELSE "cur"."abandonment_rate" <= 0.3
    END AS "abandonment_rate_target_met",
    "cur"."aht" AS "aht",
    "prev"."aht" AS "aht_prev",
    CAST("cur"."aht" - "prev"."aht" AS DOUBLE) / CAST(NULLIF(ABS("prev"."aht"), 0) AS DOUBLE) AS "aht_change"
  FROM "filled" AS "cur"
  LEFT JOIN "filled" AS "prev"
    ON "prev"."month" = CAST("cur"."month" - INTERVAL '1' MONTH AS DATE)
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
/* totals: over all members of queue (sum over sum, not of rows) */
SELECT
  "flagged"."month" AS "month",
  "flagged"."offered_calls" AS "offered_calls",
  "flagged"."offered_calls_prev" AS "offered_calls_prev",
  "flagged"."offered_calls_change" AS "offered_calls_change",
  "flagged"."abandonment_rate" AS "abandonment_rate",
  "flagged"."abandonment_rate_prev" AS "abandonment_rate_prev",
  "flagged"."abandonment_rate_change" AS "abandonment_rate_change",
  "flagged"."abandonment_rate_target_met" AS "abandonment_rate_target_met",
  "flagged"."aht" AS "aht",
  "flagged"."aht_prev" AS "aht_prev",
  "flagged"."aht_change" AS "aht_change",
  COALESCE(
    CAST("data_bounds"."first_0" AS DATE) <= CAST("flagged"."month" AS DATE)
    AND "data_bounds"."last_0" >= CAST("flagged"."month" AS TIMESTAMP) + INTERVAL '1' MONTH - INTERVAL '3600' SECOND,
    FALSE
  ) AS "is_complete"
FROM "flagged"
CROSS JOIN "data_bounds"
ORDER BY
  "flagged"."month";

COMMENT ON VIEW "app"."queue_daily_month_total" IS '队列日报 (month, 合计)';

COMMENT ON COLUMN "app"."queue_daily_month_total"."offered_calls" IS '呼入量: count(*) where leg_seq = 1';

COMMENT ON COLUMN "app"."queue_daily_month_total"."abandonment_rate" IS '放弃率: abandoned_calls / offered_calls';

COMMENT ON COLUMN "app"."queue_daily_month_total"."aht" IS '平均处理时长: handle_seconds / handled_legs';

CREATE VIEW "app"."team_capacity_week" AS
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: handled_legs by week, team (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE) AS "week",
    "m"."agents__team" AS "team",
    SUM("m"."handled_legs__count") AS "handled_legs__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE),
    "m"."agents__team"
), "shifts__shift_date__ind" AS (
  /* read indicator table: ind.shifts_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* join on keys: agent_id -> src.agents */
  /* filter: shift_date_day is not null */
  /* aggregate shifts__shift_date__ind: staffed_hours by week, team (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('WEEK', "m"."shift_date_day") AS DATE) AS "week",
    "m__agents"."team" AS "team",
    SUM("m"."staffed_hours__sum") AS "staffed_hours__sum"
  FROM "ind"."shifts_day" AS "m"
  LEFT JOIN "src"."agents" AS "m__agents"
    ON "m"."agent_id" = "m__agents"."agent_id"
  WHERE
    NOT "m"."shift_date_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('WEEK', "m"."shift_date_day") AS DATE),
    "m__agents"."team"
), "keys" AS (
  SELECT
    "week",
    "team"
  FROM "calls__offered_ts__ind"
  UNION
  SELECT
    "week",
    "team"
  FROM "shifts__shift_date__ind"
), "base" AS (
  /* join aggregates on week, team */
  /* compute metrics: handled_legs, staffed_hours, cph */
  SELECT
    "keys"."week" AS "week",
    "keys"."team" AS "team",
    COALESCE("calls__offered_ts__ind"."handled_legs__count", 0) AS "handled_legs",
    "shifts__shift_date__ind"."staffed_hours__sum" AS "staffed_hours",
    CAST((
      COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
    ) AS DOUBLE) / CAST(NULLIF((
      "shifts__shift_date__ind"."staffed_hours__sum"
    ), 0) AS DOUBLE) AS "cph"
  FROM "keys"
  LEFT JOIN "calls__offered_ts__ind"
    ON "keys"."week" IS NOT DISTINCT FROM "calls__offered_ts__ind"."week"
    AND "keys"."team" IS NOT DISTINCT FROM "calls__offered_ts__ind"."team"
  LEFT JOIN "shifts__shift_date__ind"
    ON "keys"."week" IS NOT DISTINCT FROM "shifts__shift_date__ind"."week"
    AND "keys"."team" IS NOT DISTINCT FROM "shifts__shift_date__ind"."team"
), "spine" AS (
  /* time spine: every week between the first and the last x every combination of team */
  SELECT
    "periods"."week",
    "combos"."team"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '1' WEEK)) AS DATE) AS "week"
    FROM (
      SELECT
        MIN("week") AS lo,
        MAX("week") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
  CROSS JOIN (
    SELECT DISTINCT
      "team"
    FROM "base"
  ) AS "combos"
), "filled" AS (
  /* fill zeros: handled_legs, staffed_hours */
  SELECT
    "spine"."week" AS "week",
    "spine"."team" AS "team",
    COALESCE("base"."handled_legs", 0) AS "handled_legs",
    COALESCE("base"."staffed_hours", 0) AS "staffed_hours",
    "base"."cph" AS "cph"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."week" IS NOT DISTINCT FROM "base"."week"
    AND "spine"."team" IS NOT DISTINCT FROM "base"."team"
), "flagged" AS (
  /* compare: none */
  /* flag targets: none */
  SELECT
    "cur"."week" AS "week",
    "cur"."team" AS "team",
    "cur"."handled_legs" AS "handled_legs",
    "cur"."staffed_hours" AS "staffed_hours",
    "cur"."cph" AS "cph"
  FROM "filled" AS "cur"
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
    ) AS "last_0",
    (
      SELECT
        MIN(CAST("shift_date" AS TIMESTAMP))
      FROM "src"."shifts"
    ) AS "first_1",
    (
      SELECT
        CASE
          WHEN MAX(
            CASE
              WHEN CAST("shift_date" AS TIMESTAMP) = CAST(CAST(CAST("shift_date" AS TIMESTAMP) AS DATE) AS TIMESTAMP)
              THEN 0
              ELSE 1
            END
          ) = 0
          THEN MAX(CAST("shift_date" AS TIMESTAMP)) + INTERVAL '1' DAY
          ELSE MAX(CAST("shift_date" AS TIMESTAMP))
        END
      FROM "src"."shifts"
    ) AS "last_1"
)
/* flag complete periods: covered by src.calls.offered_ts, src.shifts.shift_date, grace 3600 s */
SELECT
  "flagged"."week" AS "week",
  "flagged"."team" AS "team",
  "flagged"."handled_legs" AS "handled_legs",
  "flagged"."staffed_hours" AS "staffed_hours",
  "flagged"."cph" AS "cph",
  COALESCE(
    CAST("data_bounds"."first_0" AS DATE) <= CAST("flagged"."week" AS DATE)
    AND "data_bounds"."last_0" >= CAST("flagged"."week" AS TIMESTAMP) + INTERVAL '1' WEEK - INTERVAL '3600' SECOND
    AND CAST("data_bounds"."first_1" AS DATE) <= CAST("flagged"."week" AS DATE)
    AND "data_bounds"."last_1" >= CAST("flagged"."week" AS TIMESTAMP) + INTERVAL '1' WEEK - INTERVAL '3600' SECOND,
    FALSE
  ) AS "is_complete"
FROM "flagged"
CROSS JOIN "data_bounds"
ORDER BY
  "flagged"."week",
  "flagged"."team";

COMMENT ON VIEW "app"."team_capacity_week" IS '班组产能 (week)';

COMMENT ON COLUMN "app"."team_capacity_week"."handled_legs" IS '处理量: count(*) where answered_ts is not null';

COMMENT ON COLUMN "app"."team_capacity_week"."staffed_hours" IS '在线工时: sum(staffed_seconds / 3600.0)';

COMMENT ON COLUMN "app"."team_capacity_week"."cph" IS '每小时处理量: handled_legs / staffed_hours';

CREATE VIEW "app"."team_capacity_week_total" AS
WITH "calls__offered_ts__ind" AS (
  /* read indicator table: ind.calls_by_queue_team_day (2 dimensions by day: the smallest of 2 tables that hold them) */
  /* filter: offered_ts_day is not null */
  /* aggregate calls__offered_ts__ind: handled_legs by week (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE) AS "week",
    SUM("m"."handled_legs__count") AS "handled_legs__count"
  FROM "ind"."calls_by_queue_team_day" AS "m"
  WHERE
    NOT "m"."offered_ts_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('WEEK', "m"."offered_ts_day") AS DATE)
), "shifts__shift_date__ind" AS (
  /* read indicator table: ind.shifts_day (1 dimension by day: the only table that holds these metrics, dimensions and grain) */
  /* filter: shift_date_day is not null */
  /* aggregate shifts__shift_date__ind: staffed_hours by week (re-aggregated partials) */
  SELECT
    CAST(DATE_TRUNC('WEEK', "m"."shift_date_day") AS DATE) AS "week",
    SUM("m"."staffed_hours__sum") AS "staffed_hours__sum"
  FROM "ind"."shifts_day" AS "m"
  WHERE
    NOT "m"."shift_date_day" IS NULL
  GROUP BY
    CAST(DATE_TRUNC('WEEK', "m"."shift_date_day") AS DATE)
), "keys" AS (
  SELECT
    "week"
  FROM "calls__offered_ts__ind"
  UNION
  SELECT
    "week"
  FROM "shifts__shift_date__ind"
), "base" AS (
  /* join aggregates on week */
  /* compute metrics: handled_legs, staffed_hours, cph */
  SELECT
    "keys"."week" AS "week",
    COALESCE("calls__offered_ts__ind"."handled_legs__count", 0) AS "handled_legs",
    "shifts__shift_date__ind"."staffed_hours__sum" AS "staffed_hours",
    CAST((
      COALESCE("calls__offered_ts__ind"."handled_legs__count", 0)
    ) AS DOUBLE) / CAST(NULLIF((
      "shifts__shift_date__ind"."staffed_hours__sum"
    ), 0) AS DOUBLE) AS "cph"
  FROM "keys"
  LEFT JOIN "calls__offered_ts__ind"
    ON "keys"."week" IS NOT DISTINCT FROM "calls__offered_ts__ind"."week"
  LEFT JOIN "shifts__shift_date__ind"
    ON "keys"."week" IS NOT DISTINCT FROM "shifts__shift_date__ind"."week"
), "spine" AS (
  /* time spine: every week between the first and the last */
  SELECT
    "periods"."week"
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES("lo", "hi", INTERVAL '1' WEEK)) AS DATE) AS "week"
    FROM (
      SELECT
        MIN("week") AS lo,
        MAX("week") AS hi
      FROM "base"
    ) AS "bounds"
  ) AS "periods"
), "filled" AS (
  /* fill zeros: handled_legs, staffed_hours */
  SELECT
    "spine"."week" AS "week",
    COALESCE("base"."handled_legs", 0) AS "handled_legs",
    COALESCE("base"."staffed_hours", 0) AS "staffed_hours",
    "base"."cph" AS "cph"
  FROM "spine"
  LEFT JOIN "base"
    ON "spine"."week" IS NOT DISTINCT FROM "base"."week"
), "flagged" AS (
  /* compare: none */
  /* flag targets: none */
  SELECT
    "cur"."week" AS "week",
    "cur"."handled_legs" AS "handled_legs",
    "cur"."staffed_hours" AS "staffed_hours",
    "cur"."cph" AS "cph"
  FROM "filled" AS "cur"
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
    ) AS "last_0",
    (
      SELECT
        MIN(CAST("shift_date" AS TIMESTAMP))
      FROM "src"."shifts"
    ) AS "first_1",
    (
      SELECT
        CASE
          WHEN MAX(
            CASE
              WHEN CAST("shift_date" AS TIMESTAMP) = CAST(CAST(CAST("shift_date" AS TIMESTAMP) AS DATE) AS TIMESTAMP)
              THEN 0
              ELSE 1
            END
          ) = 0
          THEN MAX(CAST("shift_date" AS TIMESTAMP)) + INTERVAL '1' DAY
          ELSE MAX(CAST("shift_date" AS TIMESTAMP))
        END
      FROM "src"."shifts"
    ) AS "last_1"
)
/* flag complete periods: covered by src.calls.offered_ts, src.shifts.shift_date, grace 3600 s */
/* totals: over all members of team (sum over sum, not of rows) */
SELECT
  "flagged"."week" AS "week",
  "flagged"."handled_legs" AS "handled_legs",
  "flagged"."staffed_hours" AS "staffed_hours",
  "flagged"."cph" AS "cph",
  COALESCE(
    CAST("data_bounds"."first_0" AS DATE) <= CAST("flagged"."week" AS DATE)
    AND "data_bounds"."last_0" >= CAST("flagged"."week" AS TIMESTAMP) + INTERVAL '1' WEEK - INTERVAL '3600' SECOND
    AND CAST("data_bounds"."first_1" AS DATE) <= CAST("flagged"."week" AS DATE)
    AND "data_bounds"."last_1" >= CAST("flagged"."week" AS TIMESTAMP) + INTERVAL '1' WEEK - INTERVAL '3600' SECOND,
    FALSE
  ) AS "is_complete"
FROM "flagged"
CROSS JOIN "data_bounds"
ORDER BY
  "flagged"."week";

COMMENT ON VIEW "app"."team_capacity_week_total" IS '班组产能 (week, 合计)';

COMMENT ON COLUMN "app"."team_capacity_week_total"."handled_legs" IS '处理量: count(*) where answered_ts is not null';

COMMENT ON COLUMN "app"."team_capacity_week_total"."staffed_hours" IS '在线工时: sum(staffed_seconds / 3600.0)';

COMMENT ON COLUMN "app"."team_capacity_week_total"."cph" IS '每小时处理量: handled_legs / staffed_hours';
