import catalog.basket.models
import catalog.datasets.models
import catalog.dictionary.models
import catalog.nomenclatures.models
import catalog.search.models
import catalog.uploads.models  # noqa: F401  (the imports register the tables on the metadata)
from catalog.db import SCHEMA, Base
from hdh_common.migrations import run_env

run_env(metadata=Base.metadata, schema=SCHEMA)
