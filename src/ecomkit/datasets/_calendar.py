"""Seasonal purchase intensity on an hourly grid, and inverse-CDF sampling of times from it.

The intensity of buying at time ``t`` is a product of an hour-of-day profile, a day-of-week profile, a
smooth yearly wave and holiday factors (the Black Friday weekend and Cyber Monday, the December run-up, a
Christmas dip). It is piecewise constant per hour, so its cumulative integral is piecewise linear and a
uniform draw on the cumulative scale maps back to a time with one ``np.interp``: a non-homogeneous Poisson
process without a loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

_Array = npt.NDArray[Any]

SECOND_US = 1_000_000
HOUR_US = 3600 * SECOND_US
DAY_US = 24 * HOUR_US

# Share of the day's orders by UTC hour (night lull, evening peak).
_HOUR_OF_DAY = np.array(
    [
        *(0.35, 0.25, 0.2, 0.18, 0.18, 0.22, 0.35, 0.55, 0.75, 0.9, 1.0, 1.05),
        *(1.1, 1.1, 1.05, 1.05, 1.1, 1.15, 1.25, 1.35, 1.45, 1.4, 1.1, 0.7),
    ]
)
# Monday .. Sunday.
_DAY_OF_WEEK = np.array([1.08, 1.04, 1.0, 0.98, 0.92, 0.84, 1.0])
_YEARLY_AMPLITUDE = 0.12  # January high, July low
_ACQUISITION_GROWTH = 0.3  # new customers grow ~35 % a year


@dataclass(frozen=True)
class Calendar:
    """The intensity grid between ``start`` and ``end`` (epoch microseconds).

    ``seasonal_cum`` is the cumulative purchase intensity at each edge, scaled so that it grows by one per
    day on average (a purchase rate per day times a difference of it is an expected count).
    ``acquisition_cum`` is the same with a growth trend, for first purchases.
    """

    edges_us: _Array
    seasonal_cum: _Array
    acquisition_cum: _Array

    @property
    def seasonal_total(self) -> float:
        """Cumulative seasonal intensity over the whole range (its length in days)."""
        return float(self.seasonal_cum[-1])

    @property
    def acquisition_total(self) -> float:
        """Cumulative acquisition intensity over the whole range."""
        return float(self.acquisition_cum[-1])

    def seasonal_at(self, t_us: _Array) -> _Array:
        """Cumulative seasonal intensity at times ``t_us``."""
        return np.interp(t_us.astype(np.float64), self.edges_us.astype(np.float64), self.seasonal_cum)

    def seasonal_time(self, u: _Array) -> _Array:
        """The times (epoch µs, whole seconds) where the cumulative seasonal intensity equals ``u``."""
        return self._invert(u, self.seasonal_cum)

    def acquisition_time(self, u: _Array) -> _Array:
        """The times (epoch µs, whole seconds) where the cumulative acquisition intensity equals ``u``."""
        return self._invert(u, self.acquisition_cum)

    def _invert(self, u: _Array, cum: _Array) -> _Array:
        t = np.interp(u, cum, self.edges_us.astype(np.float64)).astype(np.int64)
        t -= t % SECOND_US
        return np.clip(t, self.edges_us[0], self.edges_us[-1])


def build(start_us: int, end_us: int) -> Calendar:
    """The hourly intensity grid over ``[start_us, end_us]``."""
    first_hour = start_us - start_us % HOUR_US
    inner = np.arange(first_hour + HOUR_US, end_us, HOUR_US, dtype=np.int64)
    edges = np.concatenate([[start_us], inner, [end_us]]).astype(np.int64)
    begins = edges[:-1]
    widths_days = np.diff(edges) / DAY_US

    days = begins // DAY_US  # days since 1970-01-01, a Thursday
    hour = (begins % DAY_US) // HOUR_US
    weekday = (days + 3) % 7
    dates = days.astype("datetime64[D]")
    year_start = dates.astype("datetime64[Y]").astype("datetime64[D]")
    day_of_year = (dates - year_start).astype(np.int64)
    yearly = 1.0 + _YEARLY_AMPLITUDE * np.cos(2 * np.pi * (day_of_year - 10) / 365.25)
    intensity = _HOUR_OF_DAY[hour] * _DAY_OF_WEEK[weekday] * yearly * _holidays(days)

    seasonal = np.concatenate([[0.0], np.cumsum(intensity * widths_days)])
    seasonal *= (widths_days.sum() / seasonal[-1]) if seasonal[-1] > 0 else 1.0
    years_in = (begins - start_us) / (365.25 * DAY_US)
    trend = np.exp(_ACQUISITION_GROWTH * years_in)
    acquisition = np.concatenate([[0.0], np.cumsum(intensity * trend * widths_days)])
    return Calendar(edges_us=edges, seasonal_cum=seasonal, acquisition_cum=acquisition)


def _holidays(days: _Array) -> _Array:
    """A factor per day: Black Friday weekend, Cyber Monday, December run-up and Christmas dip."""
    factor = np.ones(days.shape)
    dates = days.astype("datetime64[D]")
    years = np.unique(dates.astype("datetime64[Y]").astype(np.int64) + 1970)
    for year in years.tolist():  # one iteration per calendar year in range, not per row
        november = np.datetime64(f"{year}-11-01").astype(np.int64)
        thanksgiving = november + (3 - (november + 3) % 7) % 7 + 21  # the fourth Thursday
        december = np.datetime64(f"{year}-12-01").astype(np.int64)
        for first, last, boost in (
            (thanksgiving - 7, thanksgiving - 1, 1.3),  # the week before
            (thanksgiving, thanksgiving, 1.4),
            (thanksgiving + 1, thanksgiving + 1, 3.5),  # Black Friday
            (thanksgiving + 2, thanksgiving + 3, 2.1),
            (thanksgiving + 4, thanksgiving + 4, 2.8),  # Cyber Monday
            (thanksgiving + 5, december + 19, 1.3),  # the December run-up
            (december + 23, december + 25, 0.6),
            (december + 26, december + 30, 1.15),
        ):
            factor[(days >= first) & (days <= last)] *= boost
    return factor
