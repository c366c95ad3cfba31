{#- Customer contacts: one row per contact a known customer made, whatever the channel: an
    offered inbound call (first leg), a chat session or a ticket. Anonymous contacts (no
    customer_id) are left out so that contacts and distinct customers cover the same people.
    Complaints are tickets flagged is_complaint (the complaints metric), never call types.
    Feeds interactions per customer (month grain) and the churn-risk model. -#}
SELECT
    'call' AS contact_channel,
    leg_id AS contact_id,
    customer_id,
    offered_ts AS contact_ts,
    CAST(NULL AS INTEGER) AS csat,
    FALSE AS is_complaint
FROM {{ ref('call_legs') }}
WHERE is_offered_call AND customer_id IS NOT NULL AND offered_ts IS NOT NULL

UNION ALL

SELECT
    'chat' AS contact_channel,
    chat_id AS contact_id,
    customer_id,
    started_ts AS contact_ts,
    csat,
    FALSE AS is_complaint
FROM {{ ref('chats') }}
WHERE customer_id IS NOT NULL AND started_ts IS NOT NULL

UNION ALL

SELECT
    'ticket' AS contact_channel,
    ticket_id AS contact_id,
    customer_id,
    created_ts AS contact_ts,
    csat,
    is_complaint
FROM {{ ref('tickets') }}
WHERE customer_id IS NOT NULL AND created_ts IS NOT NULL
