"""Keyset pagination invariant on every backend: across batch boundaries, interruptions and resumes,
every row is handed on exactly once, in (cursor, key) order — however many rows share a cursor value."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomkit.connectors import sql
from ecomkit.connectors.state import MemoryState

UTC = dt.timezone.utc
BASE = dt.datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('keyset') / 'ties.db'}"
    fixture = "postgres_url" if request.param == "postgresql" else "mysql_url"
    value: str = request.getfixturevalue(fixture)
    return value


def _fill(url: str, cursors: list[int]) -> None:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    ties = sa.Table(
        "ties",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    meta.drop_all(engine)
    meta.create_all(engine)
    # ids are not in cursor order, so the key really has to break the ties
    rows = [
        {"id": (i * 37) % 1009, "updated_at": BASE + dt.timedelta(minutes=c)} for i, c in enumerate(cursors)
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(ties.insert(), rows)
    engine.dispose()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cursors=st.lists(st.integers(0, 4), max_size=40),
    batch_size=st.integers(1, 7),
    stops=st.lists(st.integers(1, 4), max_size=4),
)
def test_every_row_exactly_once_in_order(
    url: str, cursors: list[int], batch_size: int, stops: list[int]
) -> None:
    _fill(url, cursors)
    expected = sorted(((c, (i * 37) % 1009) for i, c in enumerate(cursors)))
    state = MemoryState()
    confirmed: list[int] = []
    for stop in stops:  # the consumer takes `stop` batches, then goes away
        iterator = sql.read_batches(url, "ties", cursor="updated_at", batch_size=batch_size, state=state)
        taken = list(itertools.islice(iterator, stop))
        assert all(1 <= b.num_rows <= batch_size for b in taken)
        finished = len(taken) < stop  # the read ended, so the last batch was confirmed too
        iterator.close()
        for batch in taken if finished else taken[:-1]:
            confirmed += batch.column("id").to_pylist()
    rest = sql.read(url, "ties", cursor="updated_at", batch_size=batch_size, state=state)
    confirmed += rest.column("id").to_pylist()
    assert confirmed == [key for _, key in expected]
