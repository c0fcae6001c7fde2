"""Self-serve sign-up on the public host: "Create your workspace" and "Find my workspace"
(docs/team-and-signup.md)."""
