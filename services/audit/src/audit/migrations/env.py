from audit.db import SCHEMA, Base, load_models
from hdh_common.migrations import run_env

load_models()
run_env(metadata=Base.metadata, schema=SCHEMA)
