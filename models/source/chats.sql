{#- Chats: one row per session. A customer leaves and resumes, so one issue can span several
    sessions: count customers distinct (DOMAIN.md 1). -#}
{%- from 'cleaning.sql' import parse_ts, parse_flag -%}
WITH latest AS (
    -- source() yields the last version of each chat_id (natural_key in seeds/chats.yml:
    -- the export loaded last, and its last line); rows without a chat_id are left out
    SELECT *
    FROM {{ source('chats') }}
    WHERE chat_id IS NOT NULL
),

typed AS (
    SELECT
        chat_id,
        nullif(trim(customer_id), '') AS customer_id,
        nullif(trim(agent_id), '') AS agent_id,
        lower(trim(channel)) AS channel,
        {{ parse_ts('started_ts') }} AS started_ts,
        {{ parse_ts('first_response_ts') }} AS first_response_ts,
        {{ parse_ts('ended_ts') }} AS ended_ts,
        (started_ts IS NULL OR {{ parse_ts('started_ts') }} IS NULL)
        OR (first_response_ts IS NOT NULL AND {{ parse_ts('first_response_ts') }} IS NULL)
        OR (ended_ts IS NOT NULL AND {{ parse_ts('ended_ts') }} IS NULL) AS has_bad_timestamp,
        coalesce(CAST(agent_messages AS INTEGER), 0) AS agent_messages,
        coalesce(CAST(customer_messages AS INTEGER), 0) AS customer_messages,
        -- unrated stays NULL, never 0 (DOMAIN.md 3.12)
        CASE WHEN CAST(csat AS INTEGER) BETWEEN 1 AND 5 THEN CAST(csat AS INTEGER) END AS csat,
        {{ parse_flag('resolved') }} AS resolved,
        _load_id,
        _file,
        _line
    FROM latest
)

SELECT
    chat_id,
    customer_id,
    agent_id,
    channel,
    started_ts,
    first_response_ts,
    ended_ts,
    agent_messages,
    customer_messages,
    csat,
    resolved,
    CAST(started_ts AS DATE) AS started_date,
    first_response_ts IS NOT NULL AS is_responded,
    date_diff('second', started_ts, first_response_ts) AS first_response_seconds,
    date_diff('second', started_ts, ended_ts) AS duration_seconds,
    csat IS NOT NULL AS is_rated,
    csat >= 4 AS csat_satisfied,
    has_bad_timestamp,
    _load_id,
    _file,
    _line
FROM typed
