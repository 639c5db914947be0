"""State stores: committed values survive a reopen, writes are atomic, bad files fail loudly."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit.connectors.state import JsonState, MemoryState, SqlState, State, open_state
from ecomkit.errors import ConfigError, StateError


def _stores(tmp_path: Path) -> list[State]:
    return [MemoryState(), JsonState(tmp_path / "s.json"), SqlState(f"sqlite:///{tmp_path / 's.db'}")]


def test_set_get_delete_on_every_store(tmp_path: Path) -> None:
    for store in _stores(tmp_path):
        assert store.get("a") is None
        assert store.get("a", "dflt") == "dflt"
        store.set("a", {"updated_at": "2025-01-01T00:00:00+00:00", "ids": ["1", "2"]})
        store.update({"b": 3, "c": [1, 2]})
        assert store.get("a") == {"updated_at": "2025-01-01T00:00:00+00:00", "ids": ["1", "2"]}
        assert store.keys() == ["a", "b", "c"]
        store.delete("b")
        store.set("c", None)
        assert store.keys() == ["a"], repr(store)


def test_values_survive_reopen(tmp_path: Path) -> None:
    JsonState(tmp_path / "s.json").set("k", 42)
    assert JsonState(tmp_path / "s.json").get("k") == 42
    SqlState(f"sqlite:///{tmp_path / 's.db'}").set("k", "v")
    assert SqlState(f"sqlite:///{tmp_path / 's.db'}").get("k") == "v"


def test_open_state_picks_the_store(tmp_path: Path) -> None:
    assert isinstance(open_state(None), MemoryState)
    assert isinstance(open_state(tmp_path / "x.json"), JsonState)
    assert isinstance(open_state(f"sqlite:///{tmp_path / 'x.db'}"), SqlState)
    mem = MemoryState()
    assert open_state(mem) is mem


def test_corrupt_json_file_raises_state_error(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    with pytest.raises(StateError, match="not valid JSON"):
        JsonState(path).get("k")
    path.write_text("[1, 2]")
    with pytest.raises(StateError, match="JSON object"):
        JsonState(path).get("k")


def test_non_json_values_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'k'"):
        JsonState(tmp_path / "s.json").set("k", object())  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        MemoryState().set("", 1)


def test_failed_write_keeps_the_old_value(tmp_path: Path) -> None:
    state = JsonState(tmp_path / "s.json")
    state.set("k", 1)
    with pytest.raises(ConfigError):
        state.update({"k": 2, "bad": float("nan")})
    assert state.get("k") == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".s.json.")]  # no temp files left


def _bump(path: str, n: int) -> None:
    state = JsonState(path)
    for i in range(n):
        state.set(f"{multiprocessing.current_process().name}-{i}", i)


def test_json_state_concurrent_processes_lose_no_write(tmp_path: Path) -> None:
    path = str(tmp_path / "s.json")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_bump, args=(path, 20), name=f"p{k}") for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert len(JsonState(path).keys()) == 60
    json.loads(Path(path).read_text())


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(st.integers(), st.text(), st.booleans())))
def test_memory_state_round_trips_any_json(values: dict[str, object]) -> None:
    state = MemoryState()
    state.update(values)  # type: ignore[arg-type]
    assert {k: state.get(k) for k in list(state.keys())} == values


def test_sql_state_on_postgresql(postgres_url: str) -> None:
    state = SqlState(postgres_url, table="Sync State")  # a name that needs quoting
    state.set("shopify:orders", {"value": "2025-01-01T00:00:00+00:00", "ids": ["1", "2"]})
    state.update({"a": 1, "b": [1, "x"], "c": None})
    assert SqlState(postgres_url, table="Sync State").get("shopify:orders") == {
        "value": "2025-01-01T00:00:00+00:00",
        "ids": ["1", "2"],
    }
    assert state.keys() == ["a", "b", "shopify:orders"]
    with pytest.raises(ConfigError):
        state.update({"a": 2, "bad": float("inf")})
    assert state.get("a") == 1  # all or nothing
    state.delete("b")
    assert state.keys() == ["a", "shopify:orders"]
    # the server trusts local connections, so a password in the URL is accepted and must stay hidden
    with_password = postgres_url.replace("postgres@", "postgres:s3cret-pw@", 1)
    assert "s3cret-pw" in with_password
    assert "s3cret-pw" not in repr(SqlState(with_password, table="Sync State"))


def test_sql_state_concurrent_writers_of_one_key_on_postgresql(postgres_url: str) -> None:
    import threading

    state = SqlState(postgres_url, table="ecomkit_state_race")
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def write(worker: int) -> None:
        barrier.wait()
        for i in range(15):
            try:
                state.update({"shared": {"worker": worker, "i": i}, f"own-{worker}": i})
            except StateError as exc:  # collected and asserted on below
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert state.get("shared")["i"] == 14  # type: ignore[index]
    assert [state.get(f"own-{w}") for w in range(6)] == [14] * 6
