"""Buy-till-you-die models: BG/NBD, Pareto/NBD and Gamma-Gamma.

Each model is a frozen dataclass holding its parameters. ``Model.fit(summary, penalizer=...)`` returns
a fitted instance with ``.params`` (name -> value) and ``.log_likelihood``; an instance built from
known parameters predicts just the same. Predictions are vectorized over the customers of an RFM
summary and return Arrow arrays.
"""

from __future__ import annotations

from ecomkit.metrics.btyd.betageo import BetaGeo
from ecomkit.metrics.btyd.gammagamma import GammaGamma
from ecomkit.metrics.btyd.paretonbd import ParetoNBD

__all__ = ["BetaGeo", "GammaGamma", "ParetoNBD"]
