{#- Attendance: one row per login record. A shift may have several logins (sum them) and
    belongs to shift_date even when the logout falls on the next day (DOMAIN.md 3.8). -#}
{%- from 'cleaning.sql' import parse_ts -%}
WITH typed AS (
    SELECT
        trim(agent_id) AS agent_id,
        CAST(coalesce(
            try_strptime(shift_date, '%Y-%m-%d'), try_strptime(shift_date, '%Y/%m/%d')
        ) AS DATE) AS shift_date,
        {{ parse_ts('login_ts') }} AS login_ts,
        {{ parse_ts('logout_ts') }} AS logout_ts,
        coalesce(CAST(break_seconds AS INTEGER), 0) AS break_seconds,
        lower(trim(status)) AS status,
        {{ parse_ts('sched_start') }} AS sched_start,
        {{ parse_ts('sched_end') }} AS sched_end,
        (login_ts IS NOT NULL AND {{ parse_ts('login_ts') }} IS NULL)
        OR (logout_ts IS NOT NULL AND {{ parse_ts('logout_ts') }} IS NULL)
        OR (sched_start IS NOT NULL AND {{ parse_ts('sched_start') }} IS NULL)
        OR (sched_end IS NOT NULL AND {{ parse_ts('sched_end') }} IS NULL)
        OR shift_date IS NULL AS has_bad_timestamp,
        _load_id,
        _file,
        _line
    FROM {{ source('attendance') }}
    WHERE agent_id IS NOT NULL
),

latest AS (
    -- natural key agent_id + shift_date + login_ts; a later export corrects a record
    SELECT *
    FROM (
        SELECT
            *,
            row_number() OVER (
                PARTITION BY agent_id, shift_date, login_ts ORDER BY _load_id DESC, _line DESC
            ) AS _version
        FROM typed
    ) AS numbered
    WHERE _version = 1
),

measured AS (
    SELECT
        *,
        status = 'present' AS is_present,
        sched_start IS NOT NULL AND sched_end IS NOT NULL AS is_scheduled,
        CASE
            WHEN status = 'present' AND logout_ts > login_ts
                THEN date_diff('second', login_ts, logout_ts)
            ELSE 0
        END AS paid_seconds,
        CASE
            WHEN sched_end > sched_start THEN date_diff('second', sched_start, sched_end)
            ELSE 0
        END AS span_seconds,
        CASE
            WHEN status = 'present' AND logout_ts > login_ts AND sched_end > sched_start
                THEN greatest(0, date_diff(
                    'second', greatest(login_ts, sched_start), least(logout_ts, sched_end)
                ))
            ELSE 0
        END AS adherent_seconds,
        row_number() OVER (
            PARTITION BY agent_id, shift_date ORDER BY login_ts NULLS LAST, _line
        ) AS login_seq
    FROM latest
)

SELECT
    agent_id,
    shift_date,
    login_ts,
    logout_ts,
    break_seconds,
    status,
    sched_start,
    sched_end,
    login_seq,
    is_present,
    is_scheduled,
    -- the schedule and the shift count once, on the shift's first login record
    is_present AND login_seq = 1 AS is_present_shift,
    is_scheduled AND login_seq = 1 AS is_scheduled_shift,
    greatest(0, paid_seconds - CASE WHEN is_present THEN break_seconds ELSE 0 END)
        AS staffed_seconds,
    paid_seconds,
    CASE WHEN login_seq = 1 THEN span_seconds ELSE 0 END AS scheduled_seconds,
    adherent_seconds,
    has_bad_timestamp,
    _load_id,
    _file,
    _line
FROM measured
