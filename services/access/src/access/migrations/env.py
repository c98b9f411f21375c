import access.models  # noqa: F401  (registers the tables on the metadata)
from access.db import SCHEMA, Base
from hdh_common.migrations import run_env

run_env(metadata=Base.metadata, schema=SCHEMA)
