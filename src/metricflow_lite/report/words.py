"""Every word a report prints, per locale (`zh-CN`, `en`): one table, so no language is left half
translated. Renderers ask `word(locale, key)`; metric and report labels come from the YAML."""

from __future__ import annotations

from metricflow_lite.spec.model import Comparison, Grain

DEFAULT_LOCALE = "zh-CN"

WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "met": "达标",
        "missed": "未达标",
        "no_data": "无数据",
        "no_target": "无目标",
        "legend_missed": "✗ 未达标",
        "no_rows": "(无数据)",
        "prev": "上期",
        "change": "环比",
        "prev_year": "去年同期",
        "change_year": "同比",
        "prev_day": "昨日同时段",
        "change_day": "较昨日",
        "prev_week": "上周同日",
        "change_week": "较上周同日",
        "prev_week_interval": "上周同时段",
        "change_week_interval": "较上周",
        "total": "合计",
        "no_member": "(无)",  # a NULL dimension value: a call whose agent has no team then
        "partial_mark": "*",
        "partial_note": "* 未完整周期: 数据截至 {end}",
        "as_of": "截至 {end}",
        "cut_note": "本期进行中, 截至 {end}; {compared}取相同时长比较",
        "days_cut_note": "本期进行中, 截至 {end}; 本期计至 {through} 的完整日,"
        " {compared}取相同天数比较",
        "progress_note": "本期进行中, 截至 {end}",
        "days_note": "本期进行中, 截至 {end}; 本期计至 {through} 的完整日",
        "whole_note": "本期进行中, 截至 {end}; 尚无完整的一天, {compared}按整期比较",
        "and": "与",
        "day_note": "当日进行中, 截至 {end}; 各时段与对比日的同一时段整段比较",
        "no_compare": "{what}: 无可比数据, 已隐藏",
        "data_end": "数据截至 {end}",
        "trend": "趋势",
        "share": "占比",
        "other": "其他",
        "top": "前 {n} 项",
        "target": "目标",
        "summary": "摘要",
        "report": "报表",
        "grain": "粒度",
        "period": "周期",
        "value": "数值",
        "metric": "指标",
        "yes": "是",
        "no": "否",
        "complete": "完整",
        "wall": "轮播",
        "dashboard": "运营看板",
        "reports_count": "个报表",
        "kpis": "关键指标",
        "charts": "图表",
        "details": "明细",
        "definitions": "指标定义",
        "current": "本期",
        "data_end_label": "数据截至",
        "grain_report": "{grain}报",
        "met_by": "达标{by}数",
        "by_see_details": "按{by}细分, 见明细",
    },
    "en": {
        "met": "met",
        "missed": "missed",
        "no_data": "no data",
        "no_target": "no target",
        "legend_missed": "✗ missed target",
        "no_rows": "(no rows)",
        "prev": "previous",
        "change": "vs previous",
        "prev_year": "last year",
        "change_year": "vs last year",
        "prev_day": "yesterday",
        "change_day": "vs yesterday",
        "prev_week": "same day last week",
        "change_week": "vs same day last week",
        "prev_week_interval": "last week",
        "change_week_interval": "vs last week",
        "total": "Total",
        "no_member": "(none)",
        "partial_mark": "*",
        "partial_note": "* incomplete period: data through {end}",
        "as_of": "through {end}",
        "cut_note": "period in progress, through {end}; {compared} cut to the same length",
        "days_cut_note": "period in progress, through {end}; counted through {through} (whole"
        " days), {compared} cut to as many days",
        "progress_note": "period in progress, through {end}",
        "days_note": "period in progress, through {end}; counted through {through} (whole days)",
        "whole_note": "period in progress, through {end}; not one whole day yet, so {compared}"
        " compared whole",
        "and": " and ",
        "day_note": "day in progress, through {end}; each interval is compared whole with the "
        "same interval of the compared days",
        "no_compare": "{what}: nothing to compare with, hidden",
        "data_end": "data through {end}",
        "trend": "trend",
        "share": "share",
        "other": "other",
        "top": "top {n}",
        "target": "target",
        "summary": "Summary",
        "report": "Report",
        "grain": "Grain",
        "period": "Period",
        "value": "Value",
        "metric": "Metric",
        "yes": "yes",
        "no": "no",
        "complete": "complete",
        "wall": "rotate",
        "dashboard": "Operations dashboard",
        "reports_count": "reports",
        "kpis": "Key figures",
        "charts": "Charts",
        "details": "Details",
        "definitions": "Definitions",
        "current": "value",
        "data_end_label": "data through",
        "grain_report": "{grain}",
        "met_by": "{by} meeting the target",
        "by_see_details": "by {by}, see the details",
    },
}

GRAIN_WORDS: dict[str, dict[Grain, str]] = {
    "zh-CN": {
        Grain.MIN15: "15分钟",
        Grain.MIN30: "30分钟",
        Grain.HOUR: "小时",
        Grain.DAY: "日",
        Grain.WEEK: "周",
        Grain.MONTH: "月",
        Grain.QUARTER: "季",
        Grain.YEAR: "年",
    },
    "en": {
        Grain.MIN15: "15 min",
        Grain.MIN30: "30 min",
        Grain.HOUR: "hour",
        Grain.DAY: "day",
        Grain.WEEK: "week",
        Grain.MONTH: "month",
        Grain.QUARTER: "quarter",
        Grain.YEAR: "year",
    },
}


def word(locale: str, key: str, **values: object) -> str:
    """A report word in the locale (the default locale's when the locale lacks it)."""
    table = WORDS.get(locale, WORDS[DEFAULT_LOCALE])
    text = table.get(key, WORDS[DEFAULT_LOCALE][key])
    return text.format(**values) if values else text


def grain_word(locale: str, grain: Grain) -> str:
    """A grain's name in the locale: 日 / day."""
    return GRAIN_WORDS.get(locale, GRAIN_WORDS[DEFAULT_LOCALE])[grain]


def comparison_words(comparison: Comparison, grain: Grain) -> tuple[str, str]:
    """The word keys of a comparison's previous value and change at a grain: 上期 / 环比 for
    the previous period, 昨日同时段 / 较昨日 for an interval (it is compared with the same
    interval of the previous day), 上周同日 / 较上周同日 for the same weekday last week."""
    if comparison is Comparison.PREVIOUS_PERIOD:
        return ("prev_day", "change_day") if grain.intraday else ("prev", "change")
    if comparison is Comparison.SAME_PERIOD_LAST_YEAR:
        return "prev_year", "change_year"
    if grain.intraday:
        return "prev_week_interval", "change_week_interval"
    return "prev_week", "change_week"
