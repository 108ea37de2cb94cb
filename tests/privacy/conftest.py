"""The web pages' fixtures (the demonstration bank) for the portal's closure page."""

from tests.web.conftest import demo

__all__ = ["demo"]
