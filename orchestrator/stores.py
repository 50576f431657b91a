"""The three MongoDB stores a case lives in, opened together on one database."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.case_store import CaseStore
from orchestrator.definition_store import DefinitionStore
from orchestrator.mongo import Document
from orchestrator.sealing import FieldSealer
from orchestrator.vault import CaseDataStore


@dataclass(frozen=True)
class CaseStores:
    cases: CaseStore
    vault: CaseDataStore
    definitions: DefinitionStore

    @classmethod
    def on(cls, db: AsyncDatabase[Document], sealer: FieldSealer) -> CaseStores:
        """`sealer`: what seals the citizen's data at rest (`Settings.vault_sealer`)."""
        return cls(CaseStore(db), CaseDataStore(db, sealer), DefinitionStore(db))
