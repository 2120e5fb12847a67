"""Helpers shared by the built-in plugins (not plugins themselves)."""
