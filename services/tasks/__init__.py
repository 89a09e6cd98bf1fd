"""Requests as tasks: intake, lifecycle, deadlines (escalation), the ledger, statistics."""
