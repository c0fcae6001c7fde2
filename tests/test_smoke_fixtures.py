def test_seeded_tenants_answer_me_with_their_own_identity(client_for):
    for slug in ("acme", "globex"):
        client = client_for(slug, role="viewer")
        response = client.get("/api/v1/me")
        assert response.status_code == 200, response.content
        assert response.json()["tenant"]["slug"] == slug
        assert response.json()["role"] == "viewer"
