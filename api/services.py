"""What the API process holds for its lifetime: clients created once in the lifespan, closed on exit."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from temporalio.client import Client

from api.rate_limits import RateLimits
from orchestrator.agency_exchange import AgencyExchange
from orchestrator.audit_log import AuditLog
from orchestrator.auth import TokenVerifier
from orchestrator.case_commands import CaseCommands
from orchestrator.case_store import CaseStore
from orchestrator.catalog import CatalogSource
from orchestrator.consent_desk import ConsentDesk
from orchestrator.data_exchange import DataUseLog
from orchestrator.follow_up_desk import FollowUpDesk
from orchestrator.intake import CaseIntake
from orchestrator.mongo import Document
from orchestrator.offer_desk import OfferDesk
from orchestrator.profile_store import ProfileStore
from orchestrator.settings import Settings
from orchestrator.support_desk import SupportDesk
from orchestrator.work_list import WorkList


@dataclass
class Services:
    settings: Settings
    mongo: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    temporal: Client
    catalog: CatalogSource
    cases: CaseStore
    intake: CaseIntake
    commands: CaseCommands
    audit: AuditLog
    support: SupportDesk
    tokens: TokenVerifier
    limits: RateLimits
    exchange: AgencyExchange
    work_list: WorkList
    profiles: ProfileStore
    data_uses: DataUseLog
    consents: ConsentDesk
    offers: OfferDesk
    follow_ups: FollowUpDesk
