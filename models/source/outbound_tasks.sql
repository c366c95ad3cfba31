{#- Outbound tasks (外呼事务): one row per task; its attempts are the outbound call legs
    with the same outbound_task_id. -#}
{%- macro parse_ts(col) -%}
coalesce(
        try_strptime({{ col }}, '%Y-%m-%d %H:%M:%S'),
        try_strptime({{ col }}, '%Y/%m/%d %H:%M:%S'),
        try_strptime({{ col }}, '%Y-%m-%d %H:%M'),
        try_strptime({{ col }}, '%Y/%m/%d %H:%M')
    )
{%- endmacro -%}
WITH latest AS (
    SELECT *
    FROM (
        SELECT
            *,
            row_number() OVER (PARTITION BY task_id ORDER BY _load_id DESC, _line DESC)
                AS _version
        FROM {{ source('outbound_tasks') }}
        WHERE task_id IS NOT NULL
    ) AS numbered
    WHERE _version = 1
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
    (created_ts IS NULL OR {{ parse_ts('created_ts') }} IS NULL)
    OR (closed_ts IS NOT NULL AND {{ parse_ts('closed_ts') }} IS NULL) AS has_bad_timestamp,
    _load_id,
    _file,
    _line
FROM latest
