"""A file name as intake stores and shows it, whatever the client sent.

One function for the three doors (upload, pasted text, OA push): only the last part of a
path is kept (``../../etc/passwd`` → ``passwd``, ``C:\\公文\\通知.docx`` → ``通知.docx``);
control characters, bidirectional overrides (U+202E would show ``通知exe.docx`` for
``通知xcod.exe``) and other invisible format characters are removed; leading dots and
surrounding blanks go; what is left is cut to ``MAX_LENGTH`` characters keeping the
extension. An empty result is the empty string: the document then has no file name.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 255  # the column holds 300; 255 is what file systems take
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_DRIVE = re.compile(r"^[A-Za-z]:")


def clean_filename(name: str) -> str:
    name = unicodedata.normalize("NFC", name or "")
    name = re.sub(r"\s+", " ", name)  # tabs and line breaks too: a name is one line
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _INVISIBLE)
    name = re.split(r"[/\\]", name)[-1]
    name = _DRIVE.sub("", name).strip().lstrip(".").strip()
    if len(name) > MAX_LENGTH:
        _stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        name = name[: MAX_LENGTH - len(ext)] + ext
    return name
