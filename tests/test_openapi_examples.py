"""The OpenAPI document gives an example of each life event of the live catalog, and each is
accepted as it stands."""

from __future__ import annotations

import httpx

from tests.conftest import TokenFactory


async def test_each_life_event_has_its_schema_and_an_example_that_is_accepted(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    document = (await http.get("/openapi.json")).json()
    body = document["paths"]["/v1/life-events"]["post"]["requestBody"]["content"]["application/json"]
    assert {"moving_house", "birth_registration", "death_of_relative", "marriage"} <= set(body["examples"])
    assert "new_address" in body["examples"]["moving_house"]["value"]["data"]
    citizen = auth("citizen")
    for name, example in body["examples"].items():
        if name not in {"moving_house", "birth_registration", "death_of_relative", "marriage"}:
            continue  # life events other tests added to the session's catalog
        response = await http.post("/v1/life-events", json=example["value"], headers=citizen)
        assert response.status_code == 202, (name, response.text)
