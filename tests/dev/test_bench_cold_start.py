"""The cold-start benchmark's profile of the first request: it names what the request imports."""

from __future__ import annotations

from bench import cold_start


def test_first_request_profile_names_what_the_request_imports(tmp_path):
    profile = cold_start.first_request_imports(cold_start._environment(str(tmp_path)))

    # the wallet route validates with pydantic, and PyJWT brings cryptography; `import app` loaded neither
    assert profile["pydantic"] > 0 and profile["cryptography"] > 0
    imports = sum(ms for name, ms in profile.items() if name != "request")
    assert 0 < imports < profile["request"]
    assert "imports" in cold_start._imports({f"imports_{name}_ms": ms for name, ms in profile.items()})
