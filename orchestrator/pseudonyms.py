"""The pseudonym a citizen has inside Temporal: a keyed hash of their identity number.

Histories, search attributes and logs name a case's citizen only by this (`p-` and 32 hex
digits): stable per citizen, so one person's cases can still be told together, and not reversible
without the key (identity numbers are few enough to guess, which is why it is keyed, not a plain
hash). The identity number itself stays in MongoDB (the vault and the case record), and an
activity reads it from there when an agency must be told whom a request is about.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "p-"


class Pseudonyms:
    def __init__(self, key: str) -> None:
        if len(key) < 32:
            raise ValueError("the pseudonym key must be at least 32 characters")
        self._key = key.encode()

    def of(self, citizen_id: str) -> str:
        digest = hmac.new(self._key, citizen_id.encode(), hashlib.sha256).hexdigest()
        return PREFIX + digest[:32]
