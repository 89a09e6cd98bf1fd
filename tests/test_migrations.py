"""Alembic migrations and the models agree, from an empty database; upgrade is idempotent."""
from __future__ import annotations

from models.db import create_schema, make_engine
from models.migrate import current, differences, head


def test_migrations_match_models(empty_db_url):
    engine = make_engine(empty_db_url)
    assert current(engine) is None  # really empty: the whole chain runs below
    create_schema(engine)
    assert current(engine) == head()
    assert differences(engine) == []
    create_schema(engine)  # a second run changes nothing
    assert current(engine) == head()
    engine.dispose()
