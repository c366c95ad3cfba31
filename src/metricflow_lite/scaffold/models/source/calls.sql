-- One row per call, typed. Add cleaning (dedup, masking) here.
select
    call_id,
    queue,
    agent_id,
    cast(offered_ts as timestamp) as offered_ts,
    cast(answered_ts as timestamp) as answered_ts,
    cast(handle_seconds as integer) as handle_seconds
from {{ source('calls') }}
