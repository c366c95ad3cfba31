"""Generate the demo contact center's raw export files (seeds/) set-wise in DuckDB.

Every random draw is `hash(key, salt, seed)` mapped to [0, 1), so the same arguments give the
same rows whatever the thread count; rows are written with COPY in a fixed order, then the
export quirks that only text files can carry (malformed lines) are appended and the big files
compressed with a fixed gzip header, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

FORMATS = ("auto", "csv", "csv.gz", "parquet")
DEFAULT_START = date(2024, 10, 14)  # a Monday; 92 days cross month, quarter and year ends

# Dimension tables stay plain CSV whatever the format, so people can read them.
SMALL_TABLES = ("sites", "agents", "agent_history", "attendance")
BIG_TABLES = ("call_legs", "outbound_tasks", "tickets", "queue_snapshots")
SPLIT_TABLE = "chats"  # written as monthly export files under seeds/chats/

SITES = (
    ("北京朝阳中心", "北京"),
    ("成都天府中心", "成都"),
    ("武汉光谷中心", "武汉"),
    ("西安高新中心", "西安"),
    ("合肥滨湖中心", "合肥"),
    ("长沙岳麓中心", "长沙"),
    ("郑州郑东中心", "郑州"),
    ("南京江北中心", "南京"),
)
# (team name stem, pool, agents per team, teams at scale 1)
TEAM_PLAN = (
    ("售前", "售前", 8, 2),
    ("售后", "售后", 8, 2),
    ("投诉处理", "投诉", 7, 1),
    ("外呼", "外呼", 5, 1),
)
# Inbound pools: (pool, queue, talk median s, resolved share on the final leg, AHT used for demand)
POOLS = (
    ("售前", "售前咨询", 215, 0.84, 345),
    ("售后", "售后服务", 260, 0.78, 390),
    ("投诉", "投诉专线", 380, 0.66, 520),
)
# (pool, call_type_l1, call_type_l2, queue, weight): the hierarchy of DOMAIN.md section 4
CALL_TYPES = (
    ("售前", "业务咨询", "售前", "售前咨询", 70),
    ("售前", "业务咨询", "售中", "售前咨询", 15),
    ("售前", "建议和反馈", "产品建议", "售前咨询", 6),
    ("售前", "特殊客户(电话)", "合作", "售前咨询", 5),
    ("售前", "其他", "未分类", "售前咨询", 4),
    ("售后", "业务咨询", "售后", "售后服务", 45),
    ("售后", "业务咨询", "售中", "售后服务", 12),
    ("售后", "取消和价格变更", "取消订单", "售后服务", 18),
    ("售后", "取消和价格变更", "价格变更", "售后服务", 8),
    ("售后", "建议和反馈", "服务建议", "售后服务", 7),
    ("售后", "投诉", "物流/上门时效", "售后服务", 6),
    ("售后", "其他", "未分类", "售后服务", 4),
    ("投诉", "投诉", "服务态度", "投诉专线", 30),
    ("投诉", "投诉", "物流/上门时效", "投诉专线", 28),
    ("投诉", "投诉", "产品质量", "投诉专线", 22),
    ("投诉", "特殊客户(电话)", "VIP", "VIP专线", 15),
    ("投诉", "其他", "未分类", "投诉专线", 5),
)
REGIONS = ("华北", "华东", "华东", "华南", "华中", "西南", "西北", "东北")
# Offered volume relative to staffing, by hour of day: peaks in the morning and afternoon.
HOUR_LOAD = (
    0.45, 0.4, 0.4, 0.4, 0.4, 0.45, 0.55, 0.7, 0.92, 1.1, 1.14, 1.06,
    0.94, 0.98, 1.08, 1.1, 1.02, 0.96, 0.9, 0.86, 0.82, 0.74, 0.6, 0.5,
)  # fmt: skip
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鑫宇浩然欣怡晨雪婷")
OUTBOUND_REASONS = (
    "回访满意度",
    "预约上门时间",
    "催付尾款",
    "工单进度告知",
    "师傅改约",
    "投诉回访",
)


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What to generate: period, size, randomness and file format."""

    days: int = 92
    scale: float = 1.0
    seed: int = 7
    start: date = DEFAULT_START
    out: Path = Path("seeds")
    format: str = "auto"  # auto: call_legs as parquet, the other big tables as csv.gz


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """One file written: its path, data rows and malformed lines appended."""

    path: Path
    rows: int
    malformed: int


MACROS = r"""
CREATE MACRO rnd(k, salt) AS (hash(k, salt, getvariable('seed')) >> 11) / 9007199254740992.0;
CREATE MACRO rnorm(k, salt) AS
    sqrt(-2 * ln(1 - rnd(k, salt || ':a'))) * cos(2 * pi() * rnd(k, salt || ':b'));
CREATE MACRO rexp(k, salt, mean) AS -mean * ln(1 - rnd(k, salt));
CREATE MACRO pick(xs, u) AS xs[1 + least(floor(u * len(xs))::INTEGER, len(xs) - 1)];
CREATE MACRO ts_text(ts, k, salt) AS CASE
    WHEN ts IS NULL THEN NULL
    WHEN rnd(k, salt) < 0.003 THEN strftime(ts, '%Y/%-m/%-d %-H:%M:%S')
    WHEN rnd(k, salt) < 0.004 THEN strftime(ts, '%Y-%m-%d %-H:%M')
    ELSE strftime(ts, '%Y-%m-%d %H:%M:%S') END;
CREATE MACRO flag_text(b, k) AS CASE
    WHEN b IS NULL THEN NULL
    WHEN rnd(k, 'flagfmt') < 0.7 THEN CASE WHEN b THEN '是' ELSE '否' END
    WHEN rnd(k, 'flagfmt') < 0.9 THEN CASE WHEN b THEN 'Y' ELSE 'N' END
    ELSE CASE WHEN b THEN '1' ELSE '0' END END;
CREATE MACRO customer_key(n) AS 'U' || lpad(n::VARCHAR, 7, '0');
CREATE MACRO mobile(n, salt) AS
    pick(['130', '131', '135', '136', '137', '138', '139', '150', '151', '152', '158', '159',
          '166', '176', '177', '180', '181', '186', '187', '188', '189', '199'], rnd(n, salt))
    || lpad(floor(rnd(n, salt || ':d') * 100000000)::BIGINT::VARCHAR, 8, '0');
CREATE MACRO phone_text(n, k) AS CASE
    WHEN rnd(n, 'landline') < 0.1 THEN
        pick(['010', '021', '027', '028', '029', '025'], rnd(n, 'area'))
        || CASE WHEN rnd(k, 'phfmt') < 0.8 THEN '-' ELSE '' END
        || lpad(floor(rnd(n, 'land:d') * 100000000)::BIGINT::VARCHAR, 8, '0')
    WHEN rnd(k, 'phfmt') < 0.72 THEN mobile(n, 'mob')
    WHEN rnd(k, 'phfmt') < 0.84 THEN '+86 ' || substr(mobile(n, 'mob'), 1, 3) || ' '
        || substr(mobile(n, 'mob'), 4, 4) || ' ' || substr(mobile(n, 'mob'), 8, 4)
    WHEN rnd(k, 'phfmt') < 0.94 THEN '86' || mobile(n, 'mob')
    ELSE '+86' || mobile(n, 'mob') END;
"""

AGENTS = r"""
CREATE TABLE agents_base AS
WITH seats AS (
    SELECT t.team_no, t.team, t.pool, t.site_id, r.k
    FROM teams t, range(t.size) r(k)
), numbered AS (
    SELECT row_number() OVER (ORDER BY team_no, k) AS agent_no, * FROM seats
)
SELECT agent_no, 'A' || lpad(agent_no::VARCHAR, 5, '0') AS agent_id, team, pool, site_id,
    row_number() OVER (PARTITION BY pool ORDER BY agent_no) - 1 AS pool_rank,
    pick(getvariable('surnames'), rnd(agent_no, 'sn')) || pick(getvariable('given'),
        rnd(agent_no, 'g1')) || CASE WHEN rnd(agent_no, 'g2n') < 0.7
        THEN pick(getvariable('given'), rnd(agent_no, 'g2')) ELSE '' END AS agent_name,
    CASE WHEN rnd(agent_no, 'newhire') < 0.06
        THEN getvariable('start') + (7 + floor(rnd(agent_no, 'hire') * 35))::INTEGER
        ELSE DATE '2018-03-01' + floor(rnd(agent_no, 'hire')
            * (getvariable('start') - DATE '2018-05-01'))::INTEGER END AS hire_date,
    mobile(agent_no, 'agentphone') AS phone
FROM numbered;
"""

