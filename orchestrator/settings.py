"""Every OneStop setting, read once from `ONESTOP_*` environment variables.

Empty server addresses mean "embedded": `onestop dev` and the test fixtures start a Temporal dev
server and a SecantusDB server themselves and fill the addresses in.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orchestrator.auth import TokenRules, TokenVerifier
from orchestrator.payload_codec import COMPRESS_FROM, new_key
from orchestrator.pseudonyms import Pseudonyms
from orchestrator.sealing import FieldSealer, parse_vault_keys

DEV_SECRET_FILE = "jwt.key"
DEV_PAYLOAD_KEY_FILE = "payload-keys.json"
DEV_PSEUDONYM_KEY_FILE = "pseudonym.key"
DEV_VAULT_KEY_FILE = "vault-keys.json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONESTOP_", env_nested_delimiter="__")

    environment: Literal["development", "test", "production"] = "development"
    home: Path = Path(".onestop")

    temporal_address: str = ""
    temporal_namespace: str = "default"
    task_queue: str = "onestop"

    mongodb_url: str = ""
    mongodb_database: str = "onestop"
    mongodb_timeout_ms: int = Field(
        default=2_000,
        ge=100,
        le=60_000,
        description="server selection and connect timeout: how fast an outage is a 503",
    )

    catalog_path: Path = Path(__file__).resolve().parent.parent / "catalog"

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    simulator_port: int = Field(default=8100, ge=1, le=65535)
    http_keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        le=3_600,
        description=(
            "how long the API and the simulators keep an idle connection open: longer than a"
            " client's or proxy's own idle timeout (httpx 5 s, load balancers 60 s), or the server"
            " closes one just as the client sends on it and the client reads a reset"
        ),
    )
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    mongodb_port: int = Field(default=27018, ge=1, le=65535)

    reconcile_interval_seconds: float = Field(default=60.0, gt=0, description="orphan-case sweep period")
    reconcile_quiet_seconds: float = Field(
        default=120.0, ge=0, description="how long a case may sit unstarted"
    )

    worker_max_concurrent_workflow_tasks: int = Field(
        default=100, ge=2, le=10_000, description="workflow tasks one worker runs at once (2 at least)"
    )
    worker_max_concurrent_activities: int = Field(
        default=200,
        ge=1,
        le=10_000,
        description="activities (agency calls, projections) one worker runs at once, as many local ones",
    )
    worker_sandbox: bool = Field(
        default=False,
        description="run workflow code in the SDK's sandbox too (the workflow tests and replays always do)",
    )
    background_nice: int = Field(
        default=19,
        ge=0,
        le=19,
        description=(
            "how much the worker, the simulators and the embedded Temporal server lower their CPU "
            "priority (onestop/priority.py)"
        ),
    )
    embedded_mongodb_fsync: bool = Field(
        default=False,
        description=(
            "the embedded MongoDB-wire server fsyncs its journal at each journaled write: survives "
            "a power cut too; a kill -9 of any process is survived either way (orchestrator/embedded.py)"
        ),
    )
    worker_max_cached_workflows: int = Field(
        default=1_000,
        ge=0,
        le=1_000_000,
        description="runs a worker keeps in memory; others are replayed when they wake",
    )

    command_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="how long a command waits for the workflow's verdict"
    )

    stuck_citizen_minutes: int = Field(
        default=7 * 24 * 60, ge=1, description="a question open this long makes a case stuck"
    )
    stuck_retrying_minutes: int = Field(
        default=60, ge=1, description="an agency failing this long makes a case stuck"
    )

    trigger_dedup_seconds: int = Field(
        default=600, ge=0, le=86_400, description="identical triggers without a key within this: one case"
    )
    rate_triggers_per_minute: int = Field(default=30, ge=1, description="life-event reports per citizen")
    rate_triggers_burst: int = Field(default=10, ge=1)
    rate_commands_per_minute: int = Field(default=120, ge=1, description="commands per person")
    rate_commands_burst: int = Field(default=30, ge=1)

    agency_base_url: str = ""
    agency_timeout_seconds: float = Field(default=10.0, gt=0)
    agency_probe_seconds: float = Field(default=5.0, gt=0, description="how often a down agency is probed")
    agency_down_after_failures: int = Field(
        default=3, ge=1, description="transient failures in a row that take an agency for down"
    )
    agency_queues_sync_seconds: float = Field(
        default=5.0, gt=0, description="how often the worker serves the connector queues agencies.yaml adds"
    )
    api_url: str = Field(default="", description="OneStop's API as agency workers reach it (data exchange)")
    agency_token_file: str = Field(
        default="", description="an agency worker's bearer token, re-read on use; empty: the dev key signs"
    )

    jwt_secret: str = ""
    jwt_ttl_seconds: int = Field(default=3600, gt=0)
    jwt_issuer: str = Field(default="onestop", min_length=1)
    jwt_audience: str = Field(default="onestop-api", min_length=1)
    jwt_max_lifetime_seconds: int = Field(default=86_400, gt=0, description="longest token accepted")
    jwt_jwks_url: str = Field(default="", description="an identity provider's JWKS: replaces the dev key")
    jwt_jwks_algorithms: list[str] = Field(default_factory=lambda: ["RS256"])

    payload_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Temporal payload keys, key id -> base64 of 32 bytes; every one decrypts",
    )
    payload_key_id: str = Field(default="", description="the key that encrypts; needed with two or more")
    payload_compress_from_bytes: int = Field(
        default=COMPRESS_FROM,
        ge=0,
        description=(
            "payloads this size or larger are compressed under the seal; 0 compresses none, for a"
            " rollout while workers of a version that cannot read compressed payloads still run"
        ),
    )
    pseudonym_key: str = Field(default="", description="keys the citizen pseudonyms Temporal sees")
    vault_keys: dict[str, str] = Field(
        default_factory=dict,
        description="keys of personal data at rest (case data, profiles), key id -> base64 of 32 bytes",
    )
    vault_key_id: str = Field(default="", description="the vault key that encrypts; needed with two or more")
    retention_days: float = Field(
        default=90.0, gt=0, le=36_500, description="how long a case's personal data outlives the case"
    )
    temporal_ui_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8233", "http://localhost:8233"],
        description="origins allowed to call the payload codec (the Temporal UI)",
    )

    log_level: str = "INFO"
    log_json: bool | None = None

    @model_validator(mode="after")
    def _secrets_and_defaults(self) -> Settings:
        if self.environment == "production" and not self.jwt_jwks_url:
            raise ValueError("production verifies tokens with an identity provider: set ONESTOP_JWT_JWKS_URL")
        if self.jwt_ttl_seconds > self.jwt_max_lifetime_seconds:
            raise ValueError("ONESTOP_JWT_TTL_SECONDS exceeds ONESTOP_JWT_MAX_LIFETIME_SECONDS")
        if not self.jwt_secret:
            self.jwt_secret = _dev_file(self.home, DEV_SECRET_FILE)  # dev tokens survive restarts
        if not self.payload_keys:
            if self.environment == "production":
                raise ValueError("ONESTOP_PAYLOAD_KEYS must be set in production")
            self.payload_keys = _dev_keys(self.home, DEV_PAYLOAD_KEY_FILE)
        if not self.pseudonym_key:
            if self.environment == "production":
                raise ValueError("ONESTOP_PSEUDONYM_KEY must be set in production")
            self.pseudonym_key = _dev_file(self.home, DEV_PSEUDONYM_KEY_FILE)
        if not self.payload_key_id:
            if len(self.payload_keys) != 1:
                raise ValueError("ONESTOP_PAYLOAD_KEY_ID must name the key that encrypts")
            self.payload_key_id = next(iter(self.payload_keys))
        if not self.vault_keys:
            if self.environment == "production":
                raise ValueError("ONESTOP_VAULT_KEYS must be set in production")
            self.vault_keys = _dev_keys(self.home, DEV_VAULT_KEY_FILE)
        if not self.vault_key_id:
            if len(self.vault_keys) != 1:
                raise ValueError("ONESTOP_VAULT_KEY_ID must name the vault key that encrypts")
            self.vault_key_id = next(iter(self.vault_keys))
        if not self.agency_base_url:
            self.agency_base_url = f"http://127.0.0.1:{self.simulator_port}"
        if not self.api_url:
            self.api_url = f"http://{self.api_host}:{self.api_port}"
        return self

    def pseudonyms(self) -> Pseudonyms:
        return Pseudonyms(self.pseudonym_key)

    def vault_sealer(self) -> FieldSealer:
        """What seals personal values at rest (`orchestrator/sealing.py`)."""
        return FieldSealer(parse_vault_keys(self.vault_keys), self.vault_key_id)

    @property
    def token_rules(self) -> TokenRules:
        return TokenRules(
            issuer=self.jwt_issuer,
            audience=self.jwt_audience,
            max_lifetime_seconds=self.jwt_max_lifetime_seconds,
        )

    def token_verifier(self) -> TokenVerifier:
        """How every OneStop server (the API, the agency simulators) verifies a bearer token."""
        return TokenVerifier(
            self.jwt_secret, self.token_rules, self.jwt_jwks_url or None, self.jwt_jwks_algorithms
        )

    @property
    def embedded_temporal(self) -> bool:
        return not self.temporal_address

    @property
    def embedded_mongodb(self) -> bool:
        return not self.mongodb_url


def _dev_keys(home: Path, name: str) -> dict[str, str]:
    """A per-machine key ring (payloads, the vault), so a restarted dev stack reads its data."""
    keys: dict[str, str] = json.loads(_dev_file(home, name, lambda: json.dumps({"dev-1": new_key()})))
    return keys


def _dev_file(home: Path, name: str, make: Callable[[], str] = lambda: secrets.token_urlsafe(48)) -> str:
    """A per-machine secret under `.onestop/` (mode 0600), made on first use."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()
