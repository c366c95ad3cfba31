"""metricflow-lite: a declarative metrics layer for contact-center operations."""

__version__ = "0.1.0"
