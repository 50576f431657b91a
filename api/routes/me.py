"""A citizen's own profile: what OneStop knows of them, so a life event asks only for the rest.

The profile is found by the caller's pseudonym, never by an id in the path: a citizen can reach
only their own. A bad PATCH is one 422 naming every bad field (FastAPI's validation, shaped by
`api/problems.py`), never echoing a value.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CommandLimit, OwnProfileDep, ServicesDep
from orchestrator.profile import CitizenProfile, ProfilePatch

router = APIRouter(prefix="/v1/me", tags=["citizens"])


@router.get("", response_model=CitizenProfile)
async def get_profile(citizen: OwnProfileDep, services: ServicesDep) -> CitizenProfile:
    """The caller's profile (empty until a case completes or they fill it in)."""
    return await services.profiles.get(services.settings.pseudonyms().of(citizen.sub))


@router.patch("", response_model=CitizenProfile)
async def update_profile(
    body: ProfilePatch, citizen: OwnProfileDep, limit: CommandLimit, services: ServicesDep
) -> CitizenProfile:
    """Change the fields given (null clears one; `children` and `vehicles` replace the lists)."""
    changes = body.model_dump(exclude_unset=True)
    changes |= {name: [] for name in ("children", "vehicles") if name in changes and changes[name] is None}

    def edit(profile: CitizenProfile) -> CitizenProfile:
        return CitizenProfile.model_validate({**profile.model_dump(), **changes})

    return await services.profiles.change(services.settings.pseudonyms().of(citizen.sub), edit)
