"""`mfl serve`: the live dashboard, a JSON API and a PostgreSQL endpoint, over the last build."""
