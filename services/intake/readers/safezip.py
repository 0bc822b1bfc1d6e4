"""Open a ZIP container (.docx, .ofd) only after checking it cannot exhaust memory or disk.

A few kilobytes of ZIP can claim gigabytes once inflated; the sizes in the central
directory are checked before any member is read, and members are read with a hard cap so
a lying directory cannot get through either.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from services.intake.readers.errors import ReadError

MAX_TOTAL = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 10_000
_RATIO_FLOOR = 1024 * 1024  # small members may compress well; only judge big ones


def open_zip(data: bytes) -> zipfile.ZipFile:
    """A ZipFile over ``data`` after the bomb checks; ReadError for a corrupt archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ReadError("corrupt") from exc
    except (NotImplementedError, RuntimeError) as exc:
        raise ReadError("corrupt") from exc
    if len(infos) > MAX_MEMBERS:
        raise ReadError("zip_bomb")
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if total > MAX_TOTAL or (total > _RATIO_FLOOR and total > MAX_RATIO * max(packed, 1)):
        raise ReadError("zip_bomb")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, limit: int = MAX_TOTAL) -> bytes:
    """A member's bytes, refusing to inflate more than ``limit`` whatever the header says."""
    try:
        with archive.open(name) as member:
            data = member.read(limit + 1)
    except KeyError as exc:
        raise ReadError("corrupt") from exc
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        raise ReadError("corrupt") from exc
    except (NotImplementedError, RuntimeError) as exc:  # encrypted or exotic compression
        raise ReadError("corrupt") from exc
    if len(data) > limit:
        raise ReadError("zip_bomb")
    return data
