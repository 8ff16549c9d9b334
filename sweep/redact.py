"""What sweep records or shows of a URL or command line: no credentials, no machine's paths.

Reports are made to be shared and committed, and a storage URL can carry a password
(`postgresql://user:PASSWORD@host/db`, or `?password=…` in its query). Every URL or
command line that sweep stores, prints or writes passes through `redact` first, and
reports redact again what older studies stored before this existed. Recorded commands
are also made portable: a path inside the project reads relative to it, one outside as a
placeholder (`$SWEEP_STORAGE`, …), since `/tmp/x/studies.db` means nothing to a reader.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from sweep.config.run import ARTIFACTS_VARIABLE, DATA_DIR_VARIABLE, STORAGE_VARIABLE

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


PLACEHOLDERS = {"--storage": f"${STORAGE_VARIABLE}", "--artifacts": f"${ARTIFACTS_VARIABLE}",
                "--data-dir": f"${DATA_DIR_VARIABLE}"}


def portable_command(command: str, project: Path) -> str:
    """The command with each absolute path relative to `project` when inside it, else a placeholder
    (written "$SWEEP_STORAGE", so the line still runs where the variable is set)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return command  # not a shell line we can take apart: leave it as recorded
    portable, flag = [], None
    for word in words:
        name, equals, value = word.partition("=") if word.startswith("--") else ("", "", word)
        if equals:
            portable.append(name + "=" + _portable(value, name, project))
        else:
            portable.append(shlex.quote(word) if word.startswith("-") else _portable(word, flag, project))
        flag = word if word.startswith("--") and not equals else None
    return " ".join(portable)


def _portable(value: str, flag: str | None, project: Path) -> str:
    """One word, shell-quoted: a path made relative, or its placeholder."""
    prefix = "sqlite:///" if value.startswith("sqlite:///") else ""
    path = Path(value.removeprefix(prefix))
    if not path.is_absolute():
        return shlex.quote(value)
    if path.is_relative_to(project):
        return shlex.quote(prefix + str(path.relative_to(project)))
    if flag in PLACEHOLDERS:
        return f'"{PLACEHOLDERS[flag]}"'
    return shlex.quote(f"<outside the project>/{path.name}")
