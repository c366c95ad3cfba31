{#- Call legs: one row per queue/agent episode of a call, typed, deduplicated and masked.
    Calls are counted on first legs (leg_seq = 1), work on every answered leg (DOMAIN.md 3.2). -#}
{%- from 'cleaning.sql' import parse_ts, parse_flag -%}
{%- set short_abandon_seconds = var('short_abandon_seconds', 6) -%}
{%- set service_level_seconds = var('service_level_seconds', 20) -%}
{%- set outlier_seconds = 4 * 3600 -%}
{%- set phone_salt = 'mfl-demo' -%}
WITH latest AS (
    -- source() yields the last version of each leg_id (natural_key in seeds/call_legs.yml:
    -- the export loaded last, and its last line); rows without a leg_id are left out
    SELECT *
    FROM {{ source('call_legs') }}
    WHERE leg_id IS NOT NULL
),

typed AS (
    SELECT
        leg_id,
        call_id,
        CAST(leg_seq AS INTEGER) AS leg_seq,
        lower(trim(direction)) AS direction,
        queue,
        nullif(trim(agent_id), '') AS agent_id,
        nullif(trim(transfer_agent_id), '') AS transfer_agent_id,
        nullif(trim(customer_id), '') AS customer_id,
        regexp_replace(coalesce(customer_phone, ''), '[^0-9]', '', 'g') AS phone_digits,
        region,
        coalesce(nullif(trim(call_type_l1), ''), '其他') AS call_type_l1,
        coalesce(nullif(trim(call_type_l2), ''), '未分类') AS call_type_l2,
        {{ parse_ts('offered_ts') }} AS offered_ts,
        {{ parse_ts('answered_ts') }} AS answered_ts,
        {{ parse_ts('ended_ts') }} AS ended_ts,
        (offered_ts IS NOT NULL AND {{ parse_ts('offered_ts') }} IS NULL)
        OR (answered_ts IS NOT NULL AND {{ parse_ts('answered_ts') }} IS NULL)
        OR (ended_ts IS NOT NULL AND {{ parse_ts('ended_ts') }} IS NULL)
        OR offered_ts IS NULL AS has_bad_timestamp,
        coalesce(CAST(talk_seconds AS INTEGER), 0) AS talk_seconds,
        coalesce(CAST(hold_seconds AS INTEGER), 0) AS hold_seconds,
        coalesce(CAST(acw_seconds AS INTEGER), 0) AS acw_seconds,
        lower(trim(disposition)) AS disposition,
        {{ parse_flag('resolved') }} AS resolved,
        nullif(trim(outbound_task_id), '') AS outbound_task_id,
        _load_id,
        _file,
        _line
    FROM latest
),

masked AS (
    SELECT
        *,
        -- strip the country code so every spelling of a number hashes alike
        CASE
            WHEN length(phone_digits) = 13 AND substr(phone_digits, 1, 2) = '86'
                THEN substr(phone_digits, 3)
            ELSE phone_digits
        END AS phone_national
    FROM typed
),

legs AS (
    SELECT
        leg_id,
        call_id,
        leg_seq,
        direction,
        queue,
        agent_id,
        transfer_agent_id,
        customer_id,
        CASE
            WHEN phone_national = '' THEN NULL
            WHEN length(phone_national) = 11 AND substr(phone_national, 1, 1) = '1'
                THEN substr(phone_national, 1, 3) || '****' || substr(phone_national, 8, 4)
            ELSE '****' || substr(phone_national, length(phone_national) - 3, 4)
        END AS customer_phone,
        CASE
            WHEN phone_national <> '' THEN md5('{{ phone_salt }}' || phone_national)
        END AS customer_phone_hash,
        region,
        call_type_l1,
        call_type_l2,
        offered_ts,
        answered_ts,
        ended_ts,
        has_bad_timestamp,
        talk_seconds,
        hold_seconds,
        acw_seconds,
        disposition,
        resolved,
        outbound_task_id,
        answered_ts IS NOT NULL AS is_answered,
        leg_seq = 1 AS is_first_leg,
        direction = 'inbound' AND leg_seq = 1 AS is_offered_call,
        date_diff('second', offered_ts, coalesce(answered_ts, ended_ts)) AS wait_seconds,
        CASE
            WHEN answered_ts IS NOT NULL THEN talk_seconds + hold_seconds + acw_seconds
            ELSE 0
        END AS handle_seconds,
        _load_id,
        _file,
        _line
    FROM masked
),

per_leg AS (
    -- values read from other legs: of the call (all its legs) and of the caller (the next
    -- inbound call, for the 7-day repeat-call rate). Only the leg's key and the windows'
    -- columns go through the windows (sorting every column of every leg by call made this
    -- the build's largest cost), and both are joined back at once.
    SELECT
        leg_id,
        count(*) OVER (PARTITION BY call_id) AS call_leg_count,
        first_value(resolved) OVER (
            PARTITION BY call_id ORDER BY leg_seq DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS final_leg_resolved,
        CASE
            WHEN is_offered_call AND customer_id IS NOT NULL THEN lead(offered_ts) OVER (
                PARTITION BY customer_id, is_offered_call ORDER BY offered_ts, leg_id
            )
        END AS next_offered_ts
    FROM legs
)

SELECT
    c.leg_id,
    c.call_id,
    c.leg_seq,
    c.direction,
    c.queue,
    c.agent_id,
    c.transfer_agent_id,
    c.customer_id,
    c.customer_phone,
    c.customer_phone_hash,
    c.region,
    c.call_type_l1,
    c.call_type_l2,
    c.offered_ts,
    c.answered_ts,
    c.ended_ts,
    c.talk_seconds,
    c.hold_seconds,
    c.acw_seconds,
    c.disposition,
    c.resolved,
    c.outbound_task_id,
    CAST(c.offered_ts AS DATE) AS offered_date,
    CAST(extract(HOUR FROM c.offered_ts) AS INTEGER) AS offered_hour,
    c.wait_seconds,
    c.handle_seconds,
    c.is_first_leg,
    c.is_offered_call,
    c.is_answered,
    c.is_offered_call AND NOT c.is_answered AS is_abandoned,
    c.is_offered_call AND NOT c.is_answered
    AND c.wait_seconds < {{ short_abandon_seconds }} AS is_short_abandon,
    c.direction = 'inbound' AND c.is_answered AS is_handled,
    c.is_offered_call AND c.is_answered
    AND c.wait_seconds <= {{ service_level_seconds }} AS answered_within_sl,
    c.is_offered_call AND k.call_leg_count > 1 AS call_transferred,
    c.is_offered_call AND c.is_answered
    AND coalesce(k.final_leg_resolved, FALSE) AS call_resolved,
    c.is_offered_call AND c.is_answered
    AND coalesce(
        k.next_offered_ts <= c.offered_ts + INTERVAL '7' DAY, FALSE
    ) AS repeat_call_7d,
    c.talk_seconds > {{ outlier_seconds }}
    OR c.handle_seconds > {{ outlier_seconds }} AS is_outlier,
    c.has_bad_timestamp,
    c._load_id,
    c._file,
    c._line
FROM legs AS c
LEFT JOIN per_leg AS k ON c.leg_id = k.leg_id