ATTENDANCE = r"""
CREATE TABLE days AS
SELECT i::INTEGER AS day_idx, getvariable('start') + i::INTEGER AS d
FROM range(getvariable('days')) t(i);

CREATE TABLE shifts AS
WITH agent_days AS (
    SELECT a.agent_no, a.agent_id, a.pool, d.day_idx, d.d,
        a.agent_no * 100000 + d.day_idx AS k,
        (d.day_idx + a.agent_no * 3) % 7 IN (5, 6) AS is_off,
        a.pool = '售后' AND (d.day_idx + a.pool_rank) % 8 = 0 AS on_night
    FROM agents_base a JOIN days d ON d.d >= a.hire_date
), typed AS (
    SELECT *, CASE
        WHEN on_night THEN 'night'
        WHEN is_off THEN CASE WHEN rnd(k, 'overtime') < 0.012 THEN 'overtime' END
        WHEN pool = '外呼' THEN 'office'
        ELSE pick(['early', 'early', 'middle', 'middle', 'late'],
                  rnd(agent_no * 1000 + day_idx // 7, 'shift')) END AS shift_type
    FROM agent_days
), timed AS (
    SELECT *,
        d + CASE shift_type WHEN 'early' THEN INTERVAL 8 HOUR WHEN 'late' THEN INTERVAL 13 HOUR
            WHEN 'night' THEN INTERVAL 22 HOUR WHEN 'office' THEN INTERVAL 9 HOUR
            ELSE INTERVAL 10 HOUR END AS plan_start,
        CASE WHEN shift_type = 'overtime' THEN 'present'
            WHEN rnd(k, 'status') < 0.05 THEN 'leave'
            WHEN rnd(k, 'status') < 0.08 THEN 'absent'
            ELSE 'present' END AS status
    FROM typed WHERE shift_type IS NOT NULL
)
SELECT agent_no, agent_id, pool, d AS shift_date, day_idx, k, status, shift_type,
    CASE WHEN shift_type <> 'overtime' THEN plan_start END AS sched_start,
    CASE WHEN shift_type <> 'overtime' THEN plan_start + INTERVAL 9 HOUR END AS sched_end,
    CASE WHEN status = 'present' THEN plan_start + INTERVAL (round(rnorm(k, 'in') * 120 - 150
        + CASE WHEN rnd(k, 'late') < 0.05 THEN 600 + rnd(k, 'lateby') * 1800 ELSE 0 END)) SECOND
        END AS login_at,
    CASE WHEN status = 'present' THEN plan_start + INTERVAL 9 HOUR + INTERVAL (round(
        rnorm(k, 'out') * 240 + 240
        - CASE WHEN rnd(k, 'early') < 0.02 THEN 3600 + rnd(k, 'earlyby') * 3600 ELSE 0 END))
        SECOND END AS logout_at,
    CASE WHEN status = 'present' THEN (CASE WHEN shift_type = 'night' THEN 5400 ELSE 3600 END
        + round((rnd(k, 'brk') - 0.5) * 1200))::INTEGER END AS break_s,
    status = 'present' AND rnd(k, 'split') < 0.05 AS is_split
FROM timed;

-- One row per login record; a split shift logs out for a while and logs in again.
CREATE TABLE logins AS
WITH parts AS (
    SELECT s.*, p.part FROM shifts s, range(CASE WHEN s.is_split THEN 2 ELSE 1 END) p(part)
), cut AS (
    SELECT *, login_at + INTERVAL (round(date_diff('second', login_at, logout_at)
        * (0.35 + 0.3 * rnd(k, 'cut')))) SECOND AS cut_at
    FROM parts
)
SELECT agent_no, agent_id, pool, shift_date, day_idx, k * 10 + part AS k, status,
    sched_start, sched_end,
    CASE WHEN NOT is_split THEN login_at WHEN part = 0 THEN login_at
        ELSE cut_at + INTERVAL (600 + round(rnd(k, 'gap') * 1800)) SECOND END AS login_at,
    CASE WHEN NOT is_split THEN logout_at WHEN part = 0 THEN cut_at ELSE logout_at END
        AS logout_at,
    CASE WHEN NOT is_split THEN break_s WHEN part = 0 THEN break_s // 2
        ELSE break_s - break_s // 2 END AS break_s
FROM cut;

CREATE TABLE session_hours AS
WITH spans AS (
    SELECT agent_id, pool, login_at, logout_at,
        1 - break_s / date_diff('second', login_at, logout_at) AS on_share,
        unnest(range(date_trunc('hour', login_at), logout_at, INTERVAL 1 HOUR)) AS hour_ts
    FROM logins WHERE status = 'present'
)
SELECT agent_id, pool, hour_ts, date_diff('second', greatest(login_at, hour_ts),
    least(logout_at, hour_ts + INTERVAL 1 HOUR)) * on_share AS staffed_s
FROM spans;

CREATE TABLE hour_agents AS
WITH present AS (
    SELECT hour_ts, pool, agent_id FROM session_hours GROUP BY ALL HAVING sum(staffed_s) > 300
), pooled AS (
    SELECT * FROM present UNION ALL SELECT hour_ts, 'any', agent_id FROM present
)
SELECT hour_ts, pool, agent_id,
    row_number() OVER (PARTITION BY hour_ts, pool ORDER BY agent_id) - 1 AS idx
FROM pooled;

CREATE TABLE hour_pool_n AS SELECT hour_ts, pool, count(*) AS n FROM hour_agents GROUP BY ALL;
"""

CALLS = r"""
CREATE TABLE demand AS
WITH staffed AS (
    SELECT hour_ts, pool, sum(staffed_s) / 3600 AS n_eff FROM session_hours
    WHERE pool <> '外呼' GROUP BY ALL
), loaded AS (
    SELECT s.*, p.pool_code, p.demand_aht,
        getvariable('hour_load')[hour(hour_ts) + 1] * CASE
            WHEN month(hour_ts) = 11 AND day(hour_ts) = 11 THEN 1.3
            WHEN month(hour_ts) = 11 AND day(hour_ts) <= 10 THEN 1.12
            WHEN month(hour_ts) = 1 AND day(hour_ts) = 1 THEN 0.7
            WHEN isodow(hour_ts) >= 6 THEN 0.9 ELSE 1 END
        * (0.9 + 0.2 * rnd(epoch(hour_ts)::BIGINT * 10 + p.pool_code, 'noise')) AS load_f
    FROM staffed s JOIN pools p USING (pool)
)
SELECT *, 0.85 * load_f AS rho,
    round(n_eff * 0.85 * 3600 / demand_aht * load_f)::INTEGER AS n_calls
FROM loaded;

CREATE TABLE calls AS
WITH arrivals AS (
    SELECT d.hour_ts, d.pool, d.rho, r.k,
        d.hour_ts + INTERVAL (floor(rnd((epoch(d.hour_ts)::BIGINT * 10 + d.pool_code)
            * 100000 + r.k, 'arrive') * 3600)) SECOND AS offered_at
    FROM demand d, range(d.n_calls) r(k)
)
SELECT row_number() OVER (ORDER BY offered_at, pool, k) AS call_no, hour_ts, pool, rho,
    offered_at
FROM arrivals;

CREATE TABLE legs (
    call_no BIGINT, leg_seq INTEGER, direction VARCHAR, pool VARCHAR, queue VARCHAR,
    agent_id VARCHAR, transfer_agent_id VARCHAR, offered_at TIMESTAMP, answered_at TIMESTAMP,
    ended_at TIMESTAMP, talk_s INTEGER, hold_s INTEGER, acw_s INTEGER, resolved BOOLEAN,
    next_pool VARCHAR, task_no BIGINT
);

INSERT INTO legs
WITH drawn AS (
    SELECT c.*, 2 + rnd(call_no, 'ring') * 8
        + CASE WHEN rnd(call_no, 'queued') < least(0.85, greatest(0.03, 0.05 + 1.6 * (rho - 0.68)))
            THEN rexp(call_no, 'queue', 8 + 120 * greatest(0, rho - 0.78)) ELSE 0 END AS need_s,
        rexp(call_no, 'patience', 300) AS patience_s
    FROM calls c
), decided AS (
    SELECT *, patience_s >= need_s AS answered,
        greatest(1, round(least(need_s, patience_s)))::INTEGER AS wait_s
    FROM drawn
), staffed AS (
    SELECT d.*, p.queue, p.talk_median, p.resolve_share, h.agent_id
    FROM decided d JOIN pools p USING (pool)
    JOIN hour_pool_n n ON n.hour_ts = d.hour_ts AND n.pool = d.pool
    JOIN hour_agents h ON h.hour_ts = d.hour_ts AND h.pool = d.pool
        AND h.idx = floor(rnd(d.call_no, 'agent') * n.n)
), timed AS (
    SELECT *,
        CASE WHEN answered THEN offered_at + INTERVAL (wait_s) SECOND END AS answered_at,
        CASE WHEN answered THEN least(3600, greatest(12, round(talk_median
            * exp(0.6 * rnorm(call_no, 'talk'))))) ELSE 0 END::INTEGER AS talk_s,
        CASE WHEN answered AND rnd(call_no, 'held') < 0.3
            THEN round(rexp(call_no, 'hold', 45)) ELSE 0 END::INTEGER AS hold_s,
        CASE WHEN answered THEN round(12 + 38 * exp(0.5 * rnorm(call_no, 'acw')))
            ELSE 0 END::INTEGER AS acw_s
    FROM staffed
)
SELECT call_no, 1, 'inbound', pool, queue, CASE WHEN answered THEN agent_id END, NULL,
    offered_at, answered_at,
    CASE WHEN answered THEN answered_at + INTERVAL (talk_s + hold_s) SECOND
        ELSE offered_at + INTERVAL (wait_s) SECOND END,
    talk_s, hold_s, acw_s,
    CASE WHEN answered THEN rnd(call_no, 'resolved') < resolve_share END,
    CASE WHEN answered AND rnd(call_no, 'xfer') < 0.075 THEN CASE pool
        WHEN '售前' THEN pick(['售后', '售后', '投诉'], rnd(call_no, 'xferto'))
        WHEN '售后' THEN pick(['投诉', '投诉', '售前'], rnd(call_no, 'xferto'))
        ELSE '售后' END END,
    NULL
FROM timed;
"""

