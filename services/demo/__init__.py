"""Demo data for a fresh install: bound demo people, invite codes, a month of requests."""
