"""YAML files -> typed, immutable spec objects that remember where every value came from."""
