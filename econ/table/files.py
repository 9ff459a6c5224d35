"""Writing a table file whole or not at all, with the same bytes on every run.

A table is rendered in memory, written to a temporary file beside the target and renamed over
it, so a failure mid-write (a full disk, an interrupted run) leaves the previous file, or no
file, never half of one. Word and Excel files are zip archives that record the time each member
was written; :func:`stable_zip` fixes those times so a rerun gives byte-identical files, as the
replication manifest expects.
"""

from __future__ import annotations

import errno
import io
import os
import secrets
import stat
import zipfile
from pathlib import Path

# The earliest time a zip archive can record; a date no reader mistakes for the file's age.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder; return ``path``.

    Raises
    ------
    FileNotFoundError
        The folder does not exist (it is not created: a mistyped folder should not silently
        become a new one).
    IsADirectoryError
        ``path`` is a folder.
    PermissionError
        ``path`` is read-only, open in Word, Excel or LibreOffice (they leave a lock file
        beside it, and on Windows hold the file), or the folder is not writable.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write the table to {path}: it is a folder")
    _check_writable(path)
    # The random part keeps two runs writing the same table from sharing a temporary file.
    temporary = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        # os.open with 0o666 lets the umask decide the mode, as for any new file (mkstemp
        # would make it readable by the owner only).
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except PermissionError as error:
        raise PermissionError(errno.EACCES, f"cannot write the table: the folder {folder} is "
                              f"not writable", str(path)) from error
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except PermissionError as error:
        temporary.unlink(missing_ok=True)
        raise PermissionError(errno.EACCES, "cannot replace the table file: is it open in "
                              "another program?", str(path)) from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _check_writable(path: Path) -> None:
    """Refuse a read-only target or one an office program has open.

    Renaming over a read-only file succeeds on POSIX, and a superuser may write any file, so
    the write bits are read rather than trusted to make the write fail.
    """
    if path.exists():
        mode = path.stat().st_mode
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path,
                                                                                   os.W_OK):
            raise PermissionError(errno.EACCES, "cannot write the table: the file is read-only",
                                  str(path))
    # LibreOffice's lock file, then Word's and Excel's (which drop the first two characters
    # of long names).
    locks = (f".~lock.{path.name}#", f"~${path.name}", f"~${path.name[2:]}")
    held = [name for name in locks if (path.parent / name).exists()]
    if held:
        raise PermissionError(errno.EACCES, f"cannot write the table: the file is open in "
                              f"another program (lock file {held[0]}); close it first",
                              str(path))


def stable_zip(data: bytes) -> bytes:
    """The zip archive ``data`` with every member's time and attributes fixed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(member))
    return out.getvalue()
