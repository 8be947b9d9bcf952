"""Word lists that decoding may prefer when the image supports them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Lexicon:
    words: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> Lexicon:
        """One entry per line (or separated by commas); blank lines and `#` comments ignored."""
        entries: list[str] = []
        for raw in text.replace(",", "\n").splitlines():
            item = raw.strip()
            if item and not item.startswith("#"):
                entries.append(item)
        return cls(tuple(dict.fromkeys(entries)))

    @classmethod
    def from_file(cls, path: str | Path) -> Lexicon:
        return cls.from_text(Path(path).read_text(encoding="utf-8", errors="replace"))

    def tokens(self) -> tuple[str, ...]:
        """Single words: multi-word entries count as their parts, since we decode word by word."""
        return tuple(dict.fromkeys(t for entry in self.words for t in entry.split()))

    def __len__(self) -> int:
        return len(self.words)
