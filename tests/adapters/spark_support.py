"""Helpers of the Spark adapter tests (import after ``pytest.importorskip("pyspark")``)."""

from __future__ import annotations

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ecomkit.adapters import spark as eks

#: How the rows are laid out over partitions: spread round-robin (every key spans partitions) or all in
#: one partition of six (five partitions with no rows).
LAYOUTS = ("spread", "skewed")


def frame(spark: SparkSession, table: pa.Table, layout: str) -> tuple[DataFrame, pa.Table]:
    """A cached DataFrame laid out as asked, and the same rows in its order (the one-machine input)."""
    df = eks.to_spark(spark, table)
    df = df.repartition(5) if layout == "spread" else df.repartition(6, F.lit(0))
    df = df.cache()
    return df, eks.to_arrow(df)
