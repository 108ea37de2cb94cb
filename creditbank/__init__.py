"""creditbank: a credit bank for vocational education with a verifiable ledger."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Import the application only when asked (``creditbank:create_app()``): the gunicorn
    # configuration, a submodule, must run before prometheus-client is first imported.
    if name == "create_app":
        from creditbank.app import create_app  # noqa: PLC0415

        return create_app
    raise AttributeError(f"module 'creditbank' has no attribute {name!r}")
