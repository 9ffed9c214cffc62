"""Reading user files as text: one rule for game JSON, scenario TOML and sweep specs.

:func:`read_text` returns the UTF-8 text of a file or raises :class:`TextFileError` saying why not
(``reason``: ``"missing"``, ``"folder"``, ``"unreadable"``, ``"binary"``, with a ``detail``); each
caller words it as its own package error (``GameError``, ``ScenarioError``) with its field prefix.
Imports nothing of qcoord.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TextFileError", "read_text"]


class TextFileError(ValueError):
    """A file that cannot be read as UTF-8 text.

    Attributes
    ----------
    path : Path
    reason : {"missing", "folder", "unreadable", "binary"}
    detail : str
        The OS error, or for ``"binary"`` the first byte that is not UTF-8 (``"byte 128 is b'\\x80'"``).
    """

    def __init__(self, path: Path, reason: str, detail: str = "") -> None:
        super().__init__(f"{path}: {reason}{': ' + detail if detail else ''}")
        self.path, self.reason, self.detail = path, reason, detail


def read_text(path: str | Path) -> str:
    """The UTF-8 text of ``path`` (:class:`TextFileError` if it is missing, a folder, unreadable or binary)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise TextFileError(p, "missing") from None
    except IsADirectoryError:
        raise TextFileError(p, "folder") from None
    except OSError as exc:
        raise TextFileError(p, "unreadable", str(exc.strerror or exc)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TextFileError(p, "binary", f"byte {exc.start} is {raw[exc.start:exc.start + 1]!r}") from None
