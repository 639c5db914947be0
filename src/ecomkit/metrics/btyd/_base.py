"""Shared machinery of the BTYD models: reading summaries, compressing them, fitting (private)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy import optimize

from ecomkit._arrow import TableLike, require_columns, to_table
from ecomkit.errors import ConfigError, ConvergenceError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Objective = Callable[[FloatArray], "tuple[float, FloatArray] | float"]


def columns(summary: TableLike, names: Sequence[str], *, what: str = "summary") -> list[FloatArray]:
    """The named columns of ``summary`` as float64 numpy arrays (nulls become NaN, then rejected)."""
    table = to_table(summary, name=what)
    require_columns(table, names, what=what)
    out = []
    for name in names:
        values = np.asarray(
            table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
        if not np.all(np.isfinite(values)):
            raise ConfigError(f"{what} column {name!r} holds null, NaN or infinite values")
        out.append(values)
    return out


def dot(a: npt.NDArray[np.floating[Any]] | npt.NDArray[np.integer[Any]], b: FloatArray) -> float:
    """``a · b`` without BLAS.

    The fits take hundreds of dot products of some 10⁴-10⁵ elements; a multithreaded BLAS wakes its
    worker threads for each one, which on a busy machine costs far more than the arithmetic (the
    spinning workers also slow down everything between the calls). ``einsum`` sums in one thread.
    """
    return float(np.einsum("i,i->", a, b))


def check_rft(frequency: FloatArray, recency: FloatArray, T: FloatArray) -> None:
    """Reject summaries that no transaction model can describe."""
    if np.any(frequency < 0) or np.any(recency < 0):
        raise ConfigError("frequency and recency must be >= 0")
    if np.any(recency > T):
        raise ConfigError("recency must be <= T for every customer (was the summary built with a later end?)")
    if np.any((frequency == 0) & (recency != 0)):
        raise ConfigError("a customer with frequency 0 must have recency 0")


def summary_rft(
    summary: TableLike, frequency_col: str, recency_col: str, T_col: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Frequency, recency and T of an RFM summary, checked with :func:`check_rft`."""
    x, tx, T = columns(summary, [frequency_col, recency_col, T_col])
    check_rft(x, tx, T)
    return x, tx, T


def check_positive(model: object, names: Sequence[str]) -> None:
    """Every parameter ``names`` of ``model`` must be a finite number > 0."""
    for name in names:
        value = getattr(model, name)
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(f"{type(model).__name__}.{name} must be a finite number > 0; got {value!r}")


@dataclass(frozen=True)
class Grouped:
    """Distinct rows of a few columns, each column stored as a small table of distinct values.

    Row ``i`` of the compressed data is ``values[k][codes[k][i]]`` for column ``k`` and occurs
    ``weight[i]`` times. Likelihood terms that depend on one column only are evaluated once per
    distinct value of that column (a few hundred at most for frequencies, recencies and ages on a
    period grid) instead of once per customer.
    """

    values: list[FloatArray]
    codes: list[IntArray]
    weight: FloatArray

    def totals(self, column: int, weights: FloatArray | None = None) -> FloatArray:
        """Σ of ``weights`` (default: the row weights) per distinct value of ``column``."""
        w = self.weight if weights is None else weights
        totals = np.bincount(self.codes[column], weights=w, minlength=len(self.values[column]))
        return np.asarray(totals, dtype=np.float64)


