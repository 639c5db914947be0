"""The orchestrator-free part of the adapters: the task policy and which failures are retried."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecomkit.adapters import NON_RETRYABLE, TaskPolicy, is_retryable
from ecomkit.errors import (
    CastError,
    ConfigError,
    DatabaseError,
    HTTPError,
    LoadError,
    MissingColumnError,
    QualityGateError,
    ValidationError,
)


def test_importing_the_adapters_package_imports_no_orchestrator() -> None:
    code = (
        "import sys, ecomkit, ecomkit.adapters\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('airflow', 'prefect'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_delays_double_from_the_first_delay_and_stop_at_the_cap() -> None:
    policy = TaskPolicy(retries=5, retry_delay=timedelta(seconds=3), max_retry_delay=timedelta(seconds=20))
    assert policy.delays() == (3.0, 6.0, 12.0, 20.0, 20.0)


def test_defaults_match_what_pipelines_were_promised() -> None:
    policy = TaskPolicy()
    assert (policy.retries, policy.max_retry_delay, policy.timeout) == (
        3,
        timedelta(minutes=30),
        timedelta(hours=2),
    )


@pytest.mark.parametrize(("field", "value"), [("priority_weight", 0), ("pool", " ")])
def test_bad_priority_or_pool_names_the_setting(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"TaskPolicy.{field}"):
        TaskPolicy(**{field: value})  # type: ignore[arg-type]


def test_no_retries_means_no_delays() -> None:
    assert TaskPolicy(retries=0).delays() == ()


@given(
    retries=st.integers(0, 12),
    first=st.integers(0, 600),
    extra=st.integers(0, 7200),
)
def test_delays_never_shrink_and_never_pass_the_cap(retries: int, first: int, extra: int) -> None:
    policy = TaskPolicy(
        retries=retries,
        retry_delay=timedelta(seconds=first),
        max_retry_delay=timedelta(seconds=first + extra),
    )
    delays = policy.delays()
    assert len(delays) == retries
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert all(first <= d <= first + extra for d in delays)


@pytest.mark.parametrize(
    ("options", "setting"),
    [
        ({"retries": -1}, "retries"),
        ({"retry_delay": timedelta(seconds=-1)}, "retry_delay"),
        ({"retry_delay": timedelta(minutes=5), "max_retry_delay": timedelta(minutes=1)}, "max_retry_delay"),
        ({"timeout": timedelta(0)}, "timeout"),
    ],
)
def test_bad_settings_are_config_errors_naming_the_setting(options: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigError, match=setting):
        TaskPolicy(**options)  # type: ignore[arg-type]


def test_no_timeout_is_allowed() -> None:
    assert TaskPolicy(timeout=None).timeout is None


@pytest.mark.parametrize(
    "error",
    [
        QualityGateError(0.5, 0.9),
        ConfigError("source.kind"),
        MissingColumnError("order_id"),
        CastError("total_amount", "abc", "double"),
        ValidationError("rule broken"),
    ],
)
def test_failures_a_retry_cannot_fix_are_not_retried(error: Exception) -> None:
    assert isinstance(error, NON_RETRYABLE)
    assert not is_retryable(error)


@pytest.mark.parametrize(
    "error",
    [
        LoadError("connection refused"),
        DatabaseError("timeout"),
        HTTPError("reset"),
        OSError("disk"),
        TimeoutError(),
    ],
)
def test_transient_failures_are_retried(error: Exception) -> None:
    assert is_retryable(error)
