from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit.errors import ConfigError, MissingColumnError
from ecomkit.metrics import rfm_scores, rfm_summary

UTC = dt.timezone.utc
START = dt.datetime(2020, 1, 1, tzinfo=UTC)


def _log(n: int = 4000, customers: int = 300, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 600 * 86400, n)
    us = np.datetime64("2020-01-01T00:00:00", "us") + seconds.astype("timedelta64[s]")
    return pa.table(
        {
            "cust": rng.integers(0, customers, n),
            "ts": pa.array(us).cast(pa.timestamp("us", tz="UTC")),
            "amount": np.round(rng.gamma(2.0, 20.0, n), 2),
        }
    )


def _lifetimes_frame(table: pa.Table):
    pytest.importorskip("lifetimes", reason="lifetimes (test-only) is not installed")
    frame = table.to_pandas()
    frame["ts"] = frame["ts"].dt.tz_localize(None)
    return frame


def _assert_frames_equal(ours: pa.Table, theirs, key: str) -> None:
    got = ours.to_pandas().set_index(key)
    assert list(got.index) == list(theirs.index)
    for column in theirs.columns:
        np.testing.assert_allclose(got[column].to_numpy(float), theirs[column].to_numpy(float), atol=1e-9)


@pytest.mark.parametrize("freq", ["D", "W"])
@pytest.mark.parametrize("include_first", [False, True])
@pytest.mark.parametrize("end", [None, dt.datetime(2021, 3, 15, 13, 0)])
def test_equals_lifetimes(freq: str, include_first: bool, end: dt.datetime | None) -> None:
    from lifetimes.utils import summary_data_from_transaction_data

    log = _log()
    frame = _lifetimes_frame(log)
    theirs = summary_data_from_transaction_data(
        frame,
        "cust",
        "ts",
        "amount",
        freq=freq,
        observation_period_end=end,
        include_first_transaction=include_first,
    )
    ours = rfm_summary(
        log,
        customer_col="cust",
        time_col="ts",
        value_col="amount",
        freq=freq,
        observation_end=end.replace(tzinfo=UTC) if end else None,
        include_first=include_first,
    )
    _assert_frames_equal(ours, theirs, "cust")


def test_months_equal_lifetimes_month_semantics() -> None:
    # lifetimes' freq="M" floors to month starts and divides day counts by numpy's mean month
    # (30.436875 days); pandas >= 2 no longer converts that unit, so reproduce it via month starts + "D".
    from lifetimes.utils import summary_data_from_transaction_data

    log = _log()
    frame = _lifetimes_frame(log)
    frame["ts"] = frame["ts"].dt.to_period("M").dt.to_timestamp()
    theirs = summary_data_from_transaction_data(frame, "cust", "ts", "amount", freq="D")
    theirs[["recency", "T"]] /= 365.2425 / 12
    ours = rfm_summary(log, customer_col="cust", time_col="ts", value_col="amount", freq="M")
    _assert_frames_equal(ours, theirs, "cust")


@pytest.mark.parametrize("freq", ["D", "W"])
def test_calibration_holdout_equals_lifetimes(freq: str) -> None:
    from lifetimes.utils import calibration_and_holdout_data

    log = _log()
    frame = _lifetimes_frame(log)
    cal, end = dt.datetime(2020, 12, 31, 12), dt.datetime(2021, 6, 30)
    theirs = calibration_and_holdout_data(
        frame, "cust", "ts", cal, observation_period_end=end, freq=freq, monetary_value_col="amount"
    )
    ours = rfm_summary(
        log,
        customer_col="cust",
        time_col="ts",
        value_col="amount",
        freq=freq,
        calibration_end=cal.replace(tzinfo=UTC),
        observation_end=end.replace(tzinfo=UTC),
    )
    assert ours.column_names[1:] == list(theirs.columns)
    _assert_frames_equal(ours, theirs, "cust")


