{#- Sites: the contact center's locations; agents.site_id joins here. -#}
SELECT
    trim(site_id) AS site_id,
    site_name,
    city,
    _load_id,
    _file,
    _line
FROM (
    SELECT
        *,
        row_number() OVER (PARTITION BY site_id ORDER BY _load_id DESC, _line DESC) AS _version
    FROM {{ source('sites') }}
    WHERE site_id IS NOT NULL
) AS numbered
WHERE _version = 1
