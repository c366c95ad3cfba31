-- test: test_indicator_table_sql
-- The day-level indicator table of the calls model.
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
  "m"."transfer_agent_id"
