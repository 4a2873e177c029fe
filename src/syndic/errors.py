"""The one exception tree. Every error a user can see is a ``SyndicError``.

Edges translate it: the CLI prints ``error: <message>`` and exits non-zero, the API
returns ``{"error": {"code": ..., "message": ...}}`` with ``status``. Wrap a
dependency's exception as one of ours with ``raise X(...) from exc``.

    SyndicError
    ├── ConfigError                  bad settings, data dir not writable
    ├── InvalidInput                 refused before anything is written (400/422)
    │   ├── InputFileError           missing/unreadable/malformed input file
    │   ├── OutputFileError          an output path that cannot be written
    │   ├── RslError                 an RSL document that does not parse or validate
    │   ├── SharesError              rights-holder shares do not sum to 100%
    │   ├── AmountError              negative, fractional or overflowing money
    │   ├── PolicyError              a policy or charter file with errors
    │   ├── TooLarge                 a request body over its limit (413)
    │   ├── CreditsExceeded          a quadratic ballot spends more voice credits than held
    │   └── InvalidGrant             OAuth2 invalid_grant: no agreement covers it (400)
    ├── NotFound                     (404)
    ├── Conflict                     double vote, illegal state transition (409)
    ├── AuthError                    missing, forged or expired credential (401)
    │   ├── SignatureError           a Web Bot Auth signature that does not verify
    │   ├── ChallengeError           a proof-of-work solution that is wrong, stale or spent
    │   └── LinkInvalid              a sign-in link that is unknown, expired or used (410)
    ├── Forbidden                    valid credential, outside its scope (403)
    ├── IntegrityError               tampering or corruption detected
    │   └── LogTampered
    ├── DatabaseError                the database refused or failed (wrapped SQLAlchemy error)
    │   └── DatabaseBusy             held by another writer past the lock timeout (503, retry)
    ├── VerificationError            a proof, signature or receipt does not verify
    ├── ValuationError               a valuation cannot be run on this input
    └── LeverageError                a leverage run or price range cannot be computed
"""

from __future__ import annotations

from typing import Any, ClassVar


class SyndicError(Exception):
    """Base of every error Syndic raises on purpose."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ConfigError(SyndicError):
    code = "config_error"
    status = 500


class InvalidInput(SyndicError):
    code = "invalid_input"
    status = 422


class InputFileError(InvalidInput):
    code = "input_file_error"


class OutputFileError(InvalidInput):
    code = "output_file_error"


class RslError(InvalidInput):
    code = "rsl_invalid"


class SharesError(InvalidInput):
    code = "shares_invalid"


class AmountError(InvalidInput):
    code = "amount_invalid"


class PolicyError(InvalidInput):
    code = "policy_invalid"


class TooLarge(InvalidInput):
    code = "body_too_large"
    status = 413


class CreditsExceeded(InvalidInput):
    code = "credits_exceeded"


class InvalidGrant(InvalidInput):
    """OAuth2 ``invalid_grant``: no active agreement of this licensee covers the request."""

    code = "invalid_grant"
    status = 400


class NotFound(SyndicError):
    code = "not_found"
    status = 404


class Conflict(SyndicError):
    code = "conflict"
    status = 409


class AuthError(SyndicError):
    code = "unauthorized"
    status = 401


class SignatureError(AuthError):
    """A Web Bot Auth signature is missing, malformed, forged, expired or replayed."""

    code = "invalid_signature"


class ChallengeError(AuthError):
    """A proof-of-work solution that is wrong, expired, for another client or spent."""

    code = "challenge_invalid"


class LinkInvalid(AuthError):
    """A one-time sign-in link that is unknown, expired or already used."""

    code = "signin_link_invalid"
    status = 410


class Forbidden(SyndicError):
    code = "forbidden"
    status = 403


class IntegrityError(SyndicError):
    code = "integrity_error"
    status = 500


class LogTampered(IntegrityError):
    code = "log_tampered"


class DatabaseError(SyndicError):
    code = "database_error"
    status = 500


class DatabaseBusy(DatabaseError):
    """Another writer held the database past the lock timeout (SQLite ``database is locked``,
    a PostgreSQL lock timeout, deadlock or serialization failure): nothing was written, and
    the same request may simply be sent again later."""

    code = "database_busy"
    status = 503
    retry_after_s: ClassVar[int] = 5


class VerificationError(SyndicError):
    code = "verification_failed"
    status = 422


class ValuationError(SyndicError):
    code = "valuation_error"
    status = 422


class LeverageError(SyndicError):
    code = "leverage_error"
    status = 422
