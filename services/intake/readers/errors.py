"""The one error the readers raise, with a message a clerk can act on.

The API turns a :class:`ReadError` into a 4xx; ``code`` is for programs and logs,
``message`` is shown as it is to the person who uploaded the file, so it says what to do.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "empty": "文件是空的（0 字节）。请检查后重新上传通知原件。",
    "too_large": "文件超过大小上限（{limit}）。请上传通知正文，附件或图片请单独处理。",
    "legacy_doc": (
        "这是旧版 Word（.doc）文件，系统无法直接读取。"
        "请在 Word 或 WPS 中“另存为” .docx 或 PDF 后重新上传。"
    ),
    "wps": (
        "这是 WPS 文字（.wps）文件，系统无法直接读取。请在 WPS 中“另存为” .docx 或 PDF 后重新上传。"
    ),
    "corrupt": "文件已损坏或不完整，无法打开。请重新导出或向发文单位索取原件后再上传。",
    "encrypted": (
        "文件设置了打开密码，系统无法读取。请在 Word、WPS 或 PDF 软件中取消密码"
        "（或另存为不加密的副本）后重新上传。"
    ),
    "scanned_pdf": (
        "这份 PDF 没有文字层，可能是扫描件或图片，系统无法识别文字。"
        "需要文字版 PDF：扫描件请先做 OCR（文字识别），或向发文单位索取 Word 版后上传。"
    ),
    "zip_bomb": (
        "文件解压后体积异常巨大，疑似恶意构造的文件，已拒绝处理。"
        "请重新从 Word 或 WPS 导出通知后上传。"
    ),
    "binary": "文件内容不是文字，可能是图片、压缩包或程序文件。请上传通知的 Word、PDF 或文本文件。",
    "encoding": (
        "文本文件的编码无法识别（既不是 UTF-8，也不是 GBK/GB18030）。"
        "请用记事本或 WPS 打开后“另存为” UTF-8 编码，或直接上传 Word、PDF 原件。"
    ),
    "image": (
        "这是图片文件，系统无法识别其中的文字。"
        "请上传通知的 Word 或文字版 PDF；只有图片时请先做 OCR（文字识别）。"
    ),
    "unsupported": (
        "暂不支持这种文件格式。请上传 Word（.docx）、PDF、OFD 或文本（.txt）格式的通知。"
    ),
}


class ReadError(ValueError):
    """Bad input: the bytes cannot be turned into text; ``message`` tells a clerk why."""

    def __init__(self, code: str, message: str | None = None, **values: str) -> None:
        self.code = code
        self.message = message or MESSAGES.get(code, MESSAGES["unsupported"]).format(**values)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"ReadError({self.code!r}, {self.message!r})"
