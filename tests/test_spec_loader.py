"""The YAML reader: values with their places, and no side effects on PyYAML."""

from __future__ import annotations

import yaml

from metricflow_lite.errors import Location
from metricflow_lite.spec.loader import parse_yaml


def test_locations_count_characters_not_bytes() -> None:
    data = parse_yaml("metrics:\n  - {name: x, label: 呼入量, agg: count}\n", "m.yml")
    item = data["metrics"][0]
    assert item.value_loc("agg") == Location("m.yml", 2, 32, 5)
    assert item.key_loc("label") == Location("m.yml", 2, 15, 5)


def test_yes_and_no_stay_strings_but_true_is_a_boolean() -> None:
    data = parse_yaml("a: yes\nb: on\nc: true\n", "m.yml")
    assert data == {"a": "yes", "b": "on", "c": True}


def test_pyyaml_safe_load_keeps_its_own_booleans_after_a_project_is_read() -> None:
    # issue 9: the loader once edited PyYAML's shared resolvers, so yaml.safe_load in the same
    # process read `yes` as a string
    parse_yaml("a: yes\n", "m.yml")
    assert yaml.safe_load("a: yes\n") == {"a": True}
