"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): exponential lifetimes, NBD purchasing."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pyarrow as pa
from scipy import integrate, special

from ecomkit._arrow import TableLike
from ecomkit.errors import ConfigError
from ecomkit.metrics.btyd._base import (
    FloatArray,
    TransactionModel,
    as_array,
    check_positive,
    dot,
    fit_log_params,
    summary_rft,
    transaction_fit_data,
)

__all__ = ["ParetoNBD"]

# Composite Gauss-Legendre rule for the integral in v ∈ [0, V] (see _log_integral). The integrand is
# e^{-v} times a bounded, smooth factor, so everything beyond v = 400 is below double precision.
_BREAKS = np.array([0.0, 0.5, 2.0, 6.0, 15.0, 35.0, 70.0, 150.0, 400.0])
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
_CHUNK = 1024


@dataclass(frozen=True)
class ParetoNBD(TransactionModel):
    """A Pareto/NBD model with its parameters; build one with :meth:`ParetoNBD.fit` or from values.

    While active, a customer buys at Poisson rate λ ~ Gamma(r, α); their lifetime is exponential with
    rate μ ~ Gamma(s, β). Time is in the units of the summary it was fitted on.

    Attributes:
        r: shape of the purchase-rate distribution.
        alpha: scale of the purchase-rate distribution (time units).
        s: shape of the dropout-rate distribution.
        beta: scale of the dropout-rate distribution (time units).
        log_likelihood: total log-likelihood of the fitted summary (NaN if not fitted).
        n_customers: customers in the fitted summary.
        penalizer: the L2 penalty used in the fit.
    """

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float = math.nan
    n_customers: int = 0
    penalizer: float = 0.0

    def __post_init__(self) -> None:
        check_positive(self, ("r", "alpha", "s", "beta"))

    @property
    def params(self) -> Mapping[str, float]:
        """The parameters by name: ``r``, ``alpha``, ``s``, ``beta``."""
        return MappingProxyType({"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta})

    @property
    def _theta(self) -> FloatArray:
        return np.array([self.r, self.alpha, self.s, self.beta])

    @classmethod
    def fit(
        cls,
        summary: TableLike,
        *,
        penalizer: float = 0.0,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
    ) -> ParetoNBD:
        """Fit by maximum likelihood to an RFM summary (``include_first=False``).

        The likelihood's dropout term is an integral over the unobserved time of death. Instead of the
        Gauss hypergeometric form, whose ₂F₁ loses accuracy (and overflows) for large frequencies and
        arguments near 1, it is computed with a substitution that turns it into ``∫ e^{-v} k(v) dv``
        with a bounded, smooth ``k`` and summed by a fixed composite Gauss-Legendre rule in log space.
        Time is rescaled so the largest ``T`` is 1 (the penalty ``penalizer × Σ θ²`` applies to
        ``alpha`` and ``beta`` in those units, as in lifetimes); identical customers count once, weighted.

        Args:
            summary: one row per customer with frequency, recency and T.
            penalizer: L2 penalty on the parameters.
            frequency_col: the frequency column.
            recency_col: the recency column.
            T_col: the customer age column.

        Returns:
            A fitted :class:`ParetoNBD`.

        Raises:
            ConfigError: missing or invalid summary values, or a negative penalizer.
            ConvergenceError: the optimizer failed; the message carries its reason.
        """
        n_customers, scale, grouped = transaction_fit_data(
            "ParetoNBD",
            summary,
            penalizer=penalizer,
            frequency_col=frequency_col,
            recency_col=recency_col,
            T_col=T_col,
        )
        xs, txo, To = (v[c] for v, c in zip(grouped.values, grouped.codes, strict=True))
        weight = grouped.weight
        txs, Ts = txo * scale, To * scale
        total = float(weight.sum())

        def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
            theta = np.exp(log_theta)
            ll, grad = _loglik_grad(theta, xs, txs, Ts, gradient=True)
            value = -dot(weight, ll) / total + penalizer * dot(theta, theta)
            dtheta = -np.einsum("ki,i->k", grad, weight) / total + 2 * penalizer * theta
            return value, dtheta * theta

        log_theta = fit_log_params("ParetoNBD", objective, np.zeros(4), analytic_gradient=True)
        r, alpha_s, s, beta_s = np.exp(log_theta)
        params = np.array([r, alpha_s / scale, s, beta_s / scale])
        ll_total = dot(weight, _loglik(params, xs, txo, To))
        return cls(
            r=float(params[0]),
            alpha=float(params[1]),
            s=float(params[2]),
            beta=float(params[3]),
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
        return float(_loglik(self._theta, x, tx, T).sum())

    def expected_purchases(self, t: float | Sequence[float]) -> pa.Array:
        """Expected purchases of a new customer in ``t`` periods: ``rβ/(α(s-1)) · [1 - (β/(β+t))^(s-1)]``.

        Args:
            t: one horizon or several.

        Returns:
            A float64 array, one value per horizon.
        """
        t_arr = np.atleast_1d(as_array(t))
        r, alpha, s, beta = self._theta
        return pa.array(r * beta / alpha * _one_minus_pow_over(s - 1, np.log1p(t_arr / beta)), pa.float64())

    def probability_of_purchases(self, t: float | Sequence[float], n: int | Sequence[int]) -> pa.Array:
        """The probability that a new customer makes exactly ``n`` purchases in ``(0, t]``.

        With the lifetime τ ~ Lomax(s, β) (the exponential mixed over μ) and, for an active time ``u``,
        an NBD count, ``P(X(t)=n) = (β/(β+t))^s·NB(n; u=t) + ∫_0^t NB(n; u)·s·β^s·(β+u)^{-(s+1)} du``
        with ``NB(n; u) = Γ(r+n)/(Γ(r)·n!)·(α/(α+u))^r·(u/(α+u))^n``. The closed form of the integral
        needs Gauss hypergeometric functions whose arguments approach 1, where scipy's ``hyp2f1`` is
        unreliable, so the (smooth, bounded) integrand is integrated adaptively in log space instead,
        for all ``(t, n)`` pairs at once. ``t`` and ``n`` broadcast against each other.

        Args:
            t: horizon(s) in periods.
            n: purchase count(s), >= 0.

        Returns:
            A float64 array of probabilities.

        Raises:
            ConfigError: a negative ``t`` or an ``n`` that is not a whole number >= 0.

        Example:
            >>> model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
            >>> probs = model.probability_of_purchases(39.0, [0, 1, 2]).to_numpy()
            >>> tuple(round(float(p), 3) for p in probs)
            (0.594, 0.166, 0.082)
        """
        t_arr, n_arr = _check_t_n(t, n)
        r, alpha, s, beta = (np.full(t_arr.shape, value) for value in self._theta)
        return pa.array(_new_customer_pmf(r, alpha, s, beta, t_arr, n_arr), pa.float64())

    def conditional_probability_of_purchases(
        self,
        summary: TableLike,
        t: float,
        n: int,
        *,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
    ) -> pa.Array:
        """The probability that each customer makes exactly ``n`` purchases in the next ``t`` periods.

        Given the history (x, t_x, T) a customer is alive with probability ``P(alive)``; if alive,
        memorylessness makes their future a new Pareto/NBD customer's with the updated parameters
        ``(r+x, α+T, s, β+T)``. So ``P(n) = (1 - P(alive))·[n = 0] + P(alive)·P_new(n; t)``, which equals
        Fader & Hardie's closed form (their note 28, eq. 16).

        Args:
            summary: an RFM summary.
            t: the horizon, in the summary's units.
            n: the purchase count (>= 0).
            frequency_col: the frequency column.
            recency_col: the recency column.
            T_col: the customer age column.

        Returns:
            A float64 array, one probability per row of ``summary``.

        Raises:
            ConfigError: invalid summary values, a negative ``t`` or a bad ``n``.
        """
        x, tx, T = summary_rft(summary, frequency_col, recency_col, T_col)
        t_arr, n_arr = _check_t_n(t, n)
        if t_arr.size != 1:
            raise ConfigError("t and n must be single numbers here (the summary supplies the customers)")
        r, alpha, s, beta = self._theta
        alive = self._probability_alive(x, tx, T)
        future = _new_customer_pmf(
            r + x,
            alpha + T,
            np.full_like(x, s),
            beta + T,
            np.full_like(x, t_arr[0]),
            np.full_like(x, n_arr[0]),
        )
        dead = 1.0 - alive if n_arr[0] == 0 else 0.0
        return pa.array(dead + alive * future, pa.float64())

    def _probability_alive(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, s, beta = self._theta
        alive = _log_common(self._theta, x) - (r + x) * np.log(alpha + T) - s * np.log(beta + T)
        return np.asarray(np.exp(np.minimum(alive - _loglik(self._theta, x, tx, T), 0.0)), dtype=np.float64)

    def _conditional_expected(
        self, x: FloatArray, tx: FloatArray, T: FloatArray, t: FloatArray
    ) -> FloatArray:
        r, alpha, s, beta = self._theta
        rate = (r + x) * (beta + T) / (alpha + T)
        horizon = _one_minus_pow_over(s - 1, np.log1p(t / (beta + T)))
        return np.asarray(rate * horizon * self._probability_alive(x, tx, T), dtype=np.float64)


def _check_t_n(t: float | Sequence[float], n: int | Sequence[int]) -> tuple[FloatArray, FloatArray]:
    t_arr, n_arr = np.broadcast_arrays(np.atleast_1d(as_array(t)), np.atleast_1d(as_array(n)))
    if np.any(n_arr < 0) or np.any(n_arr != np.floor(n_arr)):
        raise ConfigError("n must be whole numbers >= 0")
    if not np.all(t_arr >= 0):
        raise ConfigError("t must be >= 0")
    return np.asarray(t_arr, dtype=np.float64), np.asarray(n_arr, dtype=np.float64)


def _new_customer_pmf(
    r: FloatArray, alpha: FloatArray, s: FloatArray, beta: FloatArray, t: FloatArray, n: FloatArray
) -> FloatArray:
    """P(X(t) = n) for new customers, elementwise over equally shaped arrays (see the method)."""
    head = special.gammaln(r + n) - special.gammaln(r) - special.gammaln(n + 1) + r * np.log(alpha)

    def log_nbd(u: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(head - (r + n) * np.log(alpha + u) + special.xlogy(n, u), dtype=np.float64)

    survive = np.exp(s * (np.log(beta) - np.log(beta + t)) + log_nbd(t))

    def integrand(w: float) -> FloatArray:
        u = t * w  # u = t·w maps every pair's (0, t) onto the common interval (0, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_f = log_nbd(u) + np.log(s) + s * np.log(beta) - (s + 1) * np.log(beta + u) + np.log(t)
        return np.asarray(np.exp(log_f), dtype=np.float64)

    died, _ = integrate.quad_vec(integrand, 0.0, 1.0, epsabs=1e-15, epsrel=1e-11, norm="max")
    return np.asarray(np.clip(survive + died, 0.0, 1.0), dtype=np.float64)


def _one_minus_pow_over(c: float, log_ratio: FloatArray) -> FloatArray:
    """``(1 - e^{-c·L}) / c`` for ``L = log_ratio``, continuous at c = 0 (where it is L)."""
    if abs(c) < 1e-10:
        return np.asarray(log_ratio, dtype=np.float64)
    return np.asarray(-np.expm1(-c * log_ratio) / c, dtype=np.float64)


def _log_common(theta: FloatArray, x: FloatArray) -> FloatArray:
    r, alpha, s, beta = theta
    return np.asarray(
        special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta), dtype=np.float64
    )


def _loglik(theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """Per-customer log-likelihood (see :func:`_loglik_grad`)."""
    return _loglik_grad(theta, x, tx, T, gradient=False)[0]


def _loglik_grad(
    theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, *, gradient: bool
) -> tuple[FloatArray, FloatArray]:
    """Per-customer log-likelihood and, optionally, its gradient in θ = (r, α, s, β).

    ``L = Γ(r+x)α^r β^s/Γ(r) · [(α+T)^{-(r+x)} (β+T)^{-s} + s ∫_{t_x}^{T} (α+τ)^{-(r+x)} (β+τ)^{-(s+1)} dτ]``
    (alive until T, or dead at some τ in (t_x, T]), combined by log-sum-exp.
    """
    r, alpha, s, beta = theta
    log_at, log_bt = np.log(alpha + T), np.log(beta + T)
    alive = -(r + x) * log_at - s * log_bt
    log_i = np.empty(len(x))
    d_i = np.empty((4, len(x)))
    # Chunks of customers with similar integration lengths V: each chunk then uses only the
    # quadrature segments its longest V needs (most customers need 2-5 of the 8).
    with np.errstate(divide="ignore", invalid="ignore"):
        length = (r + s + x) * (log_at - np.log(alpha + tx))
    order = np.argsort(length, kind="stable")
    for start in range(0, len(x), _CHUNK):
        part = order[start : start + _CHUNK]
        log_i[part], d_i[:, part] = _log_integral(theta, x[part], tx[part], T[part], gradient=gradient)
    dead = np.log(s) + log_i
    mix = np.logaddexp(alive, dead)
    ll = np.asarray(_log_common(theta, x) + mix, dtype=np.float64)
    if not gradient:
        return ll, np.empty((4, 0))
    w_alive = np.exp(alive - mix)
    w_dead = np.exp(dead - mix)
    d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha) - w_alive * log_at + w_dead * d_i[0]
    d_alpha = r / alpha - w_alive * (r + x) / (alpha + T) + w_dead * d_i[1]
    d_s = np.log(beta) - w_alive * log_bt + w_dead * (1 / s + d_i[2])
    d_beta = s / beta - w_alive * s / (beta + T) + w_dead * d_i[3]
    return ll, np.vstack([d_r, d_alpha, d_s, d_beta])


def _log_integral(
    theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, *, gradient: bool
) -> tuple[FloatArray, FloatArray]:
    """``log I``, ``I = ∫_{t_x}^{T} (α+τ)^{-(r+x)} (β+τ)^{-(s+1)} dτ`` (-inf where t_x = T), and ∂log I/∂θ.

    With ``y = (α+t_x)/(α+τ)``, ``n = r+s+x`` and ``y = e^{-v/n}`` the integral becomes
    ``(α+t_x)^{-(r+s+x)} / n · ∫_0^V e^{-v} k(e^{-v/n}) dv`` where
    ``k(y) = (1 + (β-α)·y/(α+t_x))^{-(s+1)}`` lies between 1 and ``((β+t_x)/(α+t_x))^{-(s+1)}``, and
    ``V = n·log((α+T)/(α+t_x))``. The gradient differentiates under the integral sign and reuses the
    same nodes: ``∂log I/∂θ`` is the quadrature-weighted mean of ``∂log f/∂θ`` at the nodes.
    """
    r, alpha, s, beta = theta
    n = r + s + x
    base = alpha + tx
    V = n * (np.log(alpha + T) - np.log(base))
    used = int(np.searchsorted(_BREAKS[1:], V.max(initial=0.0), side="left")) + 1
    breaks = _BREAKS[: used + 1]
    lo = np.minimum(breaks[:-1][None, :], V[:, None])  # (customers, segments)
    hi = np.minimum(breaks[1:][None, :], V[:, None])
    half = (hi - lo) / 2
    v = (lo + half)[:, :, None] + half[:, :, None] * _NODES[None, None, :]
    weights = (half[:, :, None] * _WEIGHTS[None, None, :]).reshape(len(x), -1)
    v = v.reshape(len(x), -1)
    y = np.exp(-v / n[:, None])
    shift = np.log1p((beta - alpha) * y / base[:, None])  # log((β+τ)/(α+τ))
    terms = -(s + 1) * shift - v
    with np.errstate(divide="ignore", invalid="ignore"):
        log_j = special.logsumexp(terms, axis=1, b=weights)
        log_i = np.where(V > 0, -n * np.log(base) - np.log(n) + log_j, -np.inf)
        if not gradient:
            return np.asarray(log_i, dtype=np.float64), np.empty((4, len(x)))
        prob = weights * np.exp(terms - log_j[:, None])
        prob = np.where(V[:, None] > 0, prob, 0.0)
    log_a_tau = np.log(base)[:, None] + v / n[:, None]  # log(α+τ) at the nodes
    inv_a_tau = y / base[:, None]
    inv_b_tau = inv_a_tau * np.exp(-shift)
    grad = np.vstack(
        [
            -(prob * log_a_tau).sum(axis=1),
            -(r + x) * (prob * inv_a_tau).sum(axis=1),
            -(prob * (log_a_tau + shift)).sum(axis=1),
            -(s + 1) * (prob * inv_b_tau).sum(axis=1),
        ]
    )
    return np.asarray(log_i, dtype=np.float64), grad
