"""Which HMAC path runs; in CI (``CI=true``) it must be the C kernel, built with OpenSSL."""

from types import ModuleType

import pytest

from linkage.pseudonyms import hmac as module
from linkage.pseudonyms.hmac import kernel_name, native_kernel


def test_the_c_kernel_is_built_and_runs(kernel: ModuleType) -> None:
    assert native_kernel() is kernel
    assert kernel_name() == "native"
    assert {"hmac_batch", "pseudonyms", "nir_status"} <= set(dir(kernel))


def test_without_the_c_kernel_the_python_path_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "_native", None)
    assert native_kernel() is None
    assert kernel_name() == "python"
