import workspace.models  # noqa: F401  (the mapped tables, for autogenerate)
from hdh_common.migrations import run_env
from workspace.db import SCHEMA, Base

run_env(metadata=Base.metadata, schema=SCHEMA)
