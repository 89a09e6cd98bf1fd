"""Routing set-up for a process: rules, dictionary, the office's overlay."""
