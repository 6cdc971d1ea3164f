"""Helpers for testing regional plugins (placeholder until the YAML case runner lands)."""
