"""Scale-out on Apache Spark: ecomkit's cleaning, quality and metrics on Spark DataFrames.

Every step runs the same ecomkit code as on one machine, moved by Spark's Arrow-native APIs:

* row-local steps (:func:`coerce`, :func:`impute` with precomputed statistics, :func:`validate`) through
  ``DataFrame.mapInArrow``;
* key-wise steps (:func:`dedupe`, :func:`order_metrics`, :func:`customer_metrics`, :func:`rfm_summary`)
  through ``groupBy(...).applyInArrow``, one key's rows at a time, in the DataFrame's row order;
* global steps by partial aggregation and a merge on the driver: :func:`impute_statistics` (exact
  mean/median/mode), :func:`profile` (per-partition quality profiles merged), and :func:`fit` of the CLV
  models on the small per-customer summary.

Needs the ``spark`` extra (``pip install 'ecomkit[spark]'``, PySpark 4); importing this module without
PySpark raises a ``ModuleNotFoundError`` (an ``ImportError``) that says so.

Example:
    >>> from ecomkit.adapters import spark as eks  # doctest: +SKIP
    >>> session = eks.local_session(cores=2)  # doctest: +SKIP
    >>> items = eks.to_spark(session, order_items_table)  # doctest: +SKIP
    >>> eks.to_arrow(eks.order_metrics(items))  # doctest: +SKIP
"""

from __future__ import annotations

try:
    import pyspark  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in environments without the extra
    raise ModuleNotFoundError(
        "ecomkit.adapters.spark needs PySpark 4, which is not installed; install the 'spark' extra: "
        "pip install 'ecomkit[spark]'"
    ) from exc

from ecomkit.adapters.spark._cleaning import (
    SparkValidation,
    coerce,
    dedupe,
    impute,
    impute_statistics,
    validate,
)
from ecomkit.adapters.spark._frames import local_session, spark_schema, to_arrow, to_spark
from ecomkit.adapters.spark._metrics import customer_metrics, fit, order_metrics, rfm_summary
from ecomkit.adapters.spark._quality import profile

__all__ = [
    "SparkValidation",
    "coerce",
    "customer_metrics",
    "dedupe",
    "fit",
    "impute",
    "impute_statistics",
    "local_session",
    "order_metrics",
    "profile",
    "rfm_summary",
    "spark_schema",
    "to_arrow",
    "to_spark",
    "validate",
]
