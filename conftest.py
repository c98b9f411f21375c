# `gateway/` (the folder) shares its name with the `gateway` package: import the package
# before pytest names the folder's test modules `gateway.tests.*`, so the real one wins.
import gateway  # noqa: F401

pytest_plugins = ["hdh_dev.testing", "hdh_dev.launching"]
