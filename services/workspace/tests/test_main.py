"""The service's OpenAPI: each operation with the problems it may return, and examples that
are valid answers and requests."""

from hdh_dev.testing import SettingsFactory
from workspace.main import create_app
from workspace.queries.router import EXAMPLE
from workspace.queries.schemas import QueryRequest
from workspace.spaces import schemas


def test_examples_are_valid() -> None:
    for model in (schemas.Space, schemas.SpaceDetail, schemas.Table):
        for example in model.model_json_schema()["examples"]:
            model.model_validate(example)
    QueryRequest.model_validate(EXAMPLE)


def test_each_operation_documents_its_problems(workspace_settings: SettingsFactory) -> None:
    spec = create_app(workspace_settings()).openapi()
    operations = {
        f"{method.upper()} {path}": operation
        for path, item in spec["paths"].items()
        if path.startswith("/workspace")
        for method, operation in item.items()
    }
    assert {
        "GET /workspace/projects",
        "GET /workspace/projects/{project_id}",
        "GET /workspace/projects/{project_id}/tables",
        "POST /workspace/projects/{project_id}/queries",
        "POST /workspace/projects/{project_id}/sessions",
        "POST /workspace/projects/{project_id}/analyses",
        "POST /workspace/projects/{project_id}/release-requests",
        "POST /workspace/checks/{request_id}/outputs/{output_id}/reviews",
    } <= set(operations)
    for label, operation in operations.items():
        assert {"401", "403"} <= set(operation["responses"]), label
        if "{project_id}" in label:
            assert {"404", "503"} <= set(operation["responses"]), label
    assert {"200", "400", "422"} <= set(
        operations["POST /workspace/projects/{project_id}/queries"]["responses"]
    )
