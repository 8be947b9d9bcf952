"""The one base of every refusal a user can cause, carrying the HTTP status it is answered
with, so services raise and the API maps them in one place (api/exceptions.py)."""

from __future__ import annotations


class Refusal(Exception):
    """A request the service refuses: something the user sent or asked (4xx), or work it
    cannot take at this moment (503, to be sent again). The message is shown to the user
    as it is, so it says what to do; `status` is the HTTP status to answer."""

    status: int = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
