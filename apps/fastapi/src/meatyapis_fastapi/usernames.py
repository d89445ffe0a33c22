"""How usernames compare: after Unicode compatibility normalisation and case folding (NFKC,
casefold, NFKC again as casefolding may denormalise), so `Ada`, `ada` and a fullwidth `ada`
(U+FF41 U+FF44 U+FF41) are one name."""

from __future__ import annotations

import unicodedata


def canonical(username: str) -> str:
    folded = unicodedata.normalize("NFKC", username).casefold()
    return unicodedata.normalize("NFKC", folded)
