"""The service's OpenAPI: its three reads, each with examples that are valid answers and the
problems it may return."""

from hdh_dev.testing import SettingsFactory
from workspace.main import create_app
from workspace.spaces import schemas


def test_examples_are_valid_answers() -> None:
    for model in (schemas.Space, schemas.SpaceDetail, schemas.Table):
        for example in model.model_json_schema()["examples"]:
            model.model_validate(example)


def test_each_read_documents_its_problems(workspace_settings: SettingsFactory) -> None:
    spec = create_app(workspace_settings()).openapi()
    reads = {
        path: item["get"]
        for path, item in spec["paths"].items()
        if "workspace" in path and "get" in item
    }
    assert set(reads) == {
        "/workspace/projects",
        "/workspace/projects/{project_id}",
        "/workspace/projects/{project_id}/tables",
        "/workspace/projects/{project_id}/sessions",
    }
    assert {"401", "403"} <= set(reads["/workspace/projects"]["responses"])
    for path in ("/workspace/projects/{project_id}", "/workspace/projects/{project_id}/tables"):
        assert {"200", "401", "403", "404", "503"} <= set(reads[path]["responses"]), path
