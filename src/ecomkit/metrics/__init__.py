"""Order and customer metrics, classic CLV, RFM and probabilistic CLV models.

* :func:`order_metrics` — one row per order from its lines.
* :func:`customer_metrics` — one row per person, with the classic CLV formula.
* :func:`rfm_summary` / :func:`rfm_scores` — frequency, recency, T and monetary value (lifetimes'
  semantics), quantile scores and named segments.
* :class:`BetaGeo`, :class:`ParetoNBD`, :class:`GammaGamma` and :func:`lifetime_value` — the
  buy-till-you-die models and the discounted CLV built from them.

The module never reads or writes anything outside the tables it is given.
"""

from __future__ import annotations

from ecomkit.metrics.btyd import BetaGeo, GammaGamma, ParetoNBD
from ecomkit.metrics.clv import lifetime_value
from ecomkit.metrics.customers import customer_metrics
from ecomkit.metrics.orders import order_metrics
from ecomkit.metrics.rfm import rfm_scores, rfm_summary

__all__ = [
    "BetaGeo",
    "GammaGamma",
    "ParetoNBD",
    "customer_metrics",
    "lifetime_value",
    "order_metrics",
    "rfm_scores",
    "rfm_summary",
]
