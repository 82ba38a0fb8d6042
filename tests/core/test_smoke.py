from __future__ import annotations


def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Tandem" in response.data


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["database"] == "ok"
    assert response.get_json()["broker"] == "ok"
