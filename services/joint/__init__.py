"""Joint meetings (联席会议) and what follows them: 督办 items, agendas, yearly plans and the branch score."""
