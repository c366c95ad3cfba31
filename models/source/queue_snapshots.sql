{#- Queue snapshots (队列快照): the calls waiting in each inbound queue every 15 minutes. -#}
{%- from 'cleaning.sql' import parse_ts -%}
WITH latest AS (
    SELECT *
    FROM (
        SELECT
            *,
            row_number() OVER (
                PARTITION BY snapshot_ts, queue ORDER BY _load_id DESC, _line DESC
            ) AS _version
        FROM {{ source('queue_snapshots') }}
        WHERE snapshot_ts IS NOT NULL AND queue IS NOT NULL
    ) AS numbered
    WHERE _version = 1
)

SELECT
    {{ parse_ts('snapshot_ts') }} AS snapshot_ts,
    queue,
    waiting_calls,
    longest_wait_seconds,
    _load_id,
    _file,
    _line
FROM latest
WHERE {{ parse_ts('snapshot_ts') }} IS NOT NULL
