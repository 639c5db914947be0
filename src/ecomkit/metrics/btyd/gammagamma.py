"""The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pyarrow as pa
from scipy import special

from ecomkit._arrow import TableLike
from ecomkit.errors import ConfigError
from ecomkit.metrics.btyd._base import (
    FloatArray,
    check_penalizer,
    check_positive,
    columns,
    distinct,
    dot,
    fit_log_params,
)

__all__ = ["GammaGamma"]


@dataclass(frozen=True)
class GammaGamma:
    """A Gamma-Gamma model of average spend; build one with :meth:`GammaGamma.fit` or from values.

    Each transaction's value is Gamma(p, ν) with ν ~ Gamma(q, v) across customers, so a customer's
    mean spend is ``p/ν`` and the population mean is ``p·v/(q-1)``.

    Attributes:
        p: shape of each transaction's value.
        q: shape of the customers' rate ν.
        v: scale of the customers' rate ν (in money units).
        log_likelihood: total log-likelihood of the fitted customers (NaN if not fitted).
        n_customers: customers the fit used (those with frequency > 0 and monetary value > 0).
        penalizer: the L2 penalty used in the fit.
    """

    p: float
    q: float
    v: float
    log_likelihood: float = math.nan
    n_customers: int = 0
    penalizer: float = 0.0

    def __post_init__(self) -> None:
        check_positive(self, ("p", "q", "v"))

    @property
    def params(self) -> Mapping[str, float]:
        """The parameters by name: ``p``, ``q``, ``v``."""
        return MappingProxyType({"p": self.p, "q": self.q, "v": self.v})

    @classmethod
    def fit(
        cls,
        summary: TableLike,
        *,
        penalizer: float = 0.0,
        frequency_col: str = "frequency",
        monetary_col: str = "monetary_value",
    ) -> GammaGamma:
        """Fit by maximum likelihood to the repeat customers of an RFM summary.

        Only customers with ``frequency > 0`` and ``monetary_value > 0`` carry information about spend
        (the mean of their repeat purchases); the others are skipped. The objective is the negative
        mean log-likelihood plus ``penalizer × (p² + q² + v²)``, as in lifetimes.

        Args:
            summary: an RFM summary with frequency and monetary value.
            penalizer: L2 penalty on the parameters.
            frequency_col: the frequency column.
            monetary_col: the monetary value column.

        Returns:
            A fitted :class:`GammaGamma`.

        Raises:
            ConfigError: no repeat customer with a positive spend, or a negative penalizer.
            ConvergenceError: the optimizer failed; the message carries its reason.

        Example:
            >>> import pyarrow as pa
            >>> summary = pa.table({"frequency": [1, 2, 3, 6, 0], "monetary_value": [20.0, 35.5, 18.0, 60.0, 0.0]})
            >>> GammaGamma.fit(summary, penalizer=0.01).n_customers
            4
        """
        check_penalizer(penalizer)
        x, m = _spenders(summary, frequency_col, monetary_col)
        if not len(x):
            raise ConfigError(
                f"GammaGamma needs customers with {frequency_col} > 0 and {monetary_col} > 0; found none"
            )
        objective = _Objective(x, m, penalizer)
        log_theta = fit_log_params("GammaGamma", objective, np.zeros(3), analytic_gradient=True, limit=None)
        theta = np.exp(log_theta)
        ll_total = float(_loglik(theta, x, m, gradient=False)[0].sum())
        p, q, v = (float(value) for value in theta)
        return cls(p=p, q=q, v=v, log_likelihood=ll_total, n_customers=len(x), penalizer=penalizer)

    def log_likelihood_of(
        self, summary: TableLike, *, frequency_col: str = "frequency", monetary_col: str = "monetary_value"
    ) -> float:
        """The total log-likelihood of the repeat customers of ``summary`` under these parameters."""
        x, m = _spenders(summary, frequency_col, monetary_col)
        theta = np.array([self.p, self.q, self.v])
        return float(_loglik(theta, x, m, gradient=False)[0].sum())

    @property
    def mean_spend(self) -> float:
        """The population's mean spend per transaction, ``p·v/(q-1)`` (infinite when q <= 1)."""
        return self.p * self.v / (self.q - 1) if self.q > 1 else math.inf

    def conditional_expected_spend(
        self, summary: TableLike, *, frequency_col: str = "frequency", monetary_col: str = "monetary_value"
    ) -> pa.Array:
        """Each customer's expected average spend per transaction, given their history.

        ``E[M | x, m] = p·(v + x·m) / (p·x + q - 1)``: a weighted mean of the population mean and the
        customer's own mean ``m``. Customers with ``x = 0`` get the population mean.

        Args:
            summary: an RFM summary with frequency and monetary value.
            frequency_col: the frequency column.
            monetary_col: the monetary value column.

        Returns:
            A float64 array, one value per row of ``summary``.

        Raises:
            ConfigError: q <= 1, where the expected spend is infinite.
        """
        if self.q <= 1:
            raise ConfigError(f"GammaGamma.q = {self.q} <= 1: the expected spend is infinite")
        x, m = columns(summary, [frequency_col, monetary_col])
        m = np.where(x > 0, m, 0.0)
        return pa.array(self.p * (self.v + x * m) / (self.p * x + self.q - 1), pa.float64())


