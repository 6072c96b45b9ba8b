"""`hooksmith openapi`: a document's operations, and one as a definition file that runs."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.test_cli import hooksmith
from tests.upstream import Upstream

DATA = Path(__file__).parent / "data" / "openapi"


def test_openapi_lists_operations_as_text_and_json() -> None:
    done = hooksmith("openapi", str(DATA / "github-issues.json"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == "POST    /repos/{owner}/{repo}/issues  issues/create  Create an issue"
    listed = hooksmith("openapi", str(DATA / "petstore.yaml"), "--json")
    assert [op["operation_id"] for op in json.loads(listed.stdout)["operations"]] == [
        "listPets",
        "addPet",
        "showPetById",
        "removePet",
    ]


def test_openapi_writes_a_definition_that_runs_once_its_token_is_given(
    tmp_path: Path, upstream: Upstream
) -> None:
    done = hooksmith(
        "openapi",
        str(DATA / "github-issues.json"),
        "--operation",
        "issues/create",
        "--server",
        upstream.url("/echo"),
    )
    assert done.returncode == 0, done.stderr
    assert "# Suggested mappers" in done.stdout
    assert "#   mapper: response.number" in done.stdout
    data = yaml.safe_load(done.stdout)
    assert data["url"] == upstream.url("/echo/repos/{{ owner }}/{{ repo }}/issues")
    assert '"title": "{{ title }}", // required' in data["body"]
    hook = tmp_path / "issue.yaml"
    hook.write_text(done.stdout)
    refused = hooksmith("run", str(hook))
    assert refused.returncode == 2
    assert "auth.token" in refused.stderr
    data["auth"]["token"] = "ghp_cli_token"
    data["custom_variables"] = [{"name": "path", "mapper": "response.path"}]
    hook.write_text(yaml.safe_dump(data))
    conversation = {"owner": "octo", "repo": "demo", "title": "Bug", "body": "b", "milestone": 1,
                    "labels": "x", "assignees": "ana"}  # fmt: skip
    (tmp_path / "talk.json").write_text(json.dumps(conversation))
    ran = hooksmith("run", str(hook), "--data", str(tmp_path / "talk.json"), "--json")
    assert ran.returncode == 0, ran.stderr + ran.stdout
    result = json.loads(ran.stdout)
    assert result["custom_variables"] == {"path": "/echo/repos/octo/demo/issues"}
    assert json.loads(upstream.received[-1]["body"])["title"] == "Bug"
    assert "ghp_cli_token" not in ran.stdout


def test_openapi_names_the_field_of_bad_input(tmp_path: Path) -> None:
    swagger = tmp_path / "old.yaml"
    swagger.write_text("swagger: '2.0'\npaths: {}\n")
    done = hooksmith("openapi", str(swagger))
    assert done.returncode == 2
    assert "openapi: must be an OpenAPI 3.x document (found swagger 2.0)" in done.stderr
    missing = hooksmith("openapi", str(DATA / "petstore.yaml"), "-o", "deletePet")
    assert missing.returncode == 2
    assert "operation: no operation 'deletePet'" in missing.stderr
