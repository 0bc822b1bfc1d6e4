"""The parser's only exception type, so callers can turn it into a 4xx without guessing."""


class ParseError(ValueError):
    """Raised when text cannot be read as a notice or report; the message is for a clerk."""