def distinct(values: FloatArray) -> tuple[FloatArray, IntArray]:
    """Sorted distinct values and each element's index into them (``np.unique`` with inverse)."""
    if not len(values):
        return values.copy(), np.zeros(0, dtype=np.int64)
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high < 4 * len(values) + 1024 and np.array_equal(values, np.floor(values)):
        # whole numbers in a small range (frequencies; days or weeks): a presence table, no sort
        whole = values.astype(np.int64)
        present = np.zeros(int(high) + 1, dtype=bool)
        present[whole] = True
        rank = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present).astype(np.float64), rank[whole]
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.empty(len(ordered), dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    code = np.empty(len(values), dtype=np.int64)
    code[order] = np.cumsum(new, dtype=np.int64) - 1
    return ordered[new], code


def group(*arrays: FloatArray) -> Grouped:
    """Compress equal rows of ``arrays`` into one weighted row (see :class:`Grouped`), sorted."""
    tables, codes = zip(*(distinct(a) for a in arrays), strict=True)
    sizes = [max(len(t), 1) for t in tables]
    if not len(arrays[0]):
        return Grouped(list(tables), list(codes), np.zeros(0))
    if math.prod(sizes) < 2**62:
        key = codes[0].copy()
        for code, size in zip(codes[1:], sizes[1:], strict=True):
            key *= size
            key += code
        key.sort()
        new = np.empty(len(key), dtype=bool)
        new[0] = True
        np.not_equal(key[1:], key[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        weight = np.diff(np.append(starts, len(key))).astype(np.float64)
        key = key[starts]
        out: list[IntArray] = []
        for size in sizes[:0:-1]:
            out.append(key % size)
            key = key // size
        out.append(key)
        return Grouped(list(tables), out[::-1], weight)
    order = np.lexsort(codes[::-1])
    sorted_codes = [c[order] for c in codes]
    new = np.ones(len(order), dtype=bool)
    new[1:] = np.any([c[1:] != c[:-1] for c in sorted_codes], axis=0)
    starts = np.flatnonzero(new)
    weight = np.diff(np.append(starts, len(order))).astype(np.float64)
    return Grouped(list(tables), [c[starts] for c in sorted_codes], weight)


def fit_log_params(
    name: str,
    objective: Callable[[FloatArray], tuple[float, FloatArray]] | Callable[[FloatArray], float],
    x0: FloatArray,
    *,
    analytic_gradient: bool,
    limit: float | None = 1e4,
) -> FloatArray:
    """Minimise ``objective`` over log-parameters; raise :class:`ConvergenceError` if it fails.

    With ``limit``, a (time-scaled) parameter outside ``[1/limit, limit]`` means the optimizer ran
    off towards a boundary of the parameter space: the data do not identify the model.
    """
    # BFGS rather than L-BFGS-B: for four parameters its dense update is trivial, and it needs no
    # BLAS/LAPACK call whose thread pool would dominate the fit on a busy machine (see ``dot``).
    # gtol 1e-8 on the mean log-likelihood: the analytic gradient's rounding floor is about 1e-9 at a
    # few hundred thousand customers, and a tighter tolerance there only spends evaluations in line
    # searches that cannot improve (seen: 107 instead of 26); the parameters agree to ~1e-8 anyway
    options: dict[str, Any] = {"maxiter": 2000, "gtol": 1e-8}
    jac: Any = True if analytic_gradient else "3-point"
    with np.errstate(all="ignore"):
        result = optimize.minimize(objective, x0, method="BFGS", jac=jac, options=options)
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise ConvergenceError(name, f"the optimizer reached a non-finite point ({result.message})")
    if not result.success:
        # BFGS often stops on a line-search failure ("precision loss") exactly at the optimum, where
        # the objective is flat to machine precision; accept that, but not a point with a real slope.
        grad = result.jac if result.jac is not None else np.full_like(result.x, np.inf)
        if not np.all(np.abs(grad) < 1e-5):
            raise ConvergenceError(name, str(result.message))
    if limit is not None and np.any(np.abs(result.x) > np.log(limit)):
        raise ConvergenceError(
            name,
            f"the parameters ran off towards a boundary ({np.exp(result.x).tolist()} in units where the "
            "largest T is 1): the data do not identify the model",
        )
    return np.asarray(result.x, dtype=np.float64)


def check_repeaters(frequency: FloatArray, name: str) -> None:
    """A transaction model needs at least one customer with a repeat purchase."""
    if not np.any(frequency > 0):
        raise ConfigError(f"cannot fit {name}: no customer has frequency > 0 (no repeat purchases)")


def check_penalizer(penalizer: float) -> None:
    """``penalizer`` must be a finite number >= 0."""
    if not (np.isfinite(penalizer) and penalizer >= 0):
        raise ConfigError(f"penalizer must be a finite number >= 0; got {penalizer!r}")


def transaction_fit_data(
    name: str, summary: TableLike, *, penalizer: float, frequency_col: str, recency_col: str, T_col: str
) -> tuple[int, float, Grouped]:
    """What a transaction model's fit starts from, checked: the customer count, the time scale that
    makes the largest ``T`` 1, and the summary grouped into distinct (frequency, recency, T) rows."""
    check_penalizer(penalizer)
    x, tx, T = summary_rft(summary, frequency_col, recency_col, T_col)
    if not len(x):
        raise ConfigError(f"cannot fit {name} to an empty summary")
    check_repeaters(x, name)
    scale = 1.0 / T.max() if T.max() > 0 else 1.0
    return len(x), scale, group(x, tx, T)


def as_array(values: float | Sequence[float] | FloatArray) -> FloatArray:
    """A float64 numpy array from a number or a sequence."""
    return np.asarray(values, dtype=np.float64)


class TransactionModel:
    """Predictions shared by the transaction models (BG/NBD, Pareto/NBD), over summary tables."""

    def _conditional_expected(
        self, x: FloatArray, tx: FloatArray, T: FloatArray, t: FloatArray
    ) -> FloatArray:
        raise NotImplementedError

    def _probability_alive(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        raise NotImplementedError

    def conditional_expected_purchases(
        self,
        summary: TableLike,
        t: float,
        *,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
    ) -> pa.Array:
        """Expected purchases of each customer in the next ``t`` periods, given their history.

        Args:
            summary: an RFM summary (frequency, recency, T in the units the model was fitted in).
            t: the horizon, in the same units.
            frequency_col: the frequency column.
            recency_col: the recency column.
            T_col: the customer age column.

        Returns:
            A float64 array, one value per row of ``summary``.
        """
        x, tx, T = summary_rft(summary, frequency_col, recency_col, T_col)
        if not t >= 0:
            raise ConfigError(f"t must be >= 0; got {t!r}")
        return pa.array(self._conditional_expected(x, tx, T, np.full_like(x, float(t))), pa.float64())

    def probability_alive(
        self,
        summary: TableLike,
        *,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
    ) -> pa.Array:
        """The probability that each customer is still active at the end of observation.

        Args:
            summary: an RFM summary.
            frequency_col: the frequency column.
            recency_col: the recency column.
            T_col: the customer age column.

        Returns:
            A float64 array of probabilities in [0, 1], one per row of ``summary``.
        """
        x, tx, T = summary_rft(summary, frequency_col, recency_col, T_col)
        return pa.array(self._probability_alive(x, tx, T), pa.float64())

    def predict(
        self,
        summary: TableLike,
        *,
        t: float,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
    ) -> pa.Table:
        """``summary`` plus ``expected_purchases`` (in the next ``t`` periods) and ``probability_alive``.

        Args:
            summary: an RFM summary.
            t: the horizon, in the summary's units.
            frequency_col: the frequency column.
            recency_col: the recency column.
            T_col: the customer age column.

        Returns:
            The summary table with the two prediction columns appended.
        """
        table = to_table(summary, name="summary")
        names = {"frequency_col": frequency_col, "recency_col": recency_col, "T_col": T_col}
        expected = self.conditional_expected_purchases(table, t, **names)
        alive = self.probability_alive(table, **names)
        return table.append_column("expected_purchases", expected).append_column("probability_alive", alive)
