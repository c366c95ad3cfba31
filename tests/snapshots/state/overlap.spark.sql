-- test: test_history_indicator_and_overlap_sql[spark]
-- The calls day table stores the team and city of the version at each leg's time.
SELECT
  `agent_id`,
  `valid_from`,
  `valid_to`,
  `next_from`,
  COUNT(*) OVER () AS `overlaps`
FROM (
  SELECT
    `agent_id`,
    `valid_from`,
    `valid_to`,
    LEAD(`valid_from`) OVER (PARTITION BY `agent_id` ORDER BY `valid_from` NULLS LAST, `valid_to` NULLS LAST) AS `next_from`
  FROM `src`.`agent_history`
  WHERE
    NOT `agent_id` IS NULL AND NOT `valid_from` IS NULL
) AS `versions`
WHERE
  NOT `next_from` IS NULL AND (
    `valid_to` IS NULL OR `valid_to` > `next_from`
  )
ORDER BY
  `agent_id` NULLS LAST,
  `valid_from` NULLS LAST
LIMIT 1
