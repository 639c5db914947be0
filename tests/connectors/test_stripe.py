"""Stripe source against a contract server on 127.0.0.1."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from rest_servers import Fault, StripeServer

from ecomkit import schema
from ecomkit.connectors.stripe import Stripe, minor_to_major
from ecomkit.errors import HTTPStatusError
from ecomkit.resilience import Policy, Retry

N = 250
CUR = ["usd", "jpy", "kwd", "eur"]


@pytest.fixture
def server() -> Iterator[StripeServer]:
    charges = [
        {
            "id": f"ch_{i:05d}",
            "object": "charge",
            "amount": 1000 + i,
            "currency": CUR[i % 4],
            "status": "succeeded",
            "created": 1_700_000_000 + i // 3,
            "payment_intent": f"pi_{i}",
            "metadata": {"order_id": f"o{i}"} if i % 2 else {},
            "payment_method_details": {"type": "card"},
        }
        for i in range(N)
    ]
    srv = StripeServer({"charges": charges, "refunds": [], "customers": [], "payment_intents": []})
    yield srv
    srv.close()


def _stripe(server: StripeServer, tmp_path: Path | None = None) -> Stripe:
    return Stripe(
        server.url,
        StripeServer.KEY,
        policy=Policy(retry=Retry(attempts=5, initial=0.01, max_wait=0.02)),
        state=tmp_path and tmp_path / "s.json",
    )


def test_charges_all_once_with_currency_exponents(server: StripeServer) -> None:
    table = pa.Table.from_batches(list(_stripe(server).charges()))
    assert table.schema == schema.PAYMENTS
    assert sorted(table.column("payment_id").to_pylist()) == [f"ch_{i:05d}" for i in range(N)]
    rows = {r["payment_id"]: r for r in table.to_pylist()}
    assert rows["ch_00000"]["amount"] == 10.0
    assert rows["ch_00000"]["currency"] == "USD"
    assert rows["ch_00001"]["amount"] == 1001.0  # JPY is zero-decimal
    assert rows["ch_00002"]["amount"] == 1.002  # KWD has three decimals
    assert rows["ch_00001"]["order_id"] == "o1"
    assert rows["ch_00000"]["order_id"] is None
    assert all(h.query["limit"] == ["100"] for h in server.data_hits())


def test_should_retry_false_is_not_retried_and_true_is(server: StripeServer) -> None:
    server.inject(Fault("status", 409, {"Stripe-Should-Retry": "true"}))
    assert sum(b.num_rows for b in _stripe(server).charges()) == N
    server.inject(Fault("status", 503, {"Stripe-Should-Retry": "false"}))
    before = len(server.hits)
    with pytest.raises(HTTPStatusError) as info:
        list(_stripe(server).charges())
    assert info.value.status_code == 503
    assert len(server.hits) == before + 1


def test_bad_key_is_401_and_not_leaked(server: StripeServer) -> None:
    with pytest.raises(HTTPStatusError) as info:
        list(Stripe(server.url, "sk_test_wrong", policy=Policy(retry=Retry(attempts=3))).charges())
    assert info.value.status_code == 401
    assert "sk_test_wrong" not in str(info.value)
    assert len(server.hits) == 1


def test_crash_and_resume_exactly_once(server: StripeServer, tmp_path: Path) -> None:
    first = [
        b.column("payment_id").to_pylist() for b in itertools.islice(_stripe(server, tmp_path).charges(), 2)
    ][:1]
    rest = [b.column("payment_id").to_pylist() for b in _stripe(server, tmp_path).charges()]
    got = [i for ids in first + rest for i in ids]
    assert len(got) == len(set(got)) == N
    server.objects["charges"].append(
        {**server.objects["charges"][0], "id": "ch_new", "created": 2_000_000_000}
    )
    assert [
        b.column("payment_id").to_pylist() for b in _stripe(server, tmp_path).charges()
    ] == []  # created after the run


def test_minor_to_major() -> None:
    assert minor_to_major(pa.array([1999, 500, 1234]), pa.array(["usd", "JPY", "bhd"])).to_pylist() == [
        19.99,
        500.0,
        1.234,
    ]