def test_hand_computed_values() -> None:
    day = lambda d: dt.datetime(2024, 1, d, 15, tzinfo=UTC)  # noqa: E731
    log = pa.table(
        {
            "customer_id": ["b", "a", "a", "a", "a", "b"],
            "purchased_at": [day(3), day(1), day(1), day(8), day(20), day(30)],
            "v": [7.0, 5.0, 5.0, 20.0, 1.0, 1.0],
        }
    )
    out = rfm_summary(log, value_col="v", observation_end=day(10)).to_pylist()
    # a: periods day 1 (10.0), day 8 (20.0); day 20 is after the end. b: day 3 only (day 30 ignored)
    assert out == [
        {"customer_id": "a", "frequency": 1, "recency": 7.0, "T": 9.0, "monetary_value": 20.0},
        {"customer_id": "b", "frequency": 0, "recency": 0.0, "T": 7.0, "monetary_value": 0.0},
    ]
    weekly = rfm_summary(log, value_col="v", freq="W", observation_end=day(10)).to_pylist()
    # 2024-01-01 is a Monday: day 1 and day 3 share week 0, day 8 opens week 1
    assert weekly[0]["frequency"] == 1
    assert weekly[0]["T"] == 1.0
    assert weekly[1]["T"] == 1.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 400 * 24)), min_size=1, max_size=80),
    st.sampled_from(["D", "W", "M"]),
)
def test_invariants(rows: list[tuple[int, int]], freq: str) -> None:
    times = [START + dt.timedelta(hours=h) for _, h in rows]
    log = pa.table({"customer_id": [str(c) for c, _ in rows], "purchased_at": times})
    out = rfm_summary(log, freq=freq)  # type: ignore[arg-type]
    freq_, rec, T = (np.asarray(out[c]) for c in ("frequency", "recency", "T"))
    assert out.num_rows == len({c for c, _ in rows})
    assert np.all(freq_ >= 0)
    assert np.all(rec >= 0)
    assert np.all(rec <= T)
    assert np.all(rec[freq_ == 0] == 0)
    first = rfm_summary(log, freq=freq, include_first=True)  # type: ignore[arg-type]
    assert np.array_equal(np.asarray(first["frequency"]), freq_ + 1)


def test_errors() -> None:
    log = pa.table({"customer_id": ["a"], "purchased_at": [START]})
    with pytest.raises(ConfigError, match="freq"):
        rfm_summary(log, freq="Y")  # type: ignore[arg-type]
    with pytest.raises(MissingColumnError, match="amount"):
        rfm_summary(log, value_col="amount")
    with pytest.raises(ConfigError, match="holdout"):
        rfm_summary(log, calibration_end=START + dt.timedelta(days=1))


def test_scores_and_segments() -> None:
    summary = pa.table(
        {
            "frequency": [0, 0, 1, 2, 3, 4, 5, 6, 8, 10],
            "recency": [0.0, 0.0, 10, 20, 30, 40, 50, 60, 80, 95],
            "T": [100.0] * 10,
            "monetary_value": [0.0, 0.0, 5, 6, 7, 8, 9, 10, 11, 12],
        }
    )
    out = rfm_scores(summary).to_pydict()
    assert out["f_score"] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # R ranks time since last purchase (T - recency): larger recency is more recent
    assert out["r_score"] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out["m_score"] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out["rfm_score"][-1] == "555"
    assert out["segment"][0] == "hibernating"
    assert out["segment"][-1] == "champions"
    assert out["segment"][4] == "need attention"
    three = rfm_scores(summary, bins=3, monetary_col=None).to_pydict()
    assert "m_score" not in three
    assert set(three["r_score"]) == {1, 2, 3}
    with pytest.raises(ConfigError, match="bins"):
        rfm_scores(summary, bins=1)


@pytest.mark.parametrize("style", ["C{:07d}", "cust-{}"])  # fixed width (arithmetic codes), variable (hashed)
def test_string_ids_equal_lifetimes(style: str) -> None:
    from lifetimes.utils import summary_data_from_transaction_data

    log = _log()
    ids = pa.array([style.format(c) for c in log["cust"].to_pylist()])
    log = log.set_column(0, "cust", ids)
    frame = _lifetimes_frame(log)
    theirs = summary_data_from_transaction_data(frame, "cust", "ts", "amount", freq="W")
    ours = rfm_summary(log, customer_col="cust", time_col="ts", value_col="amount", freq="W")
    _assert_frames_equal(ours, theirs, "cust")


def test_no_transaction_in_the_observation_window_gives_an_empty_summary() -> None:
    at = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    late = pa.table(
        {
            "customer_id": ["a", "b"],
            "purchased_at": pa.array([at, at], pa.timestamp("us", tz="UTC")),
            "v": [1.0, 2.0],
        }
    )
    summary = rfm_summary(late, value_col="v", observation_end=at.replace(year=2024))
    assert summary.num_rows == 0
    assert summary.column_names == ["customer_id", "frequency", "recency", "T", "monetary_value"]
    assert rfm_summary(late.slice(0, 0), value_col="v").num_rows == 0


