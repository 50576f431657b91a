"""The rules of a definition's `offers` and `follow_ups` that a schema cannot express.

An offer names another life event (`service`), so it can be checked fully only beside the other
definitions: `services` is the catalog being loaded (every file of it that parses). Without it
(a single draft checked on its own) the service and its inputs are not checked, the rest is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator import offer_conditions
from orchestrator.definition import CASE_COMPLETED, FieldType, LifeEventDefinition
from orchestrator.profile import SCALARS
from orchestrator.suggest import did_you_mean

Problem = tuple[tuple[Any, ...], str]
PROFILE = "profile."

_SAMPLE: dict[FieldType, object] = {
    FieldType.string: "x",
    FieldType.integer: 1,
    FieldType.number: 1.0,
    FieldType.boolean: True,
    FieldType.date: "2000-01-01",
}


def check(
    definition: LifeEventDefinition, services: Mapping[str, LifeEventDefinition] | None
) -> list[Problem]:
    """Every problem of the offers and follow-ups, each with the path it is about."""
    data = {f.name: f.default if f.default is not None else _SAMPLE[f.type] for f in definition.inputs}
    profile = {name: _SAMPLE[kind] for name, kind in SCALARS.items()}
    steps = [s.id for s in definition.steps]
    problems: list[Problem] = []
    problems += _duplicates("offers", [o.id for o in definition.offers])
    problems += _duplicates("follow_ups", [f.id for f in definition.follow_ups])
    points = [CASE_COMPLETED, *steps]
    for i, offer in enumerate(definition.offers):
        at = ("offers", i)
        if offer.after not in points:
            message = f"offer {offer.id!r} is made after {offer.after!r}, which is neither a step nor {CASE_COMPLETED!r}"
            problems.append(((*at, "after"), message + did_you_mean(offer.after, points)))
        if offer.when is not None:
            found = offer_conditions.check(offer.when, data, profile, steps)
            problems += [((*at, "when"), p) for p in found]
        service = services.get(offer.service) if services is not None else None
        if services is not None and service is None:
            message = f"unknown life event {offer.service!r}{did_you_mean(offer.service, services)}"
            problems.append(((*at, "service"), message))
        for target, source in offer.prefill.items():
            where = (*at, "prefill", target)
            if service is not None and service.field(target) is None:
                names = [f.name for f in service.inputs]
                message = f"{target!r} is not an input of {offer.service!r}{did_you_mean(target, names)}"
                problems.append((where, message))
            problems += [(where, p) for p in _source_problems(definition, source)]
    for i, follow_up in enumerate(definition.follow_ups):
        if follow_up.when is not None:
            found = offer_conditions.check(follow_up.when, data, profile, steps)
            problems += [(("follow_ups", i, "when"), p) for p in found]
    return problems


def _source_problems(definition: LifeEventDefinition, source: str) -> list[str]:
    """A prefill's source is an input of this life event or `profile.<field>`."""
    if source.startswith(PROFILE):
        path = source.removeprefix(PROFILE)
        if path in SCALARS:
            return []
        return [f"no profile field {path!r}{did_you_mean(path, SCALARS)} (a prefill reads a scalar field)"]
    names = [f.name for f in definition.inputs]
    if source in names:
        return []
    hint = did_you_mean(source, [*names, *(PROFILE + p for p in SCALARS)])
    return [f"{source!r} is not an input of {definition.type!r} nor profile.<field>{hint}"]


def _duplicates(key: str, ids: list[str]) -> list[Problem]:
    return [((key, i, "id"), f"duplicate id {name!r}") for i, name in enumerate(ids) if name in ids[:i]]
