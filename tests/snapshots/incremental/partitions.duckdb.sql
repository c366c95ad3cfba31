-- test: test_partition_rewrite_sql[duckdb]
-- The statements that rewrite a source table by window partition: the loads' keys' rows
-- _mfl_key_rows
WITH legs AS (
  SELECT
    leg_id,
    call_id,
    customer_id,
    offered_ts,
    _load_id
  FROM (
    SELECT
      *
    FROM "raw"."calls" AS "_mfl_row"
    WHERE
      NOT EXISTS(
        SELECT
          1
        FROM (
          SELECT
            "_mfl_older"."leg_id",
            "_mfl_older"."_load_id",
            "_mfl_older"."_line"
          FROM "_mfl_keys" AS "_mfl_rewritten_key"
          JOIN "raw"."calls" AS "_mfl_older"
            ON "_mfl_older"."leg_id" = "_mfl_rewritten_key"."leg_id"
          JOIN "raw"."calls" AS "_mfl_newer"
            ON "_mfl_newer"."leg_id" = "_mfl_older"."leg_id"
            AND (
              "_mfl_newer"."_load_id" > "_mfl_older"."_load_id"
              OR (
                "_mfl_newer"."_load_id" = "_mfl_older"."_load_id"
                AND "_mfl_newer"."_line" > "_mfl_older"."_line"
              )
            )
        ) AS "_mfl_superseded"
        WHERE
          "_mfl_superseded"."leg_id" = "_mfl_row"."leg_id"
          AND "_mfl_superseded"."_load_id" = "_mfl_row"."_load_id"
          AND "_mfl_superseded"."_line" = "_mfl_row"."_line"
      )
      AND EXISTS(
        SELECT
          1
        FROM "_mfl_keys" AS "_mfl_key"
        WHERE
          "_mfl_key"."leg_id" IS NOT DISTINCT FROM "_mfl_row"."leg_id"
      )
  )
)
SELECT
  "leg_id",
  "call_id",
  "customer_id"
FROM "legs"
UNION ALL
SELECT
  "_mfl_old"."leg_id",
  "_mfl_old"."call_id",
  "_mfl_old"."customer_id"
FROM "src"."calls" AS "_mfl_old"
WHERE
  EXISTS(
    SELECT
      1
    FROM "_mfl_keys" AS "_mfl_key"
    WHERE
      "_mfl_key"."leg_id" IS NOT DISTINCT FROM "_mfl_old"."leg_id"
  );

-- _mfl_old_hashes
SELECT
  "_mfl_row"."leg_id",
  "_mfl_row"."call_id",
  "_mfl_row"."customer_id",
  CAST("_mfl_row"."next_ts" AS DATE) AS _mfl_day_0,
  CAST(HASH("_mfl_row") AS INT128) AS _mfl_hash
FROM "src"."calls" AS "_mfl_row"
WHERE
  EXISTS(
    SELECT
      1
    FROM "_mfl_key_rows" AS "_mfl_key"
    WHERE
      "_mfl_key"."call_id" IS NOT DISTINCT FROM "_mfl_row"."call_id"
  )
  OR EXISTS(
    SELECT
      1
    FROM "_mfl_key_rows" AS "_mfl_key"
    WHERE
      "_mfl_key"."customer_id" IS NOT DISTINCT FROM "_mfl_row"."customer_id"
  );

-- _mfl_rewrite_rows
SELECT
  "leg_id",
  "call_id",
  "customer_id"
FROM "_mfl_old_hashes"
UNION ALL
SELECT
  "leg_id",
  "call_id",
  "customer_id"
FROM "_mfl_key_rows";

-- _mfl_rewrite
SELECT
  "leg_id"
FROM "_mfl_keys"
UNION
SELECT
  "leg_id"
FROM "_mfl_rewrite_rows";

-- _mfl_read
SELECT
  "leg_id"
FROM "_mfl_rewrite"
UNION
SELECT
  "_mfl_old"."leg_id"
FROM "src"."calls" AS "_mfl_old"
WHERE
  EXISTS(
    SELECT
      1
    FROM "_mfl_rewrite_rows" AS "_mfl_key"
    WHERE
      "_mfl_key"."call_id" IS NOT DISTINCT FROM "_mfl_old"."call_id"
  )
  OR EXISTS(
    SELECT
      1
    FROM "_mfl_rewrite_rows" AS "_mfl_key"
    WHERE
      "_mfl_key"."customer_id" IS NOT DISTINCT FROM "_mfl_old"."customer_id"
  );

-- _mfl_new_rows
SELECT
  *