def _big_log(rows: int = 150_000, customers: int = 30_000, seed: int = 3) -> pa.Table:
    # above the size at which rfm_summary splits its work between threads
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 700 * 86400, rows)
    us = np.datetime64("2021-03-01T00:00:00", "us") + seconds.astype("timedelta64[s]")
    return pa.table(
        {
            "cust": rng.integers(0, customers, rows) * 7 + 1000,
            "ts": pa.array(us).cast(pa.timestamp("us", tz="UTC")),
            "amount": np.round(rng.gamma(2.0, 20.0, rows), 2),
        }
    )


@pytest.mark.parametrize("style", ["int", "C{:07d}", "{}x", "cust-{}"])
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_large_logs_are_the_same_on_one_thread_and_equal_lifetimes(
    monkeypatch: pytest.MonkeyPatch, style: str, freq: str
) -> None:
    # ids: integers, fixed-width strings (arithmetic keys), short ASCII strings of varying length
    # (padded, arithmetic keys) and longer ones (hashed)
    from lifetimes.utils import summary_data_from_transaction_data

    log = _big_log()
    if style != "int":
        log = log.set_column(0, "cust", pa.array([style.format(c) for c in log["cust"].to_pylist()]))
    end = dt.datetime(2022, 12, 1, tzinfo=UTC)  # before the last transactions: some rows are ignored
    ours = rfm_summary(
        log, customer_col="cust", time_col="ts", value_col="amount", freq=freq, observation_end=end
    )  # type: ignore[arg-type]
    monkeypatch.setenv("ECOMKIT_THREADS", "1")
    alone = rfm_summary(
        log, customer_col="cust", time_col="ts", value_col="amount", freq=freq, observation_end=end
    )  # type: ignore[arg-type]
    assert ours.equals(alone)  # bit for bit, whatever the thread count
    frame = _lifetimes_frame(log)
    if freq == "M":  # lifetimes' month semantics, as in test_months_equal_lifetimes_month_semantics
        frame["ts"] = frame["ts"].dt.to_period("M").dt.to_timestamp()
        theirs = summary_data_from_transaction_data(
            frame, "cust", "ts", "amount", freq="D", observation_period_end=dt.datetime(2022, 12, 1)
        )
        theirs[["recency", "T"]] /= 365.2425 / 12
    else:
        theirs = summary_data_from_transaction_data(
            frame, "cust", "ts", "amount", freq=freq, observation_period_end=dt.datetime(2022, 12, 1)
        )
    _assert_frames_equal(ours, theirs, "cust")


def test_large_calibration_holdout_equals_lifetimes() -> None:
    from lifetimes.utils import calibration_and_holdout_data

    log = _big_log()
    log = log.set_column(0, "cust", pa.array([f"C{c:07d}" for c in log["cust"].to_pylist()]))
    cal, end = dt.datetime(2022, 6, 30, 12), dt.datetime(2022, 12, 31)
    theirs = calibration_and_holdout_data(
        _lifetimes_frame(log),
        "cust",
        "ts",
        cal,
        observation_period_end=end,
        freq="W",
        monetary_value_col="amount",
    )
    ours = rfm_summary(
        log,
        customer_col="cust",
        time_col="ts",
        value_col="amount",
        freq="W",
        calibration_end=cal.replace(tzinfo=UTC),
        observation_end=end.replace(tzinfo=UTC),
    )
    assert ours.num_rows > 20_000
    _assert_frames_equal(ours, theirs, "cust")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 90 * 24), st.floats(0, 500, allow_nan=False)),
        min_size=1,
        max_size=300,
    ),
    st.sampled_from(["int", "sparse", "C{:07d}", "{:013d}", "{}x"]),
    st.sampled_from(["D", "W", "M"]),
)
def test_tiny_chunks_on_two_threads_equal_one_thread(
    rows: list[tuple[int, int, float]], style: str, freq: str
) -> None:
    # chunks of 7 rows and threads from the first row: every chunk boundary and hand-over is exercised
    from ecomkit import _threads

    ids: list[object]
    if style == "int":
        ids = [c for c, _, _ in rows]
    elif style == "sparse":
        ids = [c * 10**9 + 7 for c, _, _ in rows]
    else:
        ids = [style.format(c * 7919) for c, _, _ in rows]
    log = pa.table(
        {
            "customer_id": ids,
            "purchased_at": pa.array(
                [START + dt.timedelta(hours=h) for _, h, _ in rows], pa.timestamp("us", tz="UTC")
            ),
            "amount": [v for _, _, v in rows],
        }
    )
    expected = rfm_summary(log, value_col="amount", freq=freq)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_threads, "CHUNK", 7)
        patch.setattr(_threads, "MIN_ROWS", 1)
        patch.setattr(_threads, "threads", lambda: 2)
        got = rfm_summary(log, value_col="amount", freq=freq)  # type: ignore[arg-type]
    assert got.equals(expected)
