"""structlog set-up: JSON lines off a terminal, readable lines on one.

Context (case_id, workflow_id, step, request_id) is bound with contextvars where the work
happens; nothing personal is ever logged, only references.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "INFO", json: bool | None = None) -> None:
    use_json = (not sys.stderr.isatty()) if json is None else json
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    # pymongo logs whole documents (personal data) at DEBUG: never below WARNING here.
    for noisy in (
        "httpx",
        "httpcore",
        "uvicorn.access",
        "temporalio.activity",
        "temporalio.workflow",
        "pymongo",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
