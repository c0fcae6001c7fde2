"""Regression: an offset PostgreSQL refuses (Python accepts up to 24 h) must not be a 500."""


def test_movement_filter_with_an_extreme_offset_is_not_a_server_error(client_for):
    client = client_for("acme", role="viewer")
    response = client.get("/api/v1/inventory/movements",
                          {"since": "0187-04-07T20:50:24.946869-21:22"})
    assert response.status_code == 200
    response = client.get("/api/v1/inventory/movements", {"since": "0001-01-01T00:00:00+23:00"})
    assert response.status_code == 400
    assert "since" in response.json()["error"]["fields"]
