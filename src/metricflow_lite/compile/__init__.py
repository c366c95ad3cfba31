"""Spec + request -> plan (a tree of frozen nodes) -> sqlglot trees per dialect."""
