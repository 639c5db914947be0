"""The one exception tree of ecomkit.

Every error ecomkit raises on purpose is an :class:`EcomkitError`, so a pipeline can catch
``ecomkit.errors.EcomkitError`` at its edge and know the failure came from here with a message
that names the column, value or setting at fault. Messages never carry secrets (tokens, passwords,
API keys): connectors redact them before an error is built.

```
EcomkitError
├── ConfigError                 a bad argument or setting (names the setting)
├── SchemaError                 data that does not fit a canonical schema
│   ├── MissingColumnError      a required column is absent (names it)
│   └── CastError               a value cannot be cast (names the column and a bad value)
├── ValidationError             data that breaks a rule where that is fatal
│   └── QualityGateError        a quality score below the configured threshold
├── ConvergenceError            a model fit whose optimizer failed (carries its message)
├── ResilienceError             raised by ecomkit.resilience policies
│   ├── RetryExhaustedError     every retry of a retryable failure failed
│   ├── RateLimitedError        the rate limiter could not grant a slot in time
│   └── CircuitOpenError        the circuit breaker is open; the call was not made
├── ConnectorError              a source could not be read
│   ├── HTTPError               transport failure talking to a REST API
│   │   ├── HTTPStatusError     a non-retryable (or finally failed) HTTP status
│   │   └── PaginationError     a page that cannot be parsed or a broken cursor
│   ├── DatabaseError           a SQL or MongoDB source failed (names the table/column)
│   ├── SourceDataError         a record that does not fit the declared schema
│   └── StateError              the sync-state store is unreadable or inconsistent
└── WarehouseError              the warehouse could not be written
    ├── SpecError               an invalid DDL spec (hypertable, aggregate, policy...)
    └── LoadError               a load failed; the target is left as it was
```
"""

from __future__ import annotations

__all__ = [
    "CastError",
    "CircuitOpenError",
    "ConfigError",
    "ConnectorError",
    "ConvergenceError",
    "DatabaseError",
    "EcomkitError",
    "HTTPError",
    "HTTPStatusError",
    "LoadError",
    "MissingColumnError",
    "PaginationError",
    "QualityGateError",
    "RateLimitedError",
    "ResilienceError",
    "RetryExhaustedError",
    "SchemaError",
    "SourceDataError",
    "SpecError",
    "StateError",
    "ValidationError",
    "WarehouseError",
]


class EcomkitError(Exception):
    """Base class of every error ecomkit raises on purpose."""


class ConfigError(EcomkitError, ValueError):
    """A bad argument or setting; the message names the setting and what is allowed."""


class SchemaError(EcomkitError):
    """Data that does not fit a canonical schema."""


class MissingColumnError(SchemaError, KeyError):
    """A required column is absent.

    Attributes:
        column: the missing column's name.
        available: the columns the table does have.
    """

    def __init__(
        self, column: str, available: list[str] | tuple[str, ...] = (), *, what: str = "table"
    ) -> None:
        self.column = column
        self.available = tuple(available)
        shown = ", ".join(self.available[:20]) + (", ..." if len(self.available) > 20 else "")
        super().__init__(f"{what} has no column {column!r} (available: {shown or 'none'})")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class CastError(SchemaError):
    """A value cannot be cast to the column's type.

    Attributes:
        column: the column holding the value.
        value: one example of a value that could not be cast (as text).
        target: the type it should have become.
    """

    def __init__(self, column: str, value: object, target: str, *, count: int | None = None) -> None:
        self.column = column
        self.value = value
        self.target = target
        self.count = count
        how_many = f" ({count} values)" if count is not None and count > 1 else ""
        super().__init__(f"column {column!r}: cannot cast {value!r} to {target}{how_many}")


class ValidationError(EcomkitError):
    """Data that breaks a rule where breaking it is fatal."""


class QualityGateError(ValidationError):
    """A quality score fell below the configured threshold."""

    def __init__(self, score: float, threshold: float, *, what: str = "overall quality score") -> None:
        self.score = score
        self.threshold = threshold
        super().__init__(f"{what} {score:.3f} is below the threshold {threshold:.3f}")


class ConvergenceError(EcomkitError):
    """A model fit did not converge; the message carries the optimizer's own message.

    Attributes:
        model: the model's name (``"BetaGeo"``, ...).
        reason: the optimizer's message.
    """

    def __init__(self, model: str, reason: str) -> None:
        self.model = model
        self.reason = reason
        super().__init__(
            f"{model} fit did not converge: {reason}. Try a small penalizer (e.g. penalizer=0.001) "
            "or check the summary for degenerate data (all customers with frequency 0)."
        )


class ResilienceError(EcomkitError):
    """Raised by :mod:`ecomkit.resilience` policies."""


class RetryExhaustedError(ResilienceError):
    """Every attempt of a retryable operation failed; ``__cause__`` is the last failure."""

    def __init__(self, message: str, *, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(message)


class RateLimitedError(ResilienceError):
    """The rate limiter could not grant a slot within the allowed wait."""


class CircuitOpenError(ResilienceError):
    """The circuit breaker is open: the call was not attempted."""


class ConnectorError(EcomkitError):
    """A source could not be read."""


class HTTPError(ConnectorError):
    """A transport failure talking to a REST API (connection, timeout, TLS)."""


class HTTPStatusError(HTTPError):
    """An HTTP response with an error status that will not (or no longer) be retried.

    Attributes:
        status_code: the HTTP status.
        url: the request URL with credentials removed.
    """

    def __init__(self, message: str, *, status_code: int, url: str) -> None:
        self.status_code = status_code
        self.url = url
        super().__init__(message)


class PaginationError(HTTPError):
    """A page that cannot be parsed, or a cursor that does not advance."""


class DatabaseError(ConnectorError):
    """A SQL or MongoDB source failed; the message names the table or column."""


class SourceDataError(ConnectorError):
    """A record that does not fit the declared schema (names the field and the record id)."""


class StateError(ConnectorError):
    """The sync-state store is unreadable or inconsistent."""


class WarehouseError(EcomkitError):
    """The warehouse could not be written."""


class SpecError(WarehouseError, ConfigError):
    """An invalid DDL spec; the message names the spec field at fault."""


class LoadError(WarehouseError):
    """A load failed; the target table is left exactly as it was before the load."""
