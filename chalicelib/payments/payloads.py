"""What the provider translators share: the payload base model and its validation."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.errors import ValidationFailed, validation_details

P = TypeVar("P", bound=BaseModel)


class Payload(BaseModel):
    """A provider's payload. Unknown fields are ignored: a provider that adds a field must not
    have its notifications refused (and retried for a day or more). Known fields are typed
    strictly: an amount sent as a string is an error, not a guess."""

    model_config = ConfigDict(extra="ignore", strict=True, defer_build=True)


def parse_json(model: type[P], raw: bytes | str, what: str) -> P:
    """Validate JSON text into `model`; ValidationFailed (400) names the bad fields, in its
    message too (WeChat Pay's and Alipay's answers carry a message, not details)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise _refused(exc, what) from exc


def build(model: type[P], what: str, **fields: object) -> P:
    """Construct `model` from translated fields; a missing or ill-formed one is ValidationFailed."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise _refused(exc, what) from exc


def _refused(exc: ValidationError, what: str) -> ValidationFailed:
    details = validation_details(exc)
    fields = ", ".join(dict.fromkeys(d["field"] for d in details))
    return ValidationFailed(f"The {what} is not valid ({fields}); see details.", details)
