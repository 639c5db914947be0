"""Stripe source against a contract server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
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


def _objects() -> dict[str, list[dict[str, object]]]:
    currencies = ["usd", "isk", "huf", "twd", "ugx", "bhd"]
    return {
        "charges": [],
        "refunds": [
            {
                "id": f"re_{i:03d}",
                "object": "refund",
                "amount": 12_300 + i,
                "currency": currencies[i % 6],
                "status": "succeeded",
                "created": 1_700_000_000 + i,
                "charge": f"ch_{i}",
                "payment_intent": None,
            }
            for i in range(130)
        ],
        "payment_intents": [
            {
                "id": f"pi_{i:03d}",
                "object": "payment_intent",
                "amount": 5_000,
                "currency": "eur",
                "status": "requires_capture" if i % 2 else "succeeded",
                "created": 1_700_000_000 + i // 2,
                "payment_method_types": [] if i == 3 else ["card", "link"],
            }
            for i in range(120)
        ],
        "customers": [
            {
                "id": f"cus_{i:03d}",
                "object": "customer",
                "email": f"s{i}@example.com",
                "name": None if i == 0 else f"Customer {i}",
                "created": 1_700_000_000 + i,
                "address": None
                if i % 2
                else {"city": "Oslo", "state": None, "postal_code": "0150", "country": "NO", "line1": "x"},
                "metadata": {},
            }
            for i in range(110)
        ],
    }


def test_refunds_are_negative_in_major_units_with_special_case_currencies() -> None:
    server = StripeServer(_objects())
    try:
        table = pa.Table.from_batches(list(_stripe(server).refunds()))
    finally:
        server.close()
    assert table.schema == schema.PAYMENTS
    assert sorted(table.column("payment_id").to_pylist()) == [f"re_{i:03d}" for i in range(130)]
    rows = {r["payment_id"]: r for r in table.to_pylist()}
    assert (rows["re_000"]["amount"], rows["re_000"]["currency"], rows["re_000"]["order_id"]) == (
        -123.0,
        "USD",
        "ch_0",
    )
    # Stripe's special cases: ISK, HUF and TWD stay two-decimal in the API (an amount of 100 is one
    # krona/forint/dollar); UGX is zero-decimal; BHD has three decimals.
    assert rows["re_001"]["amount"] == -123.01  # ISK
    assert rows["re_002"]["amount"] == -123.02  # HUF
    assert rows["re_003"]["amount"] == -123.03  # TWD
    assert rows["re_004"]["amount"] == -12_304.0  # UGX
    assert rows["re_005"]["amount"] == -12.305  # BHD
    assert rows["re_000"]["method"] == "refund"
    assert rows["re_007"]["created_at"] == dt.datetime(2023, 11, 14, 22, 13, 27, tzinfo=dt.timezone.utc)


def test_payment_intents_and_customers(tmp_path: Path) -> None:
    server = StripeServer(_objects())
    try:
        intents = pa.Table.from_batches(list(_stripe(server, tmp_path).payment_intents()))
        customers = pa.Table.from_batches(
            list(_stripe(server, tmp_path).customers(since="2023-11-14T22:14:00Z"))
        )
        rerun = list(_stripe(server, tmp_path).customers())
    finally:
        server.close()
    assert intents.schema == schema.PAYMENTS
    assert intents.num_rows == 120
    pi = {r["payment_id"]: r for r in intents.to_pylist()}
    assert (pi["pi_001"]["amount"], pi["pi_001"]["currency"], pi["pi_001"]["status"]) == (
        50.0,
        "EUR",
        "requires_capture",
    )
    assert pi["pi_000"]["method"] == "card"
    assert pi["pi_003"]["method"] is None  # no payment method types
    assert pi["pi_000"]["order_id"] is None
    assert customers.schema == schema.CUSTOMERS
    # created >= 1_700_000_040 (2023-11-14T22:14:00Z): customers 40..109
    assert sorted(customers.column("customer_id").to_pylist()) == [f"cus_{i:03d}" for i in range(40, 110)]
    c = {r["customer_id"]: r for r in customers.to_pylist()}
    assert (c["cus_040"]["city"], c["cus_040"]["postal_code"], c["cus_040"]["country"]) == (
        "Oslo",
        "0150",
        "NO",
    )
    assert c["cus_041"]["city"] is None
    assert c["cus_041"]["name"] == "Customer 41"
    assert rerun == []  # the finished run moved the watermark to its start
