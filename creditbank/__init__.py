"""creditbank: a credit bank for vocational education with a verifiable ledger."""

from creditbank.app import create_app

__all__ = ["create_app"]
__version__ = "0.1.0"
