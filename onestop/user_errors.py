"""How the `onestop` command tells a user what went wrong: one line on stderr that names the
fix, and an exit code a script can branch on, never a Python traceback.

- 2: the user's input (an argument, an option, an `ONESTOP_*` variable, data the API refused);
- 1: the command ran but found a problem (an invalid draft, a rejected file, a server that
  did not answer or refused for its own reasons);
- 130: interrupted.
"""

from __future__ import annotations

import httpx
import typer
from pydantic import ValidationError

from orchestrator.errors import InputError, OneStopError, UnknownLifeEvent

USAGE = 2
FAILED = 1
INTERRUPTED = 130


def describe(exc: BaseException) -> tuple[str, int] | None:
    """The line and exit code for an error a user can meet, or None for a bug (which keeps its
    traceback: only a developer can act on it)."""
    if isinstance(exc, UnknownLifeEvent):  # a type the user typed
        known = ", ".join(exc.known) or "none"
        return (
            f"{exc} (the catalog holds: {known}; `onestop catalog validate` shows the files that are not valid)",
            USAGE,
        )
    if isinstance(exc, InputError):  # an option or argument the user gave
        return str(exc), USAGE
    if isinstance(exc, OneStopError):
        return str(exc), FAILED
    if isinstance(exc, ValidationError):
        return _invalid(exc), USAGE
    if isinstance(exc, httpx.TransportError):
        where = exc.request.url.copy_with(path="/", query=None)
        return (
            f"cannot reach the OneStop API at {where} ({type(exc).__name__}): "
            "start it with `onestop dev`, or point ONESTOP_API_HOST and ONESTOP_API_PORT at it",
            FAILED,
        )
    if isinstance(exc, typer.TyperException):  # usage errors; typer vendors click's
        ctx = getattr(exc, "ctx", None)
        see = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message = " ".join(exc.format_message().split())  # click lists choices on lines of their own
        return message + see, getattr(exc, "exit_code", USAGE)
    return None


def refused(response: httpx.Response, fix: str = "") -> tuple[str, int]:
    """An API's error answer as one line: the refusal is the user's to fix when it is a 4xx."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = body.get("detail", response.reason_phrase) if isinstance(body, dict) else response.reason_phrase
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors:  # every bad field, as the API named them
        detail = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict))
    line = f"the API answered {response.status_code}: {detail}"
    if response.status_code == 401:
        fix = "use the API's signing key (ONESTOP_JWT_SECRET, or the same ONESTOP_HOME)"
    if fix and response.is_client_error:
        line += f": {fix}"
    return line, USAGE if response.is_client_error else FAILED


def _invalid(exc: ValidationError) -> str:
    """A settings error names the environment variable; any other the value's path."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        name = f"ONESTOP_{loc.upper()}" if exc.title == "Settings" else loc
        parts.append(f"{name}: {err['msg']}" if name else err["msg"])
    fix = ": fix the variable" if exc.title == "Settings" else ""
    return "; ".join(parts) + fix