# A transferred leg starts when the previous one ends and goes to an agent of the target pool.
TRANSFER = r"""
INSERT INTO legs
WITH src AS (
    SELECT l.call_no * 10 + l.leg_seq AS k, l.*, date_trunc('hour', l.ended_at) AS hour_ts
    FROM legs l WHERE l.leg_seq = ? AND l.next_pool IS NOT NULL
), staffed AS (
    SELECT s.k, s.call_no, s.leg_seq + 1 AS leg_seq, s.next_pool AS pool, p.queue,
        p.talk_median, p.resolve_share, s.agent_id AS from_agent, s.ended_at AS offered_at,
        h.agent_id, rnd(s.k, 'xans') > 0.04 AS answered,
        round(3 + rexp(s.k, 'xwait', 15))::INTEGER AS wait_s
    FROM src s JOIN pools p ON p.pool = s.next_pool
    JOIN hour_pool_n n ON n.hour_ts = s.hour_ts AND n.pool = s.next_pool
    JOIN hour_agents h ON h.hour_ts = s.hour_ts AND h.pool = s.next_pool
        AND h.idx = floor(rnd(s.k, 'xagent') * n.n)
    WHERE h.agent_id <> s.agent_id
), timed AS (
    SELECT *,
        CASE WHEN answered THEN offered_at + INTERVAL (wait_s) SECOND END AS answered_at,
        CASE WHEN answered THEN least(3600, greatest(12, round(talk_median
            * exp(0.6 * rnorm(k, 'xtalk'))))) ELSE 0 END::INTEGER AS talk_s,
        CASE WHEN answered AND rnd(k, 'xheld') < 0.3
            THEN round(rexp(k, 'xhold', 45)) ELSE 0 END::INTEGER AS hold_s,
        CASE WHEN answered THEN round(12 + 38 * exp(0.5 * rnorm(k, 'xacw')))
            ELSE 0 END::INTEGER AS acw_s
    FROM staffed
)
SELECT call_no, leg_seq, 'inbound', pool, queue, CASE WHEN answered THEN agent_id END,
    from_agent, offered_at, answered_at,
    CASE WHEN answered THEN answered_at + INTERVAL (talk_s + hold_s) SECOND
        ELSE offered_at + INTERVAL (wait_s) SECOND END,
    talk_s, hold_s, acw_s,
    CASE WHEN answered THEN rnd(k, 'xresolved') < resolve_share END,
    CASE WHEN answered AND leg_seq < 3 AND rnd(k, 'xfer2') < 0.08 THEN CASE pool
        WHEN '投诉' THEN '售后' ELSE '投诉' END END,
    NULL
FROM timed;
"""

FINISH_CALLS = r"""
-- Only transfers that found an agent count; the legs before them were transferred, unresolved.
UPDATE legs SET next_pool = NULL
WHERE next_pool IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM legs n WHERE n.call_no = legs.call_no AND n.leg_seq = legs.leg_seq + 1);
UPDATE legs SET resolved = false WHERE next_pool IS NOT NULL;

-- A couple of 1,000-minute calls: the line stayed open after the customer left.
UPDATE legs SET talk_s = 60000 + floor(rnd(call_no, 'outlier:len') * 600)::INTEGER,
    ended_at = answered_at + INTERVAL (60000 + floor(rnd(call_no, 'outlier:len') * 600)
        + hold_s) SECOND
WHERE call_no IN (
    SELECT call_no FROM legs
    WHERE leg_seq = 1 AND answered_at IS NOT NULL AND next_pool IS NULL
        AND hour(offered_at) BETWEEN 19 AND 21
    ORDER BY rnd(call_no, 'outlier'), call_no LIMIT getvariable('n_outliers'));

-- Callers: a skewed pool of customers, and follow-up calls (more often after an unresolved
-- call) from the customer of an earlier call, a few days back.
CREATE TABLE call_customers AS
WITH firsts AS (
    SELECT l.call_no, coalesce(f.resolved, false) AS resolved FROM legs l
    JOIN (SELECT call_no, arg_max(resolved, leg_seq) AS resolved FROM legs GROUP BY call_no) f
        USING (call_no)
    WHERE l.leg_seq = 1
), base AS (
    SELECT call_no, resolved,
        floor(pow(rnd(call_no, 'cust'), 1.2) * getvariable('n_customers'))::BIGINT AS cust_no,
        call_no - 1 - floor(rnd(call_no, 'lag') * getvariable('calls_per_day') * 4)::BIGINT
            AS earlier_no
    FROM firsts
)
SELECT b.call_no, CASE
        WHEN rnd(b.call_no, 'anonymous') < 0.01 THEN NULL
        WHEN e.call_no IS NOT NULL AND (rnd(b.call_no, 'followup') < 0.06
            OR (NOT e.resolved AND rnd(b.call_no, 'followup') < 0.4)) THEN e.cust_no
        ELSE b.cust_no END AS cust_no
FROM base b LEFT JOIN base e ON e.call_no = b.earlier_no;
"""

