{#- Agents: the roster with the current team and site (no history is kept). -#}
WITH latest AS (
    SELECT *
    FROM (
        SELECT
            *,
            row_number() OVER (PARTITION BY agent_id ORDER BY _load_id DESC, _line DESC)
                AS _version
        FROM {{ source('agents') }}
        WHERE agent_id IS NOT NULL
    ) AS numbered
    WHERE _version = 1
)

SELECT
    trim(a.agent_id) AS agent_id,
    a.agent_name,
    a.team,
    a.site_id,
    s.site_name,
    CAST(coalesce(
        try_strptime(a.hire_date, '%Y-%m-%d'), try_strptime(a.hire_date, '%Y/%m/%d')
    ) AS DATE) AS hire_date,
    -- staff numbers are personal data too: keep the first 3 and last 4 digits
    CASE
        WHEN length(a.phone) = 11 THEN substr(a.phone, 1, 3) || '****' || substr(a.phone, 8, 4)
    END AS phone,
    a._load_id,
    a._file,
    a._line
FROM latest AS a
LEFT JOIN {{ ref('sites') }} AS s ON trim(a.site_id) = s.site_id
