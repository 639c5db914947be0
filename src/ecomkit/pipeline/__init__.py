"""A pipeline as plain data, and its stages: extract → clean → quality → metrics → load.

The CLI's ``ecomkit demo`` and ``ecomkit run`` and the Airflow and Prefect adapters all run these same stages.
"""

from __future__ import annotations

from ecomkit.pipeline.spec import PipelineSpec, SourceSpec, TargetSpec
from ecomkit.pipeline.stages import (
    ITEM_RULES,
    ORDER_RULES,
    STAGES,
    RunSummary,
    StageResult,
    clean,
    extract,
    load,
    metrics_stage,
    quality_stage,
    run,
)

__all__ = [
    "ITEM_RULES",
    "ORDER_RULES",
    "STAGES",
    "PipelineSpec",
    "RunSummary",
    "SourceSpec",
    "StageResult",
    "TargetSpec",
    "clean",
    "extract",
    "load",
    "metrics_stage",
    "quality_stage",
    "run",
]
