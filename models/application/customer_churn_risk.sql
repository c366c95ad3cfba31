{#- Churn-risk band per known customer, as of the last day of the data (DOMAIN.md 2, churn
    row; project rules from seed article 002's example rows):
      high   = 2 or more complaints in the last 30 days and CSAT falling (the customer's
               latest rating, chat or ticket, is lower than the one before it);
      medium = no contact in the last 30 days and a latest rating of 3 or less, or at least
               one complaint in the last 30 days (two complaints without a falling CSAT stay
               medium: more complaints never lower the band);
      low    = everyone else.
    A snapshot: report distinct customers per band, never sum bands over days. -#}
WITH as_of AS (
    SELECT max(contact_ts) AS as_of_ts
    FROM {{ ref('customer_contacts') }}
),

ratings AS (
    SELECT
        customer_id,
        csat,
        row_number() OVER (
            PARTITION BY customer_id ORDER BY contact_ts DESC, contact_id DESC
        ) AS rating_rank
    FROM {{ ref('customer_contacts') }}
    WHERE csat IS NOT NULL
),

last_ratings AS (
    SELECT
        customer_id,
        max(CASE WHEN rating_rank = 1 THEN csat END) AS last_csat,
        max(CASE WHEN rating_rank = 2 THEN csat END) AS previous_csat
    FROM ratings
    WHERE rating_rank <= 2
    GROUP BY customer_id
),

activity AS (
    SELECT
        c.customer_id,
        max(c.contact_ts) AS last_contact_ts,
        sum(
            CASE WHEN c.contact_ts > a.as_of_ts - INTERVAL '30' DAY THEN 1 ELSE 0 END
        ) AS contacts_30d,
        sum(
            CASE
                WHEN c.is_complaint AND c.contact_ts > a.as_of_ts - INTERVAL '30' DAY THEN 1
                ELSE 0
            END
        ) AS complaints_30d
    FROM {{ ref('customer_contacts') }} AS c
    CROSS JOIN as_of AS a
    GROUP BY c.customer_id
),

flagged AS (
    SELECT
        t.customer_id,
        CAST(a.as_of_ts AS DATE) AS as_of_date,
        t.last_contact_ts,
        t.contacts_30d,
        t.complaints_30d,
        r.last_csat,
        r.previous_csat,
        coalesce(r.last_csat < r.previous_csat, FALSE) AS csat_falling
    FROM activity AS t
    CROSS JOIN as_of AS a
    LEFT JOIN last_ratings AS r ON t.customer_id = r.customer_id
)

SELECT
    customer_id,
    as_of_date,
    last_contact_ts,
    contacts_30d,
    complaints_30d,
    last_csat,
    previous_csat,
    csat_falling,
    CASE
        WHEN complaints_30d >= 2 AND csat_falling THEN 'high'
        WHEN contacts_30d = 0 AND last_csat <= 3 THEN 'medium'
        WHEN complaints_30d >= 1 THEN 'medium'
        ELSE 'low'
    END AS risk_band,
    CASE
        WHEN complaints_30d >= 2 AND csat_falling THEN '30天内投诉' || CAST(complaints_30d AS VARCHAR)
            || '次且满意度下降'
        WHEN contacts_30d = 0 AND last_csat <= 3 THEN '30天无接触且最近满意度'
            || CAST(last_csat AS VARCHAR) || '分'
        WHEN complaints_30d >= 1 THEN '30天内投诉' || CAST(complaints_30d AS VARCHAR) || '次'
        ELSE '无风险信号'
    END AS reason
FROM flagged
