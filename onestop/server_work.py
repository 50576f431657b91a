"""What the Temporal server did per case, counted rather than timed: its persistence requests.

CPU per case on a shared 2-core machine moves by a quarter from one minute to the next, for bare
Temporal as much as for the engine, so a change that adds server work (a read per search
attribute, a lookup of the current run) cannot be told from the machine by CPU alone. The dev
server counts every request to its database (`persistence_requests` on its Prometheus endpoint,
`--metrics-port`), which a slow minute does not inflate as it does CPU (from run to run it moves
by about 2 a case: the server's own upkeep over a longer or shorter run). On 2026-12-03 it showed
the dev server reading its cluster metadata and namespace at every search-attribute check: 19.2
reads per engine case, 10.4 per bare Temporal case (`orchestrator.embedded.DYNAMIC_CONFIG`).
"""

from __future__ import annotations

import re

import httpx

_SAMPLE = re.compile(r"^persistence_requests(?:_total)?\{(?P<labels>[^}]*)\} (?P<value>\S+)(?: \d+)?$")
_OPERATION = re.compile(r'operation="(?P<operation>[^"]*)"')


def persistence_requests(exposition: str) -> dict[str, float]:
    """Requests to the server's database so far, per operation, summed over its services, from
    the text of its metrics endpoint."""
    counts: dict[str, float] = {}
    for line in exposition.splitlines():
        sample = _SAMPLE.match(line)
        if sample is None:
            continue
        operation = _OPERATION.search(sample["labels"])
        name = operation["operation"] if operation else "unknown"
        counts[name] = counts.get(name, 0.0) + float(sample["value"])
    return counts


class ServerWork:
    """Reads the counts of one Temporal server (its metrics endpoint's URL)."""

    PUBLISH_SECONDS = 2.0
    """How long after a request its count is on the endpoint at the latest: the server publishes
    its counters every second (a count read at once after the last case missed every request)."""

    def __init__(self, metrics_url: str) -> None:
        self._url = metrics_url

    async def requests(self) -> dict[str, float]:
        """The counts so far; a server that serves none (a renamed metric) is an error, not 0."""
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(self._url)
            response.raise_for_status()
        counts = persistence_requests(response.text)
        if not counts:
            raise RuntimeError(f"no persistence_requests at {self._url}: has the metric been renamed?")
        return counts

    @staticmethod
    def per_case(before: dict[str, float], after: dict[str, float], cases: int) -> float:
        """Persistence requests per case between two counts, all operations together."""
        return round((sum(after.values()) - sum(before.values())) / cases, 1) if cases else 0.0
