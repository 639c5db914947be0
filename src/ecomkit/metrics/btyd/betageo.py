"""The BG/NBD model (Fader, Hardie & Lee 2005): beta-geometric dropout, NBD purchasing."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pyarrow as pa
from scipy import special

from ecomkit._arrow import TableLike
from ecomkit.errors import ConfigError
from ecomkit.metrics.btyd._base import (
    FloatArray,
    Grouped,
    TransactionModel,
    as_array,
    check_positive,
    dot,
    fit_log_params,
    summary_rft,
    transaction_fit_data,
)

__all__ = ["BetaGeo"]


@dataclass(frozen=True)
class BetaGeo(TransactionModel):
    """A BG/NBD model with its parameters; build one with :meth:`BetaGeo.fit` or from known values.

    While active, a customer buys at Poisson rate λ ~ Gamma(r, α); after each purchase they drop out
    with probability p ~ Beta(a, b). Time is in the units of the summary it was fitted on.

    Attributes:
        r: shape of the purchase-rate distribution.
        alpha: scale of the purchase-rate distribution (in time units).
        a: first shape of the dropout-probability distribution.
        b: second shape of the dropout-probability distribution.
        log_likelihood: total log-likelihood of the fitted summary (NaN if not fitted).
        n_customers: customers in the fitted summary.
        penalizer: the L2 penalty used in the fit.

    Example:
        >>> model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(float(model.expected_purchases(39.0)[0].as_py()), 3)
        1.197
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = math.nan
    n_customers: int = 0
    penalizer: float = 0.0

    def __post_init__(self) -> None:
        check_positive(self, ("r", "alpha", "a", "b"))

    @property
    def params(self) -> Mapping[str, float]:
        """The parameters by name: ``r``, ``alpha``, ``a``, ``b``."""
        return MappingProxyType({"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b})

    @classmethod
    def fit(
        cls,
        summary: TableLike,
        *,
        penalizer: float = 0.0,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
    ) -> BetaGeo:
        """Fit by maximum likelihood to an RFM summary (``include_first=False``).

        The negative mean log-likelihood plus ``penalizer × Σ θ²`` is minimised over log-parameters
        with BFGS and the analytic gradient. As in lifetimes, time is first rescaled so that the
        largest ``T`` is 1 (the penalty applies to ``alpha`` in those units). Identical customers are
        counted once with a weight, and terms of one variable (x, t_x or T) are computed once per
        distinct value, so the cost grows with distinct (frequency, recency, T) triples.

        Args:
            summary: one row per customer with frequency, recency and T.
            penalizer: L2 penalty on the parameters (0 = plain maximum likelihood).
            frequency_col: the frequency column.
            recency_col: the recency column.
            T_col: the customer age column.

        Returns:
            A fitted :class:`BetaGeo`.

        Raises:
            ConfigError: missing or invalid summary values, or a negative penalizer.
            ConvergenceError: the optimizer failed; the message carries its reason.

        Example:
            >>> import pyarrow as pa
            >>> summary = pa.table({"frequency": [0, 2, 5, 1], "recency": [0.0, 20.0, 30.0, 3.0],
            ...                     "T": [38.0, 38.0, 38.0, 20.0]})
            >>> sorted(BetaGeo.fit(summary, penalizer=0.01).params)
            ['a', 'alpha', 'b', 'r']
        """
        n_customers, scale, grouped = transaction_fit_data(
            "BetaGeo",
            summary,
            penalizer=penalizer,
            frequency_col=frequency_col,
            recency_col=recency_col,
            T_col=T_col,
        )
        objective = _Objective(grouped, scale, penalizer)
        log_theta = fit_log_params("BetaGeo", objective, np.zeros(4), analytic_gradient=True)
        r, alpha_scaled, a, b = np.exp(log_theta)
        params = np.array([r, alpha_scaled / scale, a, b])
        xo, txo, To = (v[c] for v, c in zip(grouped.values, grouped.codes, strict=True))
        ll_total = dot(grouped.weight, _loglik(params, xo, txo, To, gradient=False)[0])
        return cls(
            r=float(r),
            alpha=float(alpha_scaled / scale),
            a=float(a),
            b=float(b),
            log_likelihood=ll_total,
            n_customers=n_customers,
            penalizer=float(penalizer),
        )

    def log_likelihood_of(
        self,
        summary: TableLike,
        *,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
    ) -> float:
        """The total log-likelihood of ``summary`` under this model's parameters."""
        x, tx, T = summary_rft(summary, frequency_col, recency_col, T_col)
        return float(_loglik(self._theta, x, tx, T, gradient=False)[0].sum())

    @property
    def _theta(self) -> FloatArray:
        return np.array([self.r, self.alpha, self.a, self.b])

    def expected_purchases(self, t: float | Sequence[float]) -> pa.Array:
        """Expected purchases of a new customer in ``t`` periods after their first purchase.

        ``E[X(t)] = (a+b-1)/(a-1) · [1 - (α/(α+t))^r · ₂F₁(r, b; a+b-1; t/(α+t))]``, computed through
        Euler's transformation, which keeps the hypergeometric function's arguments small.

        Args:
            t: one horizon or several.

        Returns:
            A float64 array, one value per horizon.
        """
        t_arr = np.atleast_1d(as_array(t))
        zeros = np.zeros_like(t_arr)
        return pa.array(_expected(self._theta, zeros, zeros, t_arr), pa.float64())

    def probability_of_purchases(self, t: float | Sequence[float], n: int | Sequence[int]) -> pa.Array:
        """The probability that a new customer makes exactly ``n`` purchases in ``(0, t]``.

        ``t`` and ``n`` broadcast against each other (Fader, Hardie & Lee 2005, eq. 8; the finite
        sum there is a negative-binomial CDF, computed as a regularised incomplete beta function).

        Args:
            t: horizon(s) in periods.
            n: purchase count(s), >= 0.

        Returns:
            A float64 array of probabilities.
        """
        t_arr, n_arr = np.broadcast_arrays(np.atleast_1d(as_array(t)), np.atleast_1d(as_array(n)))
        if np.any(n_arr < 0) or np.any(n_arr != np.floor(n_arr)):
            raise ConfigError("n must be whole numbers >= 0")
        if np.any(t_arr < 0):
            raise ConfigError("t must be >= 0")
        r, alpha, a, b = self._theta
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p = np.log(alpha) - np.log(alpha + t_arr)
            q = t_arr / (alpha + t_arr)
            first = np.exp(
                special.betaln(a, b + n_arr)
                - special.betaln(a, b)
                + special.gammaln(r + n_arr)
                - special.gammaln(r)
                - special.gammaln(n_arr + 1)
                + r * log_p
                + special.xlogy(n_arr, q)
            )
            positive = n_arr > 0
            n_safe = np.where(positive, n_arr, 1.0)
            second = np.exp(special.betaln(a + 1, b + n_safe - 1) - special.betaln(a, b)) * special.betainc(
                n_safe, r, q
            )
        return pa.array(first + np.where(positive, second, 0.0), pa.float64())

    def _probability_alive(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        return _p_alive(self._theta, x, tx, T)

    def _conditional_expected(
        self, x: FloatArray, tx: FloatArray, T: FloatArray, t: FloatArray
    ) -> FloatArray:
        return _expected(self._theta, x, tx, T, t=t) * _p_alive(self._theta, x, tx, T)


class _Objective:
    """The penalised negative mean log-likelihood and its gradient over log-parameters, for the fit.

    It is the sum of :func:`_loglik` over the grouped customers, rearranged so that only the mixture
    term touches every distinct (x, t_x, T) row: with ``d = log a - log(b+x-1) + (r+x)·(log(α+T) -
    log(α+t_x))``, a repeat buyer's log-likelihood is ``A(x) - (r+x)·log(α+T) + log(1 + e^d)``, where
    ``A(x)`` (the gamma and beta functions) is evaluated once per distinct x and the ``log(α+T)``
    sum once per distinct T.
    """

    def __init__(self, grouped: Grouped, scale: float, penalizer: float) -> None:
        (self.xv, txv, Tv), (ix, itx, iT), w = grouped.values, grouped.codes, grouped.weight
        self.txv, self.Tv = txv * scale, Tv * scale
        self.penalizer = penalizer
        self.total = float(w.sum())
        self.w_x = grouped.totals(0)  # customers per distinct x
        self.w_T = grouped.totals(2)  # customers per distinct T
        self.wx_T = grouped.totals(2, w * self.xv[ix])  # Σ x per distinct T
        repeat = self.xv[ix] > 0
        self.ix, self.itx, self.iT = ix[repeat], itx[repeat], iT[repeat]
        self.w = w[repeat]
        self.x = self.xv[self.ix]
        self.xv_repeat = np.flatnonzero(self.xv > 0)

    def __call__(self, log_theta: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(log_theta)
        r, alpha, a, b = theta
        xv, w_x = self.xv, self.w_x
        log_at, log_atx = np.log(alpha + self.Tv), np.log(alpha + self.txv)
        inv_at, inv_atx = 1 / (alpha + self.Tv), 1 / (alpha + self.txv)
        # once per distinct x
        head = (
            special.gammaln(r + xv)
            + special.gammaln(b + xv)
            - special.gammaln(a + b + xv)
            + (special.gammaln(a + b) - special.gammaln(r) - special.gammaln(b) + r * np.log(alpha))
        )
        dig_rx, dig_bx, dig_abx = (
            special.digamma(r + xv),
            special.digamma(b + xv),
            special.digamma(a + b + xv),
        )
        dig_ab = special.digamma(a + b)
        lb, inv_bx1 = np.zeros(len(xv)), np.zeros(len(xv))
        lb[self.xv_repeat] = np.log(b + xv[self.xv_repeat] - 1)
        inv_bx1[self.xv_repeat] = 1 / (b + xv[self.xv_repeat] - 1)
        # once per distinct T: -(r+x)·log(α+T) summed over everyone
        ll = dot(w_x, head) - dot((r * self.w_T + self.wx_T), log_at)
        g_r = dot(w_x, (dig_rx - special.digamma(r) + np.log(alpha))) - dot(self.w_T, log_at)
        g_alpha = self.total * r / alpha - dot((r * self.w_T + self.wx_T), inv_at)
        g_a = dot(w_x, (dig_ab - dig_abx))
        g_b = dot(w_x, (dig_ab + dig_bx - special.digamma(b) - dig_abx))
        # once per distinct repeat-buyer row: the mixture log(1 + e^d)
        rx = r + self.x
        gap = log_at[self.iT] - log_atx[self.itx]
        d = (np.log(a) - lb[self.ix]) + rx * gap
        ll += dot(self.w, np.logaddexp(0.0, d))
        ws = self.w * special.expit(d)
        g_r += dot(ws, gap)
        g_alpha += dot(ws, (rx * (inv_at[self.iT] - inv_atx[self.itx])))
        g_a += float(ws.sum()) / a
        g_b -= dot(np.bincount(self.ix, weights=ws, minlength=len(xv)), inv_bx1)
        grad = np.array([g_r, g_alpha, g_a, g_b])
        value = -ll / self.total + self.penalizer * dot(theta, theta)
        dtheta = -grad / self.total + 2 * self.penalizer * theta
        return value, dtheta * theta


def _loglik(
    theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, *, gradient: bool
) -> tuple[FloatArray, FloatArray]:
    """Per-customer log-likelihood (and its gradient in θ = r, α, a, b), by log-sum-exp."""
    r, alpha, a, b = theta
    repeat = x > 0
    bx1 = np.where(repeat, b + x - 1, 1.0)  # only used where x > 0, where it is >= b > 0
    log_at = np.log(alpha + T)
    log_atx = np.log(alpha + tx)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * log_at
    a4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * log_atx, -np.inf)
    mix = np.logaddexp(a3, a4)
    ll = a1 + a2 + mix
    if not gradient:
        return ll, np.empty((4, 0))
    w3 = np.exp(a3 - mix)
    w4 = np.exp(a4 - mix)
    dig_ab, dig_abx = special.digamma(a + b), special.digamma(a + b + x)
    d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha) - w3 * log_at - w4 * log_atx
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + tx)
    d_a = dig_ab - dig_abx + w4 / a
    d_b = dig_ab + special.digamma(b + x) - special.digamma(b) - dig_abx - w4 / bx1
    return ll, np.vstack([d_r, d_alpha, d_a, d_b])


def _p_alive(theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    r, alpha, a, b = theta
    repeat = x > 0
    bx1 = np.where(repeat, b + x - 1, 1.0)
    log_odds_dead = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    return np.where(repeat, special.expit(-log_odds_dead), 1.0)


def _expected(
    theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, *, t: FloatArray | None = None
) -> FloatArray:
    """``(a+b+x-1)/(a-1) · [1 - (1-z)^(a-1) ₂F₁(a+b-1-r, a-1; a+b+x-1; z)]``, z = t/(α+T+t).

    This is the BG/NBD expectation after Euler's transformation of ₂F₁(r+x, b+x; a+b+x-1; z); for a
    customer it still needs the factor P(alive). At a = 1 the expression has a removable singularity,
    which is bridged by the mean of the values at a = 1 ± 2e-5.
    """
    if t is None:  # new customer: x = tx = T = 0 and the horizon comes in as T
        t, T = T, np.zeros_like(T)
    r, alpha, a, b = theta
    if abs(a - 1) < 1e-5:
        lower = _expected(np.array([r, alpha, 1 - 2e-5, b]), x, tx, T, t=t)
        upper = _expected(np.array([r, alpha, 1 + 2e-5, b]), x, tx, T, t=t)
        return (lower + upper) / 2
    z = t / (alpha + T + t)
    c = a + b + x - 1
    hyp = special.hyp2f1(a + b - 1 - r, a - 1, c, z)
    log_pow = (a - 1) * np.log1p(-z)
    with np.errstate(invalid="ignore", divide="ignore"):
        bracket = np.where(hyp > 0, -np.expm1(log_pow + np.log(hyp)), 1 - np.exp(log_pow) * hyp)
    return np.asarray(c / (a - 1) * bracket, dtype=np.float64)
