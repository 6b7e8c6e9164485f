"""Why an action was refused, as a catalog key the page shows in the user's language.

Every servicing rule raises ``Rejected`` instead of a bare ValueError, so the reason
travels from the domain through the services to the page without being re-worded.
"""

from __future__ import annotations


class Rejected(ValueError):
    """An action the rules refuse. ``code`` is an ``error.*`` catalog key; ``params`` fill
    its placeholders (amounts already formatted, so both languages show the same figure)."""

    def __init__(self, code: str, **params: str):
        super().__init__(code)
        self.code = code
        self.params = {name: str(value) for name, value in params.items()}
