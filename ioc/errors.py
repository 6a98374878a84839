"""The one error tree of the project.

    IocError                        base of everything we raise on purpose
    ├── ConfigError                 a setting is missing or wrong; names the key and the value
    ├── PayloadRejected             one message is unusable (bad JSON, wrong type, unknown name,
    │                               oversize, bad topic...); carries a short machine `reason`.
    │                               Counted and dead-lettered, never raised out of the consume loop.
    ├── AuthError                   a user/token/display request that cannot be done (unknown
    │                               name, name taken, bad role or password); the text says why
    └── ServiceError                a backing service misbehaved; `retryable` says what to do
        ├── StorageError            InfluxDB / SQLite
        │   ├── StorageUnavailable      retryable: down, timeout, 5xx, auth or bucket problems
        │   │                           an operator can fix without losing data
        │   └── StorageRejected         not retryable: the data itself was refused (HTTP 400)
        ├── LiveStateError          Redis / in-process live state (retryable)
        ├── BrokerError             MQTT broker
        │   └── BrokerAuthError         bad credentials: retrying cannot help
        └── DeliveryError           a notification channel (SMTP, webhook) did not take a
                                    message; `retryable` False when the receiver refused it

Library errors (urllib3, redis, paho, smtplib, httpx) are translated to these at one boundary
each: the storage and live-state implementations, the MQTT transport and the notification
channels.
"""

from __future__ import annotations


class IocError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(IocError):
    """A setting is missing or invalid. The message names the key and the offending value."""

    def __init__(self, key: str, value: object, problem: str) -> None:
        self.key = key
        self.value = value
        self.problem = problem
        super().__init__(f"setting {key}={value!r}: {problem}")


class AuthError(IocError):
    """A user, token or display sign-in request that cannot be done; the message says why."""


class PayloadRejected(IocError):
    """One message cannot be turned into readings.

    `reason` is a short stable code (see REASONS) used for counting and dead-lettering;
    `detail` is a human sentence for the integrator.
    """

    REASONS = frozenset(
        {
            "bad_topic",
            "oversize",
            "bad_encoding",
            "bad_json",
            "bad_shape",
            "missing_field",
            "wrong_type",
            "unknown_name",
            "bad_value",
            "bad_time",
            "future_time",
            "source_mismatch",
            "storage_rejected",
        }
    )

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


class ServiceError(IocError):
    """A backing service failed. `retryable` tells the caller whether trying again can help."""

    retryable: bool = True


class StorageError(ServiceError):
    """The system-of-record storage failed."""


class StorageUnavailable(StorageError):
    """Storage cannot take writes right now; keep the data and retry with backoff."""

    retryable = True


class StorageRejected(StorageError):
    """Storage refused the data itself (HTTP 400: bad line, field type conflict)."""

    retryable = False


class LiveStateError(ServiceError):
    """The live state (Redis) is unreachable or failed; the snapshot catches up later."""

    retryable = True


class BrokerError(ServiceError):
    """The MQTT broker failed or refused us."""

    retryable = True


class BrokerAuthError(BrokerError):
    """The broker refused our credentials: retrying cannot help."""

    retryable = False


class DeliveryError(ServiceError):
    """A notification was not delivered. Retryable unless the receiver refused the message
    itself (e.g. a webhook answering 4xx other than 408/429)."""

    def __init__(self, detail: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(detail)