def _spenders(summary: TableLike, frequency_col: str, monetary_col: str) -> tuple[FloatArray, FloatArray]:
    """Frequency and monetary value of the customers that tell about spend (both > 0)."""
    x, m = columns(summary, [frequency_col, monetary_col])
    keep = (x > 0) & (m > 0)
    return x[keep], m[keep]


class _Objective:
    """The penalised negative mean log-likelihood over log-parameters, and its gradient, for the fit.

    The gamma functions depend on a customer's ``x`` only and are evaluated once per distinct ``x``;
    ``log m`` and ``log x`` do not depend on the parameters and are summed once. Only
    ``log(v + x·m)`` is computed per customer and evaluation.
    """

    def __init__(self, x: FloatArray, m: FloatArray, penalizer: float) -> None:
        self.x, self.m, self.penalizer = x, m, penalizer
        self.xv, ix = distinct(x)
        self.w_x = np.bincount(ix, minlength=len(self.xv)).astype(np.float64)
        self.n = float(len(x))
        log_m = np.log(m)
        self.sum_x_log_m, self.sum_log_m = dot(x, log_m), float(log_m.sum())
        self.log_xv = np.log(self.xv)

    def __call__(self, log_theta: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(log_theta)
        p, q, v = theta
        pxv = p * self.xv
        head = special.gammaln(pxv + q) - special.gammaln(pxv) + pxv * self.log_xv
        dig = special.digamma(pxv + q)
        spread = v + self.x * self.m
        log_spread, inv_spread = np.log(spread), 1 / spread
        x_log_spread = dot(self.x, log_spread)
        sum_log_spread = float(log_spread.sum())
        ll = (
            dot(self.w_x, head)
            + self.n * (q * np.log(v) - special.gammaln(q))
            + p * self.sum_x_log_m
            - self.sum_log_m
            - p * x_log_spread
            - q * sum_log_spread
        )
        d_p = (
            dot(self.w_x, self.xv * (dig - special.digamma(pxv) + self.log_xv))
            + self.sum_x_log_m
            - x_log_spread
        )
        d_q = dot(self.w_x, dig) - self.n * special.digamma(q) + self.n * np.log(v) - sum_log_spread
        d_v = self.n * q / v - p * dot(self.x, inv_spread) - q * float(inv_spread.sum())
        value = -ll / self.n + self.penalizer * dot(theta, theta)
        dtheta = -np.array([d_p, d_q, d_v]) / self.n + 2 * self.penalizer * theta
        return value, dtheta * theta


def _loglik(
    theta: FloatArray, x: FloatArray, m: FloatArray, *, gradient: bool
) -> tuple[FloatArray, FloatArray]:
    """Log-density of each customer's mean spend ``m`` over ``x`` transactions (and its gradient)."""
    p, q, v = theta
    px = p * x
    log_denominator = np.log(v + x * m)
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_denominator
    )
    if not gradient:
        return ll, np.empty((3, 0))
    dig = special.digamma(px + q)
    d_p = x * (dig - special.digamma(px) + np.log(m) + np.log(x) - log_denominator)
    d_q = dig - special.digamma(q) + np.log(v) - log_denominator
    d_v = q / v - (px + q) / (v + x * m)
    return ll, np.vstack([d_p, d_q, d_v])
