from audit.db import SCHEMA, Base
from hdh_common.migrations import run_env

run_env(metadata=Base.metadata, schema=SCHEMA)
