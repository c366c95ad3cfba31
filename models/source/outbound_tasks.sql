{#- Outbound tasks (外呼事务): one row per task; its attempts are the outbound call legs
    with the same outbound_task_id. -#}
{%- from 'cleaning.sql' import parse_ts -%}
WITH latest AS (
    -- source() yields the last version of each task_id (natural_key in seeds/outbound_tasks.yml:
    -- the export loaded last, and its last line); rows without a task_id are left out
    SELECT *
    FROM {{ source('outbound_tasks') }}
    WHERE task_id IS NOT NULL
),

attempts AS (
    -- a task's attempts are its outbound legs, dated with the task (cohort), not the dial time
    SELECT
        outbound_task_id,
        count(*) AS attempt_count,
        sum(CASE WHEN is_answered THEN 1 ELSE 0 END) AS connected_attempts
    FROM {{ ref('call_legs') }}
    WHERE direction = 'outbound' AND outbound_task_id IS NOT NULL
    GROUP BY outbound_task_id
)

SELECT
    task_id,
    reason,
    target_type,
    {{ parse_ts('created_ts') }} AS created_ts,
    {{ parse_ts('closed_ts') }} AS closed_ts,
    CASE
        WHEN lower(trim(resolved)) IN ('是', 'y', 'yes', '1', 'true', 't') THEN TRUE
        WHEN lower(trim(resolved)) IN ('否', 'n', 'no', '0', 'false', 'f') THEN FALSE
    END AS resolved,
    CAST({{ parse_ts('created_ts') }} AS DATE) AS created_date,
    {{ parse_ts('closed_ts') }} IS NOT NULL AS is_closed,
    {{ parse_ts('closed_ts') }} IS NOT NULL
    AND lower(trim(resolved)) IN ('是', 'y', 'yes', '1', 'true', 't') AS is_resolved,
    coalesce(a.attempt_count, 0) AS attempt_count,
    coalesce(a.connected_attempts, 0) AS connected_attempts,
    coalesce(a.connected_attempts, 0) > 0 AS is_contacted,
    (created_ts IS NULL OR {{ parse_ts('created_ts') }} IS NULL)
    OR (closed_ts IS NOT NULL AND {{ parse_ts('closed_ts') }} IS NULL) AS has_bad_timestamp,
    _load_id,
    _file,
    _line
FROM latest
LEFT JOIN attempts AS a ON latest.task_id = a.outbound_task_id
