"""Field constraints: which characters a field may hold, and how the classifier's
62 case-sensitive classes fold onto them."""

from __future__ import annotations

import string
from dataclasses import dataclass

NAMED_CHARSETS = {
    "upper": string.ascii_uppercase + " -'",
    "lower": string.ascii_lowercase + " -'",
    "digits": string.digits,
    "alpha": string.ascii_letters + " -'",
    "alnum": string.ascii_letters + string.digits + " -'",
    "any": string.ascii_letters + string.digits + " -'.,:;!?/()&\"",
}

# When the class a crop looks like is not allowed, the character it was most likely
# meant to be. Handwritten 0/O, 1/I, 5/S ... are the same shapes.
LOOKALIKES: dict[str, str] = {
    "0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "9": "g", "4": "A", "7": "T",
    "O": "0", "o": "0", "I": "1", "l": "1", "i": "1", "S": "5", "s": "5", "Z": "2",
    "z": "2", "B": "8", "G": "6", "b": "6", "q": "9", "g": "9", "T": "7", "D": "0",
}


class CharsetError(ValueError):
    pass


@dataclass(frozen=True)
class Charset:
    """An allowed set of characters. `spec` is what the user asked for."""

    spec: str
    chars: frozenset[str]

    @property
    def allows_space(self) -> bool:
        return " " in self.chars

    def fold(self, label: str) -> str | None:
        """Map a classifier label into this charset, or None when it has no place here."""
        if label in self.chars:
            return label
        for candidate in (label.upper(), label.lower()):
            if candidate in self.chars:
                return candidate
        alike = LOOKALIKES.get(label)
        if alike is not None:
            for candidate in (alike, alike.upper(), alike.lower()):
                if candidate in self.chars:
                    return candidate
        return None


def parse_charset(spec: str | None) -> Charset:
    """`upper`, `digits`, `alnum`, `any`, ... or an explicit list such as `A-Z -'`."""
    spec = (spec or "any").strip() or "any"
    if spec in NAMED_CHARSETS:
        return Charset(spec, frozenset(NAMED_CHARSETS[spec]))
    chars: set[str] = set()
    i = 0
    while i < len(spec):
        # A dash between two letters or digits is a range; anywhere else it is a dash.
        if i + 2 < len(spec) and spec[i + 1] == "-" and spec[i].isalnum() and spec[i + 2].isalnum():
            start, end = spec[i], spec[i + 2]
            if ord(end) < ord(start):
                raise CharsetError(f"range {start}-{end} runs backwards")
            chars.update(chr(c) for c in range(ord(start), ord(end) + 1))
            i += 3
            continue
        if spec[i] == "\\" and i + 1 < len(spec):
            chars.add(spec[i + 1])
            i += 2
            continue
        chars.add(spec[i])
        i += 1
    if not chars - {" "}:
        raise CharsetError("a character set needs at least one character besides space")
    return Charset(spec, frozenset(chars))
