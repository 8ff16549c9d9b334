"""Credentials out of everything sweep records or shows: study attributes, reports, messages.

Reports are made to be shared and committed, and a storage URL can carry a password
(`postgresql://user:PASSWORD@host/db`, or `?password=…` in its query). Every URL or
command line that sweep stores, prints or writes passes through `redact` first, and
reports redact again what older studies stored before this existed.
"""

from __future__ import annotations

import re
import shlex

MASK = "***"

# scheme://user:password@ — the password is what SQLAlchemy's URL parser takes: up to the next '@'.
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<password>[^@\s]*)@")
# The same inside one command-line argument, where a quoted password may hold spaces.
_USERINFO_IN_ARGUMENT = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<password>[^@]*)@")
# Query parameters and libpq keywords that carry a secret: ?password=…, sslpassword=…, token=…
_SECRET_PARAMETER = re.compile(
    r"(?P<head>(?:^|[?&;\s])(?:password|passwd|pwd|sslpassword|secret|token|access_token|api_key)=)(?P<value>[^&;\s]*)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """The text with every password in a URL or key=value credential replaced by ***."""
    text = _USERINFO.sub(lambda match: f"{match['head']}{MASK}@", text)
    return _SECRET_PARAMETER.sub(lambda match: f"{match['head']}{MASK}", text)


def redact_command(argv: list[str]) -> str:
    """A command line as a shell would take it back, with every credential redacted."""
    redacted = [redact(_USERINFO_IN_ARGUMENT.sub(lambda match: f"{match['head']}{MASK}@", argument))
                for argument in argv]
    return shlex.join(redacted)