OUTBOUND = r"""
CREATE TABLE tasks AS
WITH per_day AS (
    SELECT d.*, round(getvariable('tasks_per_day') * CASE WHEN isodow(d) >= 6 THEN 0.5
        WHEN month(d) = 11 AND day(d) <= 11 THEN 1.3 ELSE 1 END
        * (0.85 + 0.3 * rnd(day_idx, 'tasknoise')))::INTEGER AS n
    FROM days d
), raw_tasks AS (
    SELECT p.d + INTERVAL (8 * 3600 + floor(rnd(p.day_idx * 100000 + r.k, 'tasktime')
        * 11 * 3600)) SECOND AS created_at, p.day_idx, r.k
    FROM per_day p, range(p.n) r(k)
), numbered AS (
    SELECT row_number() OVER (ORDER BY created_at, k) AS task_no, created_at FROM raw_tasks
)
SELECT task_no, created_at,
    pick(getvariable('outbound_reasons'), rnd(task_no, 'reason')) AS reason,
    CASE WHEN rnd(task_no, 'target') < 0.35 THEN '师傅' ELSE '客户' END AS target_type,
    1 + floor(pow(rnd(task_no, 'attempts'), 1.6) * 4)::INTEGER AS n_attempts
FROM numbered;

CREATE TABLE attempts AS
WITH raw_attempts AS (
    SELECT t.task_no, t.n_attempts, a.k + 1 AS attempt, t.task_no * 10 + a.k AS k,
        t.created_at + INTERVAL (600 + floor(rnd(t.task_no, 'first') * 5400)
            + a.k * (3 * 3600 + floor(rnd(t.task_no * 10 + a.k, 'gap') * 20 * 3600))) SECOND
            AS at0
    FROM tasks t, range(t.n_attempts) a(k)
), in_hours AS (
    SELECT *, CASE
        WHEN hour(at0) < 9 THEN date_trunc('day', at0) + INTERVAL (9 * 3600
            + floor(rnd(k, 'shift') * 3600)) SECOND
        WHEN hour(at0) >= 20 THEN date_trunc('day', at0) + INTERVAL (33 * 3600
            + floor(rnd(k, 'shift') * 7200)) SECOND
        ELSE at0 END AS offered_at
    FROM raw_attempts
)
SELECT i.*, coalesce(h.agent_id, ha.agent_id) AS agent_id,
    rnd(k, 'connect') < CASE WHEN attempt = n_attempts THEN 0.75 ELSE 0.3 END AS answered
FROM in_hours i
LEFT JOIN hour_pool_n n ON n.hour_ts = date_trunc('hour', i.offered_at) AND n.pool = '外呼'
LEFT JOIN hour_agents h ON h.hour_ts = n.hour_ts AND h.pool = '外呼'
    AND h.idx = floor(rnd(i.k, 'oagent') * n.n)
LEFT JOIN hour_pool_n na ON na.hour_ts = date_trunc('hour', i.offered_at) AND na.pool = 'any'
LEFT JOIN hour_agents ha ON ha.hour_ts = na.hour_ts AND ha.pool = 'any'
    AND ha.idx = floor(rnd(i.k, 'oagent') * na.n)
WHERE i.offered_at < getvariable('end_at') AND coalesce(h.agent_id, ha.agent_id) IS NOT NULL;

INSERT INTO legs
WITH timed AS (
    SELECT *, round(8 + rnd(k, 'oring') * 25)::INTEGER AS ring_s,
        CASE WHEN answered THEN greatest(10, round(80 * exp(0.7 * rnorm(k, 'otalk'))))
            ELSE 0 END::INTEGER AS talk_s,
        round(10 + rnd(k, 'oacw') * CASE WHEN answered THEN 60 ELSE 15 END)::INTEGER AS acw_s
    FROM attempts
)
SELECT getvariable('max_call_no') + row_number() OVER (ORDER BY offered_at, k), 1, 'outbound',
    '外呼', '外呼', agent_id, NULL, offered_at,
    CASE WHEN answered THEN offered_at + INTERVAL (ring_s) SECOND END,
    offered_at + INTERVAL (ring_s + talk_s) SECOND, talk_s, 0, acw_s,
    CASE WHEN answered THEN rnd(k, 'oresolved') < 0.8 END, NULL, task_no
FROM timed;

CREATE TABLE task_rows AS
WITH last_attempt AS (
    SELECT task_no, count(*) AS n_legs, max(ended_at) AS last_end,
        arg_max(resolved, offered_at) AS last_resolved
    FROM legs WHERE task_no IS NOT NULL GROUP BY task_no
)
SELECT t.task_no, t.created_at, t.reason, t.target_type,
    CASE WHEN l.n_legs = t.n_attempts AND rnd(t.task_no, 'stillopen') >= 0.03
        AND l.last_end + INTERVAL 30 MINUTE < getvariable('end_at')
        THEN l.last_end + INTERVAL (60 + floor(rnd(t.task_no, 'close') * 1800)) SECOND
        END AS closed_at,
    coalesce(l.last_resolved, false) AS resolved
FROM tasks t LEFT JOIN last_attempt l USING (task_no);
"""

CALL_LEG_ROWS = r"""
CREATE TABLE call_leg_rows AS
WITH calls_ordered AS (
    SELECT call_no, row_number() OVER (ORDER BY min(offered_at), call_no) AS call_seq
    FROM legs GROUP BY call_no
), outbound_people AS (
    SELECT task_no, CASE WHEN target_type = '师傅'
        THEN 'W' || lpad(floor(rnd(task_no, 'worker') * getvariable('n_workers'))::VARCHAR, 5, '0')
        ELSE customer_key(floor(rnd(task_no, 'ocust') * getvariable('n_customers'))::BIGINT)
        END AS customer_id
    FROM tasks
), typed AS (
    SELECT l.*, c.call_seq, ct.l1, ct.l2, cc.cust_no,
        CASE WHEN l.direction = 'outbound' THEN o.customer_id
            ELSE customer_key(cc.cust_no) END AS customer_id,
        row_number() OVER (ORDER BY l.offered_at, c.call_seq, l.leg_seq) AS leg_no
    FROM legs l
    JOIN calls_ordered c USING (call_no)
    LEFT JOIN call_customers cc USING (call_no)
    LEFT JOIN outbound_people o USING (task_no)
    LEFT JOIN (SELECT call_no, first(pool ORDER BY leg_seq) AS first_pool
               FROM legs GROUP BY call_no) fp USING (call_no)
    LEFT JOIN call_types ct ON l.direction = 'inbound' AND ct.pool = fp.first_pool
        AND rnd(l.call_no, 'calltype') >= ct.lo AND rnd(l.call_no, 'calltype') < ct.hi
)
SELECT leg_no AS ord, leg_no AS k,
    'C' || lpad(call_seq::VARCHAR, 9, '0') || '-' || leg_seq AS leg_id,
    'C' || lpad(call_seq::VARCHAR, 9, '0') AS call_id,
    leg_seq::VARCHAR AS leg_seq, direction, queue, agent_id, transfer_agent_id, customer_id,
    CASE WHEN customer_id IS NULL THEN NULL
        WHEN direction = 'outbound' THEN phone_text(hash(customer_id) >> 12, leg_no)
        ELSE phone_text(cust_no, leg_no) END AS customer_phone,
    CASE WHEN direction = 'inbound' THEN pick(getvariable('regions'), rnd(cust_no, 'region'))
        END AS region,
    l1 AS call_type_l1,
    CASE WHEN l1 IS NOT NULL AND rnd(call_no, 'no_l2') < 0.005 THEN NULL ELSE l2 END
        AS call_type_l2,
    CASE WHEN rnd(leg_no, 'badts') < 0.00002 THEN '2024-11-31 25:61:00'
        ELSE ts_text(offered_at, leg_no, 'fmt_offered') END AS offered_ts,
    ts_text(answered_at, leg_no, 'fmt_offered') AS answered_ts,
    ts_text(ended_at, leg_no, 'fmt_offered') AS ended_ts,
    talk_s::VARCHAR AS talk_seconds, hold_s::VARCHAR AS hold_seconds,
    acw_s::VARCHAR AS acw_seconds,
    CASE WHEN next_pool IS NOT NULL THEN 'transferred'
        WHEN answered_at IS NULL THEN 'abandoned' ELSE 'completed' END AS disposition,
    flag_text(resolved, leg_no) AS resolved,
    CASE WHEN task_no IS NOT NULL THEN 'T' || lpad(task_no::VARCHAR, 7, '0') END
        AS outbound_task_id
FROM typed;
"""

CHATS = r"""
CREATE TABLE chat_base AS
WITH per_hour AS (
    SELECT d.d + INTERVAL (h.h) HOUR AS hour_ts, d.day_idx * 24 + h.h AS hk
    FROM days d, range(8, 23) h(h)
), counted AS (
    SELECT *, round(getvariable('chats_per_hour') * getvariable('hour_load')[hour(hour_ts) + 1]
        * CASE WHEN isodow(hour_ts) >= 6 THEN 1.15
            WHEN month(hour_ts) = 11 AND day(hour_ts) <= 11 THEN 1.4 ELSE 1 END
        * (0.85 + 0.3 * rnd(hk, 'chatnoise')))::INTEGER AS n
    FROM per_hour
), arrivals AS (
    SELECT c.hour_ts, c.hk * 1000 + r.k AS k0,
        c.hour_ts + INTERVAL (floor(rnd(c.hk * 1000 + r.k, 'chattime') * 3600)) SECOND
            AS started_at
    FROM counted c, range(c.n) r(k)
)
SELECT row_number() OVER (ORDER BY started_at, k0) AS chat_no, hour_ts, started_at
FROM arrivals;

CREATE TABLE chat_rows AS
WITH base AS (
    SELECT c.*, floor(pow(rnd(chat_no, 'ccust'), 1.2) * getvariable('n_customers'))::BIGINT
            AS own_cust,
        chat_no - 1 - floor(rnd(chat_no, 'clag') * getvariable('chats_per_hour') * 20)::BIGINT
            AS earlier_no,
        rnd(chat_no, 'responded') > 0.05 AS responded
    FROM chat_base c
), linked AS (
    SELECT b.*, CASE WHEN e.chat_no IS NOT NULL AND rnd(b.chat_no, 'creturn') < 0.18
        THEN e.own_cust ELSE b.own_cust END AS cust_no
    FROM base b LEFT JOIN base e ON e.chat_no = b.earlier_no
), staffed AS (
    SELECT l.*, h.agent_id,
        CASE WHEN responded THEN started_at + INTERVAL (round(4 + rexp(chat_no, 'frt', 35)))
            SECOND END AS first_response_at
    FROM linked l
    LEFT JOIN hour_pool_n n ON n.hour_ts = l.hour_ts AND n.pool = 'any'
    LEFT JOIN hour_agents h ON h.hour_ts = l.hour_ts AND h.pool = 'any'
        AND h.idx = floor(rnd(l.chat_no, 'cagent') * n.n)
), scored AS (
    SELECT *,
        coalesce(first_response_at, started_at) + INTERVAL (round(CASE WHEN responded
            THEN 420 * exp(0.7 * rnorm(chat_no, 'cdur')) ELSE 60 + rnd(chat_no, 'cdur') * 240
            END)) SECOND AS ended_at,
        CASE WHEN NOT responded THEN NULL WHEN rnd(chat_no, 'rated') >= 0.38 THEN NULL
            WHEN rnd(chat_no, 'csat') < 0.6 THEN 5 WHEN rnd(chat_no, 'csat') < 0.84 THEN 4
            WHEN rnd(chat_no, 'csat') < 0.92 THEN 3 WHEN rnd(chat_no, 'csat') < 0.96 THEN 2
            ELSE 1 END AS csat
    FROM staffed
)
SELECT chat_no AS ord, chat_no AS k, started_at,
    'CH' || lpad(chat_no::VARCHAR, 8, '0') AS chat_id, customer_key(cust_no) AS customer_id,
    CASE WHEN responded THEN agent_id END AS agent_id,
    pick(['web', 'app', 'app', 'wechat', 'wechat', 'wechat'], rnd(cust_no, 'channel'))
        AS channel,
    ts_text(started_at, chat_no, 'cfmt') AS started_ts,
    ts_text(first_response_at, chat_no, 'cfmt') AS first_response_ts,
    ts_text(ended_at, chat_no, 'cfmt') AS ended_ts,
    CASE WHEN responded THEN 2 + floor(rnd(chat_no, 'amsg') * 16) ELSE 0 END::INTEGER::VARCHAR
        AS agent_messages,
    (1 + floor(rnd(chat_no, 'cmsg') * 20))::INTEGER::VARCHAR AS customer_messages,
    csat::VARCHAR AS csat,
    flag_text(CASE WHEN responded THEN rnd(chat_no, 'cres') < 0.8 ELSE false END, chat_no)
        AS resolved
FROM scored;
"""

