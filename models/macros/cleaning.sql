{#- Cleaning macros shared by the source models: export files mix formats (DOMAIN.md 1). -#}

{#- A timestamp written as 2024-08-01 09:03:00, 2024/8/1 9:03:00 or without seconds; with
    excel_serial, also an Excel serial day number (45602.4375 = 2024-11-06 10:30). NULL when
    nothing matches, so the row is kept and flagged rather than dropped. -#}
{%- macro parse_ts(col, excel_serial=false) -%}
coalesce(
        try_strptime({{ col }}, '%Y-%m-%d %H:%M:%S'),
        try_strptime({{ col }}, '%Y/%m/%d %H:%M:%S'),
        try_strptime({{ col }}, '%Y-%m-%d %H:%M'),
        try_strptime({{ col }}, '%Y/%m/%d %H:%M')
{%- if excel_serial %},
        CASE
            WHEN regexp_full_match({{ col }}, '[0-9]{5}(\.[0-9]+)?')
                THEN CAST('1899-12-30' AS TIMESTAMP)
                + INTERVAL (CAST(round(CAST({{ col }} AS DOUBLE) * 86400) AS BIGINT)) SECOND
        END
{%- endif %}
    )
{%- endmacro -%}

{#- A yes/no flag written as 是/否, Y/N, yes/no, 1/0 or true/false; NULL when unreadable. -#}
{%- macro parse_flag(col) -%}
CASE
        WHEN lower(trim({{ col }})) IN ('是', 'y', 'yes', '1', 'true', 't') THEN TRUE
        WHEN lower(trim({{ col }})) IN ('否', 'n', 'no', '0', 'false', 'f') THEN FALSE
    END
{%- endmacro -%}
