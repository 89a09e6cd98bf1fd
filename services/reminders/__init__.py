"""Scheduled reminders: fan-out with claims, and the reminder log."""
