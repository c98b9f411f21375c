"""The optional C kernel of keyed pseudonyms, built against OpenSSL's libcrypto (EVP API).

Without a C compiler or OpenSSL's headers the extension is not built and the pure-Python
path runs; CI fails then (``services/linkage/tests/pseudonyms/test_kernel.py``).
"""

import sysconfig
from pathlib import Path

from setuptools import Extension, setup

HEADER_DIRS = [
    Path(sysconfig.get_paths()["include"]),
    Path("/usr/include"),
    Path("/usr/local/include"),
]
OPENSSL = any((folder / "openssl" / "evp.h").exists() for folder in HEADER_DIRS)

setup(
    ext_modules=[
        Extension(
            "linkage.pseudonyms._hmac",
            ["src/linkage/pseudonyms/_hmac.c"],
            extra_compile_args=["-O3", "-Wall", "-Werror=deprecated-declarations"],
            libraries=["crypto"],
            optional=True,
        )
    ]
    if OPENSSL
    else []
)
