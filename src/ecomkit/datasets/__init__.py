"""Deterministic synthetic e-commerce data with injected, counted defects.

:func:`synthetic` generates the five canonical tables (orders, order items, customers, payments,
products) with realistic structure for CLV models, and a :class:`DefectManifest` of the defects it
injected. The Olist CSV reader lives in :mod:`ecomkit.connectors.files`.
"""

from __future__ import annotations

from ecomkit.datasets.synthetic import (
    ORDER_STATUSES,
    PAYMENT_METHODS,
    DefectManifest,
    Defects,
    SyntheticData,
    synthetic,
)

__all__ = [
    "ORDER_STATUSES",
    "PAYMENT_METHODS",
    "DefectManifest",
    "Defects",
    "SyntheticData",
    "synthetic",
]
