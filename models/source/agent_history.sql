{#- Agent history (坐席班组变更): one row per version of an agent's team and site, valid over
    [valid_from, valid_to); valid_to is NULL while the version is current. Joins into it pick
    the version valid at the row's time (metrics/workforce.yml). -#}
WITH latest AS (
    SELECT *
    FROM (
        SELECT
            *,
            row_number() OVER (
                PARTITION BY agent_id, valid_from ORDER BY _load_id DESC, _line DESC
            ) AS _version
        FROM {{ source('agent_history') }}
        WHERE agent_id IS NOT NULL AND valid_from IS NOT NULL
    ) AS numbered
    WHERE _version = 1
)

SELECT
    trim(h.agent_id) AS agent_id,
    h.team,
    trim(h.site_id) AS site_id,
    CAST(h.valid_from AS TIMESTAMP) AS valid_from,
    CAST(h.valid_to AS TIMESTAMP) AS valid_to,
    h._load_id,
    h._file,
    h._line
FROM latest AS h
