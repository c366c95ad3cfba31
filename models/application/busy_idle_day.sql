{#- Busy/idle differential (忙闲差异) per day, on inbound calls. An hour of the day is busy when
    its offered calls reach the day's 75th percentile of hourly volume (interpolated like
    percentile_cont, over the hours that had calls); the others are idle. Each side's rates
    are sum / sum over its hours, and the differential is busy minus idle (percentage points
    for rates, seconds for ASA and AHT).
    Why a model and not metrics YAML: every metric has the hour_of_day time part, so
    `mfl query --metrics offered_calls,abandoned_calls --by hour_of_day --grain day` gives
    both sides' inputs, but the busy flag depends on the other hours of the same day (a
    percentile over an aggregate), which a derived metric, computed within one group, cannot
    see. -#}
WITH hourly AS (
    SELECT
        offered_date AS day,
        offered_hour AS hour_of_day,
        sum(CASE WHEN is_offered_call THEN 1 ELSE 0 END) AS offered_calls,
        sum(CASE WHEN is_offered_call AND is_answered THEN 1 ELSE 0 END) AS answered_calls,
        sum(CASE WHEN is_abandoned THEN 1 ELSE 0 END) AS abandoned_calls,
        sum(CASE WHEN answered_within_sl THEN 1 ELSE 0 END) AS calls_answered_within_sl,
        sum(
            CASE WHEN is_offered_call AND is_answered THEN wait_seconds ELSE 0 END
        ) AS answer_wait_seconds,
        sum(CASE WHEN is_handled THEN 1 ELSE 0 END) AS handled_legs,
        sum(CASE WHEN is_handled THEN handle_seconds ELSE 0 END) AS handle_seconds
    FROM {{ ref('call_legs') }}
    WHERE direction = 'inbound' AND offered_ts IS NOT NULL
    GROUP BY offered_date, offered_hour
    HAVING sum(CASE WHEN is_offered_call THEN 1 ELSE 0 END) > 0
),

ranked AS (
    SELECT
        day,
        offered_calls,
        row_number() OVER (PARTITION BY day ORDER BY offered_calls) - 1 AS hour_rank,
        0.75 * (count(*) OVER (PARTITION BY day) - 1) AS p75_position
    FROM hourly
),

thresholds AS (
    -- percentile_cont(0.75) written out (linear interpolation between the two nearest hours),
    -- because Spark would turn percentile_cont into an approximate percentile
    SELECT
        day,
        max(CASE WHEN hour_rank = floor(p75_position) THEN offered_calls END)
        + (
            max(CASE WHEN hour_rank = ceil(p75_position) THEN offered_calls END)
            - max(CASE WHEN hour_rank = floor(p75_position) THEN offered_calls END)
        ) * max(p75_position - floor(p75_position)) AS busy_threshold
    FROM ranked
    GROUP BY day
),

sides AS (
    SELECT
        h.day,
        t.busy_threshold,
        h.offered_calls >= t.busy_threshold AS is_busy,
        count(*) AS hours,
        sum(h.offered_calls) AS offered_calls,
        sum(h.answered_calls) AS answered_calls,
        sum(h.abandoned_calls) AS abandoned_calls,
        sum(h.calls_answered_within_sl) AS calls_answered_within_sl,
        sum(h.answer_wait_seconds) AS answer_wait_seconds,
        sum(h.handled_legs) AS handled_legs,
        sum(h.handle_seconds) AS handle_seconds
    FROM hourly AS h
    INNER JOIN thresholds AS t ON h.day = t.day
    GROUP BY h.day, t.busy_threshold, h.offered_calls >= t.busy_threshold
),

rates AS (
    SELECT
        day,
        busy_threshold,
        is_busy,
        hours,
        offered_calls,
        CAST(abandoned_calls AS DOUBLE) / nullif(offered_calls, 0) AS abandonment_rate,
        CAST(calls_answered_within_sl AS DOUBLE) / nullif(offered_calls, 0) AS service_level,
        CAST(answer_wait_seconds AS DOUBLE) / nullif(answered_calls, 0) AS asa,
        CAST(handle_seconds AS DOUBLE) / nullif(handled_legs, 0) AS aht
    FROM sides
)

SELECT
    b.day,
    b.busy_threshold,
    b.hours AS busy_hours,
    i.hours AS idle_hours,
    b.offered_calls AS busy_offered_calls,
    i.offered_calls AS idle_offered_calls,
    b.abandonment_rate AS busy_abandonment_rate,
    i.abandonment_rate AS idle_abandonment_rate,
    b.abandonment_rate - i.abandonment_rate AS abandonment_rate_diff,
    b.service_level AS busy_service_level,
    i.service_level AS idle_service_level,
    b.service_level - i.service_level AS service_level_diff,
    b.asa AS busy_asa,
    i.asa AS idle_asa,
    b.asa - i.asa AS asa_diff,
    b.aht AS busy_aht,
    i.aht AS idle_aht,
    b.aht - i.aht AS aht_diff
FROM rates AS b
LEFT JOIN rates AS i ON b.day = i.day AND NOT i.is_busy
WHERE b.is_busy
