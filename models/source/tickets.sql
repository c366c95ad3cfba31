{#- Tickets (工单): one row per work order; a reopened ticket keeps its id. Created times may
    come as Excel serial numbers; rows whose time cannot be read stay, flagged. -#}
{%- from 'cleaning.sql' import parse_ts, parse_flag -%}
WITH latest AS (
    -- source() yields the last version of each ticket_id (natural_key in seeds/tickets.yml:
    -- the export loaded last, and its last line); rows without a ticket_id are left out
    SELECT *
    FROM {{ source('tickets') }}
    WHERE ticket_id IS NOT NULL
),

typed AS (
    SELECT
        ticket_id,
        nullif(trim(customer_id), '') AS customer_id,
        nullif(trim(agent_id), '') AS agent_id,
        lower(trim(channel)) AS channel,
        coalesce(nullif(trim(category_l1), ''), '其他') AS category_l1,
        coalesce(nullif(trim(category_l2), ''), '未分类') AS category_l2,
        region,
        priority,
        {{ parse_ts('created_ts', excel_serial=true) }} AS created_ts,
        {{ parse_ts('first_reply_ts', excel_serial=true) }} AS first_reply_ts,
        {{ parse_ts('resolved_ts', excel_serial=true) }} AS resolved_ts,
        (created_ts IS NULL OR {{ parse_ts('created_ts', excel_serial=true) }} IS NULL)
        OR (first_reply_ts IS NOT NULL AND {{ parse_ts('first_reply_ts', excel_serial=true) }} IS NULL)
        OR (resolved_ts IS NOT NULL AND {{ parse_ts('resolved_ts', excel_serial=true) }} IS NULL)
            AS has_bad_timestamp,
        coalesce(CAST(reopened_count AS INTEGER), 0) AS reopened_count,
        status,
        -- unrated stays NULL, never 0; NPS 0 is a real detractor (DOMAIN.md 3.12)
        CASE WHEN CAST(csat AS INTEGER) BETWEEN 1 AND 5 THEN CAST(csat AS INTEGER) END AS csat,
        CASE WHEN CAST(nps AS INTEGER) BETWEEN 0 AND 10 THEN CAST(nps AS INTEGER) END AS nps,
        coalesce({{ parse_flag('is_complaint') }}, trim(category_l1) = '投诉') AS is_complaint,
        _load_id,
        _file,
        _line
    FROM latest
),

complaints AS (
    -- the customer's previous complaint, for the 30-day repeat-complaint rate
    SELECT
        ticket_id,
        lag(created_ts) OVER (PARTITION BY customer_id ORDER BY created_ts, ticket_id)
            AS previous_complaint_ts
    FROM typed
    WHERE is_complaint AND customer_id IS NOT NULL AND created_ts IS NOT NULL
)

SELECT
    t.ticket_id,
    t.customer_id,
    t.agent_id,
    t.channel,
    t.category_l1,
    t.category_l2,
    t.region,
    t.priority,
    t.created_ts,
    t.first_reply_ts,
    t.resolved_ts,
    t.reopened_count,
    t.status,
    t.csat,
    t.nps,
    t.is_complaint,
    CAST(t.created_ts AS DATE) AS created_date,
    date_diff('second', t.created_ts, t.first_reply_ts) / 60.0 AS first_reply_minutes,
    date_diff('second', t.created_ts, t.resolved_ts) / 3600.0 AS resolve_hours,
    t.first_reply_ts IS NOT NULL AS is_replied,
    t.resolved_ts IS NOT NULL AS is_resolved,
    t.resolved_ts IS NULL AS is_open,
    coalesce(
        date_diff('second', t.created_ts, t.resolved_ts) <= 24 * 3600, FALSE
    ) AS resolved_within_24h,
    t.resolved_ts IS NOT NULL AND t.reopened_count > 0 AS is_reopened,
    coalesce(
        t.is_complaint AND c.previous_complaint_ts >= t.created_ts - INTERVAL '30' DAY, FALSE
    ) AS is_repeat_complaint,
    t.csat IS NOT NULL AS is_rated,
    t.csat >= 4 AS csat_satisfied,
    t.nps >= 9 AS nps_promoter,
    t.nps <= 6 AS nps_detractor,
    t.has_bad_timestamp,
    t._load_id,
    t._file,
    t._line
FROM typed AS t
LEFT JOIN complaints AS c ON t.ticket_id = c.ticket_id
