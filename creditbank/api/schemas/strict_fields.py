"""marshmallow fields for the input policies, so a schema states a policy in one declaration.

Text follows :mod:`creditbank.text`; numbers in query strings follow :mod:`creditbank.numerals`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from creditbank.numerals import natural
from creditbank.text import TextPolicy, TextRefused


class Text(fields.String):
    """A string cleaned by a :class:`~creditbank.text.TextPolicy`: loaded in NFC, or refused.

    The length limit is also declared as a ``Length`` validator, for the OpenAPI document.
    """

    def __init__(self, policy: TextPolicy, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=1, max=policy.max_length), **kwargs)
        self.policy = policy

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.policy.clean(text)
        except TextRefused as exc:
            raise ValidationError(str(exc)) from None


class Natural(fields.Integer):
    """A whole number from a query string: ASCII digits, no sign, within ``0..high``."""

    def __init__(self, *, high: int, **kwargs: Any) -> None:
        super().__init__(strict=False, validate=validate.Range(min=0, max=high), **kwargs)
        self.high = high

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number: int | None = value if 0 <= value <= self.high else None
        else:
            number = natural(value, high=self.high)
        if number is None:
            raise ValidationError(f"must be a whole number from 0 to {self.high} in digits 0-9")
        return number