TICKETS = r"""
CREATE TABLE ticket_base AS
WITH per_hour AS (
    SELECT d.d + INTERVAL (h.h) HOUR AS hour_ts, d.day_idx * 24 + h.h AS hk
    FROM days d, range(24) h(h)
), counted AS (
    SELECT *, round(getvariable('tickets_per_hour') * getvariable('hour_load')[hour(hour_ts) + 1]
        * CASE WHEN month(hour_ts) = 11 AND day(hour_ts) <= 11 THEN 1.3 ELSE 1 END
        * (0.8 + 0.4 * rnd(hk, 'tnoise')))::INTEGER AS n
    FROM per_hour
), arrivals AS (
    SELECT c.hk * 1000 + r.k AS k0,
        c.hour_ts + INTERVAL (floor(rnd(c.hk * 1000 + r.k, 'ttime') * 3600)) SECOND AS created_at
    FROM counted c, range(c.n) r(k)
)
SELECT row_number() OVER (ORDER BY created_at, k0) AS ticket_no, created_at FROM arrivals;

CREATE TABLE ticket_typed AS
WITH chan AS (
    SELECT *, CASE WHEN rnd(ticket_no, 'tchan') < 0.45 THEN 'hotline'
        WHEN rnd(ticket_no, 'tchan') < 0.75 THEN 'online'
        WHEN rnd(ticket_no, 'tchan') < 0.85 THEN '12345'
        WHEN rnd(ticket_no, 'tchan') < 0.9 THEN 'regulator' ELSE 'branch' END AS channel
    FROM ticket_base
), cat AS (
    SELECT c.*, CASE WHEN c.channel IN ('12345', 'regulator') AND rnd(ticket_no, 'tcomp') < 0.85
        THEN '投诉' END AS forced_l1
    FROM chan c
)
SELECT c.*, coalesce(c.forced_l1, ct.l1) AS l1,
    CASE WHEN c.forced_l1 IS NOT NULL THEN pick(['服务态度', '物流/上门时效', '产品质量'],
        rnd(ticket_no, 'tl2')) ELSE ct.l2 END AS l2
FROM cat c JOIN ticket_types ct ON rnd(c.ticket_no, 'ttype') >= ct.lo
    AND rnd(c.ticket_no, 'ttype') < ct.hi;

CREATE TABLE ticket_rows AS
WITH complaints AS (
    SELECT ticket_no, row_number() OVER (ORDER BY ticket_no) AS complaint_no
    FROM ticket_typed WHERE l1 = '投诉'
), own AS (
    SELECT t.*, c.complaint_no,
        floor(pow(rnd(ticket_no, 'tcust'), 1.2) * getvariable('n_customers'))::BIGINT AS own_cust
    FROM ticket_typed t LEFT JOIN complaints c USING (ticket_no)
), linked AS (
    SELECT o.*, CASE WHEN e.ticket_no IS NOT NULL AND rnd(o.ticket_no, 'trepeat') < 0.12
        THEN e.own_cust ELSE o.own_cust END AS cust_no
    FROM own o LEFT JOIN own e ON o.complaint_no IS NOT NULL
        AND e.complaint_no = o.complaint_no - 1 - floor(rnd(o.ticket_no, 'tlag')
            * getvariable('complaints_per_day') * 20)::BIGINT
), handled AS (
    SELECT l.*, coalesce(r.agent_id, r2.agent_id) AS agent_id,
        l.created_at + INTERVAL (round(60 + 1500 * exp(1.0 * rnorm(ticket_no, 'treply'))))
            SECOND AS reply_at,
        l.created_at + INTERVAL (round(3600 * CASE WHEN l1 = '投诉' THEN 16 ELSE 8 END
            * exp(1.1 * rnorm(ticket_no, 'tresolve')))) SECOND AS resolve_at
    FROM linked l
    LEFT JOIN roster_n rn ON rn.pool = CASE WHEN l.l1 = '投诉' THEN '投诉' ELSE '售后' END
    LEFT JOIN roster r ON r.pool = rn.pool AND r.idx = floor(rnd(l.ticket_no, 'tagent') * rn.n)
    LEFT JOIN roster_n rn2 ON rn2.pool = 'any'
    LEFT JOIN roster r2 ON r.agent_id IS NULL AND r2.pool = 'any'
        AND r2.idx = floor(rnd(l.ticket_no, 'tagent') * rn2.n)
), states AS (
    SELECT *,
        CASE WHEN reply_at < getvariable('end_at') AND rnd(ticket_no, 'noreply') >= 0.01
            THEN reply_at END AS first_reply_at,
        CASE WHEN greatest(resolve_at, reply_at) < getvariable('end_at')
            AND rnd(ticket_no, 'stuck') >= 0.02 AND rnd(ticket_no, 'noreply') >= 0.01
            THEN greatest(resolve_at, reply_at + INTERVAL 5 MINUTE) END AS resolved_at
    FROM handled
), rated AS (
    SELECT *,
        CASE WHEN resolved_at IS NULL OR rnd(ticket_no, 'trated') >= 0.45 THEN NULL
            WHEN l1 = '投诉' THEN CASE WHEN rnd(ticket_no, 'tcsat') < 0.4 THEN 5
                WHEN rnd(ticket_no, 'tcsat') < 0.65 THEN 4 WHEN rnd(ticket_no, 'tcsat') < 0.8
                THEN 3 WHEN rnd(ticket_no, 'tcsat') < 0.88 THEN 2 ELSE 1 END
            ELSE CASE WHEN rnd(ticket_no, 'tcsat') < 0.6 THEN 5
                WHEN rnd(ticket_no, 'tcsat') < 0.86 THEN 4 WHEN rnd(ticket_no, 'tcsat') < 0.93
                THEN 3 WHEN rnd(ticket_no, 'tcsat') < 0.96 THEN 2 ELSE 1 END END AS csat,
        CASE WHEN resolved_at IS NULL OR rnd(ticket_no, 'tnpsr') >= 0.3 THEN NULL
            WHEN l1 = '投诉' THEN getvariable('nps_complaint')[
                1 + floor(rnd(ticket_no, 'tnps') * 20)::INTEGER]
            ELSE getvariable('nps_other')[1 + floor(rnd(ticket_no, 'tnps') * 20)::INTEGER]
            END AS nps
    FROM states
)
SELECT ticket_no AS ord, ticket_no AS k, created_at,
    'TK' || lpad(ticket_no::VARCHAR, 8, '0') AS ticket_id, customer_key(cust_no) AS customer_id,
    agent_id, channel, l1 AS category_l1, l2 AS category_l2,
    pick(getvariable('regions'), rnd(cust_no, 'region')) AS region,
    CASE WHEN l1 = '投诉' AND rnd(ticket_no, 'prio') < 0.4 THEN '高'
        WHEN rnd(ticket_no, 'prio') < 0.15 THEN '高'
        WHEN rnd(ticket_no, 'prio') < 0.6 THEN '中' ELSE '低' END AS priority,
    CASE WHEN rnd(ticket_no, 'excel') < 0.001
        THEN round(date_diff('second', TIMESTAMP '1899-12-30', created_at) / 86400.0, 6)::VARCHAR
        WHEN rnd(ticket_no, 'garbage') < 0.0003 THEN '0000-00-00 00:00:00'
        ELSE ts_text(created_at, ticket_no, 'tfmt') END AS created_ts,
    ts_text(first_reply_at, ticket_no, 'tfmt') AS first_reply_ts,
    ts_text(resolved_at, ticket_no, 'tfmt') AS resolved_ts,
    CASE WHEN resolved_at IS NULL THEN 0 WHEN rnd(ticket_no, 'reopen') < 0.06 THEN 1
        WHEN rnd(ticket_no, 'reopen') < 0.075 THEN 2 ELSE 0 END::VARCHAR AS reopened_count,
    CASE WHEN resolved_at IS NULL THEN CASE WHEN first_reply_at IS NULL THEN '待处理'
            ELSE '处理中' END
        WHEN resolved_at + INTERVAL 7 DAY < getvariable('end_at') THEN '已关闭'
        ELSE '已解决' END AS status,
    csat::VARCHAR AS csat, nps::VARCHAR AS nps,
    flag_text(l1 = '投诉', ticket_no + 7) AS is_complaint
FROM rated;
"""