FROM (
  WITH legs AS (
    SELECT
      leg_id,
      call_id,
      customer_id,
      offered_ts,
      _load_id
    FROM (
      SELECT
        *
      FROM "raw"."calls" AS "_mfl_row"
      WHERE
        NOT EXISTS(
          SELECT
            1
          FROM (
            SELECT
              "_mfl_older"."leg_id",
              "_mfl_older"."_load_id",
              "_mfl_older"."_line"
            FROM "_mfl_read" AS "_mfl_rewritten_key"
            JOIN "raw"."calls" AS "_mfl_older"
              ON "_mfl_older"."leg_id" = "_mfl_rewritten_key"."leg_id"
            JOIN "raw"."calls" AS "_mfl_newer"
              ON "_mfl_newer"."leg_id" = "_mfl_older"."leg_id"
              AND (
                "_mfl_newer"."_load_id" > "_mfl_older"."_load_id"
                OR (
                  "_mfl_newer"."_load_id" = "_mfl_older"."_load_id"
                  AND "_mfl_newer"."_line" > "_mfl_older"."_line"
                )
              )
          ) AS "_mfl_superseded"
          WHERE
            "_mfl_superseded"."leg_id" = "_mfl_row"."leg_id"
            AND "_mfl_superseded"."_load_id" = "_mfl_row"."_load_id"
            AND "_mfl_superseded"."_line" = "_mfl_row"."_line"
        )
        AND EXISTS(
          SELECT
            1
          FROM "_mfl_read" AS "_mfl_key"
          WHERE
            "_mfl_key"."leg_id" IS NOT DISTINCT FROM "_mfl_row"."leg_id"
        )
    )
  ), per_call AS (
    SELECT
      leg_id,
      COUNT(*) OVER (PARTITION BY call_id) AS n
    FROM legs
  ), nxt AS (
    SELECT
      leg_id,
      LEAD(offered_ts) OVER (PARTITION BY customer_id ORDER BY offered_ts) AS next_ts
    FROM legs
    WHERE
      NOT customer_id IS NULL
  )
  SELECT
    l.leg_id,
    l.call_id,
    l.customer_id,
    k.n,
    x.next_ts,
    l._load_id
  FROM legs AS l
  LEFT JOIN per_call AS k
    ON l.leg_id = k.leg_id
  LEFT JOIN nxt AS x
    ON l.leg_id = x.leg_id
) AS "_q"
WHERE
  EXISTS(
    SELECT
      1
    FROM "_mfl_rewrite" AS "_mfl_key"
    WHERE
      "_mfl_key"."leg_id" IS NOT DISTINCT FROM "_q"."leg_id"
  );

-- _mfl_new_hashes
SELECT
  "_mfl_row"."leg_id",
  CAST("_mfl_row"."next_ts" AS DATE) AS _mfl_day_0,
  CAST(HASH("_mfl_row") AS INT128) AS _mfl_hash
FROM "_mfl_new_rows" AS "_mfl_row";

-- _mfl_changed
SELECT
  "leg_id"
FROM (
  SELECT
    "leg_id",
    -COUNT(*) AS row_count,
    -SUM("_mfl_hash") AS fingerprint
  FROM "_mfl_old_hashes"
  GROUP BY
    "leg_id"
  UNION ALL
  SELECT
    "leg_id",
    COUNT(*) AS row_count,
    SUM("_mfl_hash") AS fingerprint
  FROM "_mfl_new_hashes"
  GROUP BY
    "leg_id"
) AS "_k"
GROUP BY
  "leg_id"
HAVING
  SUM("row_count") <> 0 OR SUM("fingerprint") <> 0;

-- _mfl_old_hashes (days)
SELECT
  'calls' AS src_table,
  'next_ts' AS time_column,
  "_mfl_row"."_mfl_day_0" AS day,
  -(
    COUNT(*)
  ) AS row_count,
  -(
    SUM("_mfl_row"."_mfl_hash")
  ) AS fingerprint
FROM "_mfl_old_hashes" AS "_mfl_row"
WHERE
  EXISTS(
    SELECT
      1
    FROM "_mfl_changed" AS "_mfl_key"
    WHERE
      "_mfl_key"."leg_id" IS NOT DISTINCT FROM "_mfl_row"."leg_id"
  )
GROUP BY
  "_mfl_row"."_mfl_day_0";

-- _mfl_new_hashes (days)
SELECT
  'calls' AS src_table,
  'next_ts' AS time_column,
  "_mfl_row"."_mfl_day_0" AS day,
  COUNT(*) AS row_count,
  SUM("_mfl_row"."_mfl_hash") AS fingerprint
FROM "_mfl_new_hashes" AS "_mfl_row"
WHERE
  EXISTS(
    SELECT
      1
    FROM "_mfl_changed" AS "_mfl_key"
    WHERE
      "_mfl_key"."leg_id" IS NOT DISTINCT FROM "_mfl_row"."leg_id"
  )
GROUP BY
  "_mfl_row"."_mfl_day_0";

-- (whole)
SELECT
  'calls' AS src_table,
  COUNT(*) AS row_count,
  SUM("_mfl_row"."_mfl_hash") AS fingerprint
FROM "_mfl_new_hashes" AS "_mfl_row"
WHERE
  EXISTS(
    SELECT
      1
    FROM "_mfl_changed" AS "_mfl_key"
    WHERE
      "_mfl_key"."leg_id" IS NOT DISTINCT FROM "_mfl_row"."leg_id"
  );

DELETE FROM "src"."calls" WHERE EXISTS(SELECT 1 FROM "_mfl_changed" AS "_mfl_key" WHERE "_mfl_key"."leg_id" IS NOT DISTINCT FROM "calls"."leg_id");

INSERT INTO "src"."calls" SELECT * FROM "_mfl_new_rows" AS "_mfl_row" WHERE EXISTS(SELECT 1 FROM "_mfl_changed" AS "_mfl_key" WHERE "_mfl_key"."leg_id" IS NOT DISTINCT FROM "_mfl_row"."leg_id");
