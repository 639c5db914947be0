"""Probabilistic customer lifetime value: a transaction model times a spend model, discounted."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ecomkit._arrow import TableLike, to_table
from ecomkit.errors import ConfigError
from ecomkit.metrics.btyd import BetaGeo, GammaGamma, ParetoNBD
from ecomkit.metrics.btyd._base import summary_rft
from ecomkit.metrics.customers import DAYS_PER_MONTH
from ecomkit.metrics.rfm import _UNIT_DAYS, Freq

__all__ = ["lifetime_value"]


def lifetime_value(
    transaction_model: BetaGeo | ParetoNBD,
    spend_model: GammaGamma,
    summary: TableLike,
    *,
    months: int = 12,
    discount_rate: float = 0.01,
    freq: Freq = "D",
    days_per_month: float = DAYS_PER_MONTH,
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    monetary_col: str = "monetary_value",
) -> pa.Table:
    """Each customer's discounted expected value over the next ``months`` months.

    ``CLV = Σ_{i=1..months} spend · (E[purchases by month i] - E[purchases by month i-1]) / (1 + d)^i``
    where the expectations come from ``transaction_model`` (given each customer's history),
    ``spend`` is ``spend_model``'s conditional expected spend and ``d`` the monthly
    ``discount_rate``. A month is ``days_per_month`` days, converted to the summary's ``freq`` units
    (lifetimes used 30 days; pass ``days_per_month=30`` to reproduce its numbers for ``freq="D"``).

    Args:
        transaction_model: a fitted :class:`BetaGeo` or :class:`ParetoNBD`.
        spend_model: a fitted :class:`GammaGamma`.
        summary: the RFM summary (frequency, recency, T, monetary value) the models apply to.
        months: the horizon in months (>= 1).
        discount_rate: the monthly discount rate (>= 0).
        freq: the period unit of ``summary`` (as given to ``rfm_summary``).
        days_per_month: the length of a month in days.
        frequency_col: the frequency column.
        recency_col: the recency column.
        T_col: the customer age column.
        monetary_col: the monetary value column.

    Returns:
        ``summary`` with ``expected_spend`` and ``clv`` columns appended.

    Raises:
        ConfigError: a bad horizon, rate or ``freq``.

    Example:
        >>> import pyarrow as pa
        >>> from ecomkit.metrics import BetaGeo, GammaGamma
        >>> summary = pa.table({"frequency": [2], "recency": [30.4], "T": [38.9], "monetary_value": [22.35]})
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> gg = GammaGamma(p=6.25, q=3.74, v=15.44)
        >>> table = lifetime_value(bg, gg, summary, freq="W")
        >>> table.column_names[-1]
        'clv'
    """
    if months < 1:
        raise ConfigError(f"months must be >= 1; got {months!r}")
    if not discount_rate >= 0:
        raise ConfigError(f"discount_rate must be >= 0; got {discount_rate!r}")
    if freq not in _UNIT_DAYS:
        raise ConfigError(f"freq must be one of 'D', 'W', 'M'; got {freq!r}")
    if not days_per_month > 0:
        raise ConfigError(f"days_per_month must be > 0; got {days_per_month!r}")
    table = to_table(summary, name="summary")
    x, tx, T = summary_rft(table, frequency_col, recency_col, T_col)
    spend = np.asarray(
        spend_model.conditional_expected_spend(table, frequency_col=frequency_col, monetary_col=monetary_col)
    )
    per_month = days_per_month / _UNIT_DAYS[freq]
    # expected purchases given history, cumulative at the end of each month: (customers, months)
    horizons = per_month * np.arange(1, months + 1)
    cumulative = np.column_stack(
        [transaction_model._conditional_expected(x, tx, T, np.full_like(x, h)) for h in horizons]
    )
    monthly = np.diff(cumulative, axis=1, prepend=0.0)
    discount = (1.0 + discount_rate) ** -np.arange(1, months + 1)
    clv = spend * (monthly @ discount)
    return table.append_column("expected_spend", pa.array(spend, pa.float64())).append_column(
        "clv", pa.array(clv, pa.float64())
    )