OUTBOUND_ROWS = r"""
CREATE TABLE outbound_task_rows AS
SELECT task_no AS ord, task_no AS k, created_at,
    'T' || lpad(task_no::VARCHAR, 7, '0') AS task_id, reason, target_type,
    ts_text(created_at, task_no, 'ofmt') AS created_ts,
    ts_text(closed_at, task_no, 'ofmt') AS closed_ts,
    CASE WHEN closed_at IS NOT NULL THEN flag_text(resolved, task_no) END AS resolved
FROM task_rows;
"""

SMALL_ROWS = r"""
CREATE TABLE site_rows AS SELECT site_no AS ord, site_no AS k, site_id, site_name, city FROM sites;

CREATE TABLE agent_rows AS
SELECT agent_no AS ord, agent_no AS k, agent_id, agent_name, team, site_id,
    strftime(hire_date, '%Y-%m-%d') AS hire_date, phone
FROM agents_base;

CREATE TABLE attendance_rows AS
SELECT row_number() OVER (ORDER BY shift_date, agent_id, login_at NULLS FIRST) AS ord,
    k, agent_id,
    CASE WHEN rnd(k, 'dfmt') < 0.004 THEN strftime(shift_date, '%Y/%-m/%-d')
        ELSE strftime(shift_date, '%Y-%m-%d') END AS shift_date,
    ts_text(login_at, k, 'afmt') AS login_ts, ts_text(logout_at, k, 'afmt') AS logout_ts,
    break_s::VARCHAR AS break_seconds, status,
    strftime(sched_start, '%Y-%m-%d %H:%M') AS sched_start,
    strftime(sched_end, '%Y-%m-%d %H:%M') AS sched_end
FROM logins;
"""

# The HR system's team history: one row per version of an agent, valid from valid_from until
# valid_to (empty: still current). Every agent has a version from the hire date in the team
# agents.csv shows; a few agents moved there from the pool's other team during the period, and
# the agent with the longest run of days without a shift left and came back in between. The
# moves stay inside a pool and the gap holds no shift, so the calls are the ones they were.
HISTORY = r"""
CREATE TABLE leaver AS
WITH worked AS (
    SELECT a.agent_id, d.day_idx, d.d, EXISTS (
        SELECT 1 FROM shifts s
        WHERE s.agent_id = a.agent_id AND s.shift_date = d.d AND s.status = 'present'
    ) AS present
    FROM agents_base a JOIN days d ON d.d > a.hire_date
), runs AS (
    SELECT *, day_idx - row_number() OVER (PARTITION BY agent_id, present ORDER BY day_idx)
        AS grp
    FROM worked
), gaps AS (
    SELECT agent_id, min(d) AS first_day, max(d) AS last_day, count(*) AS n
    FROM runs WHERE NOT present GROUP BY agent_id, grp
)
SELECT agent_id, first_day + 1 AS left_on, last_day AS back_on
FROM gaps
WHERE n >= 3 AND first_day > getvariable('start')
    AND last_day < getvariable('start') + getvariable('days') - 1
ORDER BY n DESC, agent_id
LIMIT 1;

CREATE TABLE movers AS
WITH candidates AS (
    SELECT a.agent_no, a.agent_id, a.team, a.pool, (
        SELECT min_by(t.team, t.team_no) FROM teams t WHERE t.pool = a.pool AND t.team <> a.team
    ) AS old_team
    FROM agents_base a
    WHERE a.hire_date < getvariable('start') AND a.pool IN ('售前', '售后')
        AND a.agent_id NOT IN (SELECT agent_id FROM leaver)
)
SELECT c.agent_id, c.old_team, t.site_id AS old_site_id,
    getvariable('start') + (14 + floor(rnd(c.agent_no, 'moved')
        * greatest(1, getvariable('days') - 28)))::INTEGER AS moved_on
FROM candidates c JOIN teams t ON t.team = c.old_team
WHERE c.old_team IS NOT NULL
ORDER BY rnd(c.agent_no, 'mover'), c.agent_id
LIMIT 3;

CREATE TABLE agent_versions AS
SELECT a.agent_id, coalesce(m.old_team, a.team) AS team,
    coalesce(m.old_site_id, a.site_id) AS site_id, a.hire_date AS valid_from,
    coalesce(m.moved_on, l.left_on) AS valid_to
FROM agents_base a
LEFT JOIN movers m ON m.agent_id = a.agent_id
LEFT JOIN leaver l ON l.agent_id = a.agent_id
UNION ALL
SELECT a.agent_id, a.team, a.site_id, coalesce(m.moved_on, l.back_on), NULL
FROM agents_base a
LEFT JOIN movers m ON m.agent_id = a.agent_id
LEFT JOIN leaver l ON l.agent_id = a.agent_id
WHERE m.agent_id IS NOT NULL OR l.agent_id IS NOT NULL;

CREATE TABLE agent_history_rows AS
SELECT row_number() OVER (ORDER BY agent_id, valid_from) AS ord,
    row_number() OVER (ORDER BY agent_id, valid_from) AS k, agent_id, team, site_id,
    strftime(valid_from, '%Y-%m-%d') AS valid_from, strftime(valid_to, '%Y-%m-%d') AS valid_to
FROM agent_versions;

-- Off the roster, the leaver has no schedule either.
DELETE FROM attendance_rows
WHERE agent_id IN (SELECT agent_id FROM leaver) AND status <> 'present'
    AND try_strptime(shift_date, ['%Y-%m-%d', '%Y/%m/%d'])::DATE
        >= (SELECT left_on FROM leaver)
    AND try_strptime(shift_date, ['%Y-%m-%d', '%Y/%m/%d'])::DATE
        < (SELECT back_on FROM leaver);
"""

