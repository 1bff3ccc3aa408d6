"""The knowledge API: what a portal or another service gets over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_resolve_returns_ranked_candidates(client: TestClient) -> None:
    response = client.get("/occupations/resolve", params={"q": "regsitered nurse"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "clear"
    assert body["candidates"][0]["noc"] == "31301"


@pytest.mark.parametrize("query", ["'; DROP TABLE occupations; --", "🙂🙂🙂",
                                   "<script>alert(1)</script>"])
def test_odd_input_gets_an_answer_not_a_crash(client: TestClient, query: str) -> None:
    response = client.get("/occupations/resolve", params={"q": query})
    assert response.status_code == 200
    assert response.json()["status"] in {"none", "ambiguous", "clear"}
    # The tables are still there.
    assert client.get("/occupations/31301").status_code == 200


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "x" * 501}, {"q": "nurse", "lang": "de"},
                                    {"q": "nurse", "top": 0}, {}])
def test_invalid_resolve_requests_are_refused_with_a_reason(
        client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/occupations/resolve", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_occupation_profile(client: TestClient) -> None:
    body = client.get("/occupations/72100", params={"region": "ER3530"}).json()
    assert body["title_en"] == "Machinists and machining and tooling inspectors"
    assert body["wage"]["region_code"] == "ER3530" and body["wage"]["is_fallback"] is False
    assert body["outlook"]["rating"] == "shortage_moderate"


def test_unknown_and_malformed_occupations(client: TestClient) -> None:
    assert client.get("/occupations/99999").status_code == 404
    assert "not a NOC 2021 unit group" in client.get("/occupations/99999").json()["detail"]
    assert client.get("/occupations/abc").status_code == 422


def test_datasets_say_which_data_is_a_sample(client: TestClient) -> None:
    datasets = {d["key"]: d for d in client.get("/datasets").json()}
    assert datasets["catalog"]["is_sample"] is True
    assert datasets["wages"]["is_sample"] is False
    assert "Open Government Licence" in datasets["outlooks"]["licence"]


def test_openapi_describes_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 3
    assert all(op.get("summary") for op in operations)
