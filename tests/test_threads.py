from __future__ import annotations

import threading

import numpy as np
import pytest

from ecomkit import _threads
from ecomkit.errors import ConfigError


@pytest.mark.parametrize("setting", ["1", "2", "8"])
@pytest.mark.parametrize("rows", [0, 5, _threads.MIN_ROWS - 1, _threads.MIN_ROWS, 3 * _threads.CHUNK + 17])
def test_for_chunks_visits_every_row_once(monkeypatch: pytest.MonkeyPatch, setting: str, rows: int) -> None:
    monkeypatch.setenv("ECOMKIT_THREADS", setting)
    seen = np.zeros(rows, dtype=np.int64)
    names: set[str] = set()

    def visit(part: slice) -> None:
        assert part.stop - part.start <= _threads.CHUNK
        seen[part] += 1
        names.add(threading.current_thread().name)

    _threads.for_chunks(visit, rows)
    assert np.array_equal(seen, np.ones(rows, dtype=np.int64))
    if setting == "1" or rows < _threads.MIN_ROWS:
        assert names <= {threading.current_thread().name}


def test_submit_runs_small_work_inline() -> None:
    job = _threads.submit(threading.current_thread, rows=10)
    assert job.done()
    assert job.result() is threading.current_thread()


def test_submit_uses_a_helper_thread_for_large_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_threads, "threads", lambda: 2)
    job = _threads.submit(threading.current_thread, rows=_threads.MIN_ROWS)
    assert job.result() is not threading.current_thread()


def test_nested_work_from_a_helper_thread_does_not_deadlock(monkeypatch: pytest.MonkeyPatch) -> None:
    # the pool may have a single worker: work submitted from it must run on it, not wait for it
    monkeypatch.setattr(_threads, "threads", lambda: 2)

    def outer() -> int:
        inner = _threads.submit(lambda: 41, rows=_threads.MIN_ROWS)
        total = np.zeros(1, dtype=np.int64)
        _threads.for_chunks(lambda part: total.__iadd__(part.stop - part.start), _threads.MIN_ROWS)
        return inner.result() + int(total[0] == _threads.MIN_ROWS)

    assert _threads.submit(outer, rows=_threads.MIN_ROWS).result(timeout=30) == 42


@pytest.mark.parametrize("setting", ["0", "-2", "two", "1.5"])
def test_bad_thread_setting_is_a_config_error(monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    monkeypatch.setenv("ECOMKIT_THREADS", setting)
    with pytest.raises(ConfigError, match="ECOMKIT_THREADS"):
        _threads.threads()


def test_thread_setting_caps_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOMKIT_THREADS", "1")
    assert _threads.threads() == 1
    monkeypatch.setenv("ECOMKIT_THREADS", "10000")
    assert 1 <= _threads.threads() <= 10000


def test_capped_limits_the_threads_inside_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOMKIT_THREADS", raising=False)
    before = _threads.threads()
    with _threads.capped(1):
        assert _threads.threads() == 1
        names: set[str] = set()
        _threads.for_chunks(lambda part: names.add(threading.current_thread().name), 4 * _threads.CHUNK)
        assert names == {threading.current_thread().name}
        with _threads.capped(3):
            assert _threads.threads() == min(3, before)
        assert _threads.threads() == 1
    assert _threads.threads() == before