# The wallboard's export: every 15 minutes, per inbound queue, the calls waiting for an agent
# (offered, neither answered nor abandoned yet) and the longest of their waits so far.
SNAPSHOTS = r"""
CREATE TABLE queue_snapshot_rows AS
WITH times AS (
    SELECT getvariable('start')::TIMESTAMP + to_minutes(15 * i) AS s
    FROM range(getvariable('days') * 96) t(i)
), queues AS (
    SELECT DISTINCT queue FROM legs WHERE direction = 'inbound' AND queue IS NOT NULL
), waiting AS (
    SELECT t.s, l.queue, count(*) AS n, max(date_diff('second', l.offered_at, t.s)) AS longest
    FROM times t JOIN legs l ON l.direction = 'inbound' AND l.offered_at <= t.s
        AND coalesce(l.answered_at, l.ended_at) > t.s
    GROUP BY ALL
), grid AS (
    SELECT t.s, q.queue, coalesce(w.n, 0) AS n, coalesce(w.longest, 0) AS longest
    FROM times t CROSS JOIN queues q LEFT JOIN waiting w ON w.s = t.s AND w.queue = q.queue
)
SELECT row_number() OVER (ORDER BY s, queue) AS ord,
    row_number() OVER (ORDER BY s, queue) AS k,
    strftime(s, '%Y-%m-%d %H:%M:%S') AS snapshot_ts, queue, n::VARCHAR AS waiting_calls,
    longest::VARCHAR AS longest_wait_seconds
FROM grid;
"""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How one export is written: its rows table, columns, quirks."""

    name: str
    rows: str  # the DuckDB table holding ord, k and the export columns (all VARCHAR)
    columns: tuple[str, ...]
    update: str  # SQL over the same columns: a re-delivered row's changed fields
    int_column: str | None  # a declared INTEGER column, for the non-numeric malformed lines
    bad_int: tuple[str, ...] = ("n/a",)


SPECS = (
    TableSpec("sites", "site_rows", ("site_id", "site_name", "city"), "", None),
    TableSpec(
        "agents",
        "agent_rows",
        ("agent_id", "agent_name", "team", "site_id", "hire_date", "phone"),
        "",
        None,
    ),
    TableSpec(
        "agent_history",
        "agent_history_rows",
        ("agent_id", "team", "site_id", "valid_from", "valid_to"),
        "",
        None,
    ),
    TableSpec(
        "queue_snapshots",
        "queue_snapshot_rows",
        ("snapshot_ts", "queue", "waiting_calls", "longest_wait_seconds"),
        "* REPLACE ((waiting_calls::INTEGER + 1)::VARCHAR AS waiting_calls)",
        "waiting_calls",
        ("—", "n/a"),
    ),
    TableSpec(
        "attendance",
        "attendance_rows",
        (
            "agent_id",
            "shift_date",
            "login_ts",
            "logout_ts",
            "break_seconds",
            "status",
            "sched_start",
            "sched_end",
        ),
        # the punch clock corrects a logout that was missed at first
        "* REPLACE (CASE WHEN logout_ts IS NULL THEN NULL ELSE strftime(coalesce("
        "try_strptime(logout_ts, '%Y-%m-%d %H:%M:%S'), try_strptime(logout_ts, "
        "'%Y/%m/%d %H:%M:%S'), try_strptime(logout_ts, '%Y-%m-%d %H:%M'))"
        " + INTERVAL 2 MINUTE, '%Y-%m-%d %H:%M:%S') END AS logout_ts)",
        "break_seconds",
        ("1h", "60分钟"),
    ),
    TableSpec(
        "call_legs",
        "call_leg_rows",
        (
            "leg_id",
            "call_id",
            "leg_seq",
            "direction",
            "queue",
            "agent_id",
            "transfer_agent_id",
            "customer_id",
            "customer_phone",
            "region",
            "call_type_l1",
            "call_type_l2",
            "offered_ts",
            "answered_ts",
            "ended_ts",
            "talk_seconds",
            "hold_seconds",
            "acw_seconds",
            "disposition",
            "resolved",
            "outbound_task_id",
        ),
        # after-call work finished after the first export; the agent then set the outcome
        "* REPLACE ((acw_seconds::INTEGER + 15 + floor(rnd(k, 'redeliver') * 90))"
        "::INTEGER::VARCHAR AS acw_seconds, CASE WHEN answered_ts IS NULL THEN resolved "
        "WHEN disposition = 'transferred' THEN '否' ELSE '是' END AS resolved)",
        "talk_seconds",
        ("3:25", "12:07", "abc"),
    ),
    TableSpec(
        "outbound_tasks",
        "outbound_task_rows",
        ("task_id", "reason", "target_type", "created_ts", "closed_ts", "resolved"),
        "* REPLACE (coalesce(closed_ts, strftime(getvariable('end_at') - INTERVAL 10 MINUTE,"
        " '%Y-%m-%d %H:%M:%S')) AS closed_ts, coalesce(resolved, '否') AS resolved)",
        None,
    ),
    TableSpec(
        "chats",
        "chat_rows",
        (
            "chat_id",
            "customer_id",
            "agent_id",
            "channel",
            "started_ts",
            "first_response_ts",
            "ended_ts",
            "agent_messages",
            "customer_messages",
            "csat",
            "resolved",
        ),
        # the customer rated the chat after the first export
        "* REPLACE (coalesce(csat, CASE WHEN agent_id IS NOT NULL THEN '5' END) AS csat)",
        "agent_messages",
        ("十二", "--"),
    ),
    TableSpec(
        "tickets",
        "ticket_rows",
        (
            "ticket_id",
            "customer_id",
            "agent_id",
            "channel",
            "category_l1",
            "category_l2",
            "region",
            "priority",
            "created_ts",
            "first_reply_ts",
            "resolved_ts",
            "reopened_count",
            "status",
            "csat",
            "nps",
            "is_complaint",
        ),
        # an open ticket was resolved between two exports, or a resolved one was reopened
        "* REPLACE (CASE WHEN resolved_ts IS NULL THEN '已解决' ELSE status END AS status, "
        "coalesce(resolved_ts, strftime(getvariable('end_at') - INTERVAL 1 HOUR, "
        "'%Y-%m-%d %H:%M:%S')) AS resolved_ts, CASE WHEN resolved_ts IS NULL THEN "
        "reopened_count ELSE (reopened_count::INTEGER + 1)::VARCHAR END AS reopened_count)",
        "reopened_count",
        ("一次", "x"),
    ),
)

DUPLICATE_RATE = 0.0008
REDELIVERY_RATE = 0.0008
MALFORMED_RATE = 0.0003


def build_warehouse(options: DemoOptions) -> Any:
    """An in-memory DuckDB connection holding every export as a `<name>_rows` table."""
    con: Any = duckdb.connect(":memory:")
    scale = options.scale
    n_agents = sum(size * max(1, round(count * scale)) for _, _, size, count in TEAM_PLAN)
    calls_per_day = 1700 * scale
    variables: dict[str, Any] = {
        "seed": options.seed,
        "start": options.start,
        "days": options.days,
        "surnames": SURNAMES,
        "given": GIVEN,
        "regions": list(REGIONS),
        "outbound_reasons": list(OUTBOUND_REASONS),
        "hour_load": list(HOUR_LOAD),
        "n_outliers": max(2, round(2 * scale)),
        "n_customers": max(1000, round(70000 * scale)),
        "n_workers": max(100, round(3000 * scale)),
        "calls_per_day": calls_per_day,
        "tasks_per_day": 45 * scale,
        "chats_per_hour": 14 * scale,
        "tickets_per_hour": 7.5 * scale,
        "complaints_per_day": 7.5 * 24 * 0.3 * scale,
        # NPS draws (20 slots each): complaints skew to detractors; 0 is a real score
        "nps_complaint": [0, 0, 1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 3, 6],
        "nps_other": [0, 3, 5, 6, 7, 7, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 10, 6, 8],
    }
    for name, value in variables.items():
        con.execute(f"SET VARIABLE {name} = ?", [value])
    con.execute(
        "SET VARIABLE end_at = getvariable('start')::TIMESTAMP + to_days(?)", [options.days]
    )
    con.execute(MACROS)

    n_sites = min(len(SITES), max(1, round(3 * scale**0.5)))
    con.execute(
        "CREATE TABLE sites (site_no INTEGER, site_id VARCHAR, site_name VARCHAR, city VARCHAR)"
    )
    con.executemany(
        "INSERT INTO sites VALUES (?, ?, ?, ?)",
        [(i + 1, f"S{i + 1:02d}", name, city) for i, (name, city) in enumerate(SITES[:n_sites])],
    )
    con.execute(
        "CREATE TABLE teams (team_no INTEGER, team VARCHAR, pool VARCHAR, size INTEGER,"
        " site_id VARCHAR)"
    )
    teams = []
    for stem, pool, size, count in TEAM_PLAN:
        for i in range(max(1, round(count * scale))):
            teams.append((stem, pool, size, i))
    con.executemany(
        "INSERT INTO teams VALUES (?, ?, ?, ?, ?)",
        [
            (no, f"{stem}{chinese_number(i + 1)}组", pool, size, f"S{no % n_sites + 1:02d}")
            for no, (stem, pool, size, i) in enumerate(teams)
        ],
    )
    con.execute(
        "CREATE TABLE pools (pool VARCHAR, pool_code INTEGER, queue VARCHAR,"
        " talk_median DOUBLE, resolve_share DOUBLE, demand_aht DOUBLE)"
    )
    con.executemany(
        "INSERT INTO pools VALUES (?, ?, ?, ?, ?, ?)",
        [(p, i, q, t, r, a) for i, (p, q, t, r, a) in enumerate(POOLS)],
    )
    con.execute(
        "CREATE TABLE call_types (pool VARCHAR, l1 VARCHAR, l2 VARCHAR, lo DOUBLE, hi DOUBLE)"
    )
    con.executemany("INSERT INTO call_types VALUES (?, ?, ?, ?, ?)", cumulative(CALL_TYPES))
    con.execute("CREATE TABLE ticket_types (l1 VARCHAR, l2 VARCHAR, lo DOUBLE, hi DOUBLE)")
    # tickets see fewer complaints than the complaint line; 12345 and regulator add their own
    ticket_types = [
        ("", l1, l2, "", w // 3 if l1 == "投诉" else w)
        for _, l1, l2, _, w in CALL_TYPES
        if l1 != "特殊客户(电话)"
    ]
    con.executemany(
        "INSERT INTO ticket_types VALUES (?, ?, ?, ?)",
        [row[1:] for row in cumulative(tuple(ticket_types), by_pool=False)],
    )

    con.execute(AGENTS)
    assert con.execute("SELECT count(*) FROM agents_base").fetchone() == (n_agents,)
    con.execute(ATTENDANCE)
    con.execute(
        "CREATE TABLE roster AS SELECT pool, agent_id, row_number() OVER (PARTITION BY pool"
        " ORDER BY agent_id) - 1 AS idx FROM (SELECT pool, agent_id FROM agents_base"
        " UNION ALL SELECT 'any', agent_id FROM agents_base)"
    )
    con.execute("CREATE TABLE roster_n AS SELECT pool, count(*) AS n FROM roster GROUP BY pool")
    con.execute(CALLS)
    con.execute(TRANSFER, [1])
    con.execute(TRANSFER, [2])
    con.execute(FINISH_CALLS)
    (max_call_no,) = con.execute("SELECT max(call_no) FROM legs").fetchone()
    con.execute("SET VARIABLE max_call_no = ?", [max_call_no])
    con.execute(OUTBOUND)
    con.execute(CALL_LEG_ROWS)
    con.execute(CHATS)
    con.execute(TICKETS)
    con.execute(OUTBOUND_ROWS)
    con.execute(SMALL_ROWS)
    con.execute(HISTORY)
    con.execute(SNAPSHOTS)
    return con


def cumulative(
    rows: tuple[tuple[str, str, str, str, int], ...], by_pool: bool = True
) -> list[tuple[str, str, str, float, float]]:
    """(pool, l1, l2, lo, hi): each type's slice of [0, 1) within its pool."""
    out = []
    pools = sorted({r[0] for r in rows}) if by_pool else [None]
    for pool in pools:
        mine = [r for r in rows if pool is None or r[0] == pool]
        total = sum(r[4] for r in mine)
        acc = 0
        for p, l1, l2, _, weight in mine:
            lo = acc / total
            acc += weight
            hi = 1.0 if acc == total else acc / total
            out.append((p, l1, l2, lo, hi))
    return out


