-- test: test_spark_rewrites_a_table_once_from_its_kept_and_new_rows
-- Spark has no DELETE: a day table rewritten for 2024-12-30 and rows without a time, and a
CREATE TABLE `ind__staging`.`calls_day` AS
SELECT
  *
FROM `ind`.`calls_day`
WHERE
  NOT (
    (
      (
        `offered_ts_day` IN (CAST('2024-12-30' AS DATE)) OR `offered_ts_day` IS NULL
      )
    ) IS TRUE
  )
UNION ALL
SELECT
  *
FROM (
  /* read rows: src.calls (the rows behind calls_day) */
  /* aggregate calls_day: abandoned_calls, avg_handle, handle_seconds, handled_legs, offered_calls by offered_ts_day, queue, agent_id, transfer_agent_id (from rows) */
  SELECT
    CAST(`m`.`offered_ts` AS DATE) AS `offered_ts_day`,
    `m`.`queue` AS `queue`,
    `m`.`agent_id` AS `agent_id`,
    `m`.`transfer_agent_id` AS `transfer_agent_id`,
    COUNT(CASE WHEN `m`.leg_seq = 1 AND `m`.answered_ts IS NULL THEN 1 END) AS `abandoned_calls__count`,
    SUM(`m`.handle_seconds) AS `avg_handle__sum`,
    COUNT(`m`.handle_seconds) AS `avg_handle__count`,
    SUM(`m`.handle_seconds) AS `handle_seconds__sum`,
    COUNT(CASE WHEN NOT `m`.answered_ts IS NULL THEN 1 END) AS `handled_legs__count`,
    COUNT(CASE WHEN `m`.leg_seq = 1 THEN 1 END) AS `offered_calls__count`
  FROM `src__staging`.`calls` AS `m`
  GROUP BY
    CAST(`m`.`offered_ts` AS DATE),
    `m`.`queue`,
    `m`.`agent_id`,
    `m`.`transfer_agent_id`
) AS `_q`
WHERE
  (
    `_q`.`offered_ts_day` IN (CAST('2024-12-30' AS DATE))
    OR `_q`.`offered_ts_day` IS NULL
  );

CREATE TABLE `src__staging`.`calls` AS
SELECT
  *
FROM `src`.`calls`
WHERE
  NOT (
    (
      (
        `calls`.`leg_id` IN (
          SELECT
            `_mfl_key`.`leg_id`
          FROM `_mfl_keys` AS `_mfl_key`
        )
      )
      OR (
        `calls`.`leg_id` IS NULL
        AND EXISTS(
          SELECT
            1
          FROM `_mfl_keys` AS `_mfl_key`
          WHERE
            `_mfl_key`.`leg_id` IS NULL
        )
      )
    ) IS TRUE
  )
UNION ALL
SELECT
  *
FROM (
  SELECT
    leg_id,
    queue,
    _load_id
  FROM (
    SELECT
      *
    FROM `raw`.`calls` AS `_mfl_row`
    WHERE
      NOT EXISTS(
        SELECT
          1
        FROM (
          SELECT
            `_mfl_older`.`leg_id`,
            `_mfl_older`.`_load_id`,
            `_mfl_older`.`_line`
          FROM `_mfl_keys` AS `_mfl_rewritten_key`
          JOIN `raw`.`calls` AS `_mfl_older`
            ON `_mfl_older`.`leg_id` = `_mfl_rewritten_key`.`leg_id`
          JOIN `raw`.`calls` AS `_mfl_newer`
            ON `_mfl_newer`.`leg_id` = `_mfl_older`.`leg_id`
            AND (
              `_mfl_newer`.`_load_id` > `_mfl_older`.`_load_id`
              OR (
                `_mfl_newer`.`_load_id` = `_mfl_older`.`_load_id`
                AND `_mfl_newer`.`_line` > `_mfl_older`.`_line`
              )
            )
        ) AS `_mfl_superseded`
        WHERE
          `_mfl_superseded`.`leg_id` = `_mfl_row`.`leg_id`
          AND `_mfl_superseded`.`_load_id` = `_mfl_row`.`_load_id`
          AND `_mfl_superseded`.`_line` = `_mfl_row`.`_line`
      )
      AND (
        (
          `_mfl_row`.`leg_id` IN (
            SELECT
              `_mfl_key`.`leg_id`
            FROM `_mfl_keys` AS `_mfl_key`
          )
        )
        OR (
          `_mfl_row`.`leg_id` IS NULL
          AND EXISTS(
            SELECT
              1
            FROM `_mfl_keys` AS `_mfl_key`
            WHERE
              `_mfl_key`.`leg_id` IS NULL
          )
        )
      )
  )
) AS `_q`;
