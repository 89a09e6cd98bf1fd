"""Organisation: consortia, branches, units, people, invite codes, console accounts."""