def chinese_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 35 -> 三十五 (team names)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    if tens >= 10:
        return str(n)
    head = "" if tens == 1 else digits[tens]
    return f"{head}十{digits[ones] if ones else ''}"


def export_rows_sql(spec: TableSpec, where: str = "TRUE", bad_values: bool = False) -> str:
    """The export of one table: base rows, then duplicates and re-deliveries at the end.

    With bad_values, a few rows carry text in a number column (for parquet, which has no
    lines to cut short).
    """
    cols = ", ".join(spec.columns)
    parts = [f"SELECT 0 AS part, ord, {cols} FROM {spec.rows} WHERE {where}"]
    if bad_values and spec.int_column:
        bad = spec.bad_int[0].replace("'", "''")
        parts.append(
            f"SELECT 3, ord, {cols} FROM (SELECT * REPLACE ('{bad}' AS {spec.int_column}) "
            f"FROM {spec.rows} WHERE {where} AND rnd(k, '{spec.name}:bad') < {MALFORMED_RATE})"
        )
    if spec.name not in ("sites", "agents", "agent_history"):
        parts.append(
            f"SELECT 1, ord, {cols} FROM {spec.rows} "
            f"WHERE {where} AND rnd(k, '{spec.name}:dup') < {DUPLICATE_RATE}"
        )
        parts.append(
            f"SELECT 2, ord, {cols} FROM (SELECT {spec.update} FROM {spec.rows} "
            f"WHERE {where} AND rnd(k, '{spec.name}:redeliver') < {REDELIVERY_RATE})"
        )
    body = " UNION ALL ".join(parts)
    return f"SELECT {cols} FROM ({body}) ORDER BY part, ord"


def malformed_lines(con: Any, spec: TableSpec, where: str = "TRUE") -> list[str]:
    """CSV lines a careless export produces: a cut-off line, a text in a number column."""
    cols = ", ".join(spec.columns)
    rows = con.execute(
        f"SELECT rnd(k, '{spec.name}:badkind') AS u, {cols} FROM {spec.rows} "
        f"WHERE {where} AND rnd(k, '{spec.name}:bad') < {MALFORMED_RATE} ORDER BY ord"
    ).fetchall()
    lines = []
    for u, *values in rows:
        text = ["" if v is None else str(v) for v in values]
        if spec.int_column is None or u < 0.4:
            text = text[: max(2, len(text) - 3)]  # the export was cut mid-line
        else:
            at = spec.columns.index(spec.int_column)
            text[at] = spec.bad_int[int(u * 1000) % len(spec.bad_int)]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(text)
        lines.append(buffer.getvalue())
    return lines


# The most rows a demo export has at --scale 1 is 162k (call legs); the benchmark's 1m scale
# has 980k.
COMMITTED_ROWS = 300_000


def write_export(
    con: Any, spec: TableSpec, path: Path, fmt: str, where: str = "TRUE"
) -> WrittenFile:
    """Write one export file (csv, csv.gz or parquet) and return what went into it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    query = export_rows_sql(spec, where, bad_values=fmt == "parquet")
    (rows,) = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
    # The slow, tight compression only for files small enough to commit, not for benchmark
    # data: zstd 19 took 160 s for the 980k call legs of the 1m benchmark scale, level 3 took 3 s.
    committed_size = rows <= COMMITTED_ROWS
    if fmt == "parquet":
        # every column stays text, as in the CSV exports; no lines to cut short
        level = 19 if committed_size else 3
        con.execute(
            f"COPY ({query}) TO '{path}' (FORMAT parquet, COMPRESSION zstd,"
            f" COMPRESSION_LEVEL {level}, ROW_GROUP_SIZE 1000000)"
        )
        return WrittenFile(path, rows, 0)
    plain = path.with_name(path.name.removesuffix(".gz")) if fmt == "csv.gz" else path
    con.execute(f"COPY ({query}) TO '{plain}' (FORMAT csv, HEADER true)")
    bad = malformed_lines(con, spec, where)
    with plain.open("a", encoding="utf-8", newline="") as handle:
        handle.writelines(bad)
    if fmt == "csv.gz":
        # a fixed mtime and no file name in the header keep the bytes reproducible
        with plain.open("rb") as src, path.open("wb") as raw:
            with gzip.GzipFile(
                filename="",
                mode="wb",
                fileobj=raw,
                mtime=0,
                compresslevel=9 if committed_size else 6,
            ) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        plain.unlink()
    return WrittenFile(path, rows, len(bad))


def generate(
    options: DemoOptions, progress: Callable[[str], None] | None = None
) -> list[WrittenFile]:
    """Generate every table of the demo center into options.out and list the files written."""
    if options.format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    note = progress or (lambda _message: None)
    note("building rows")
    con = build_warehouse(options)
    out = options.out
    written = []
    for spec in SPECS:
        fmt = options.format
        if fmt == "auto":
            # call_legs is the one table too big for the repository as gzip text
            fmt = "parquet" if spec.name == "call_legs" else "csv.gz"
        big_ext = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}[fmt]
        note(f"writing {spec.name}")
        for stale in stale_files(out, spec.name):
            stale.unlink()
        if spec.name in SMALL_TABLES:
            written.append(write_export(con, spec, out / f"{spec.name}.csv", "csv"))
        elif spec.name == SPLIT_TABLE:
            months = [
                m
                for (m,) in con.execute(
                    f"SELECT DISTINCT strftime(started_at, '%Y-%m') AS m FROM {spec.rows} "
                    "ORDER BY m"
                ).fetchall()
            ]
            for month in months:
                where = f"strftime(started_at, '%Y-%m') = '{month}'"
                target = out / spec.name / f"{spec.name}_{month}{big_ext}"
                written.append(write_export(con, spec, target, fmt, where))
        else:
            target = out / f"{spec.name}{big_ext}"
            written.append(write_export(con, spec, target, fmt))
    con.close()
    return written


def stale_files(out: Path, name: str) -> Sequence[Path]:
    """Earlier exports of a table in other formats, which the loader would read as well."""
    found = [out / f"{name}{ext}" for ext in (".csv", ".csv.gz", ".parquet")]
    folder = out / name
    if folder.is_dir():
        found.extend(p for p in folder.iterdir() if p.name.startswith(f"{name}_"))
    return [p for p in found if p.exists()]
