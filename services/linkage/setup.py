"""The optional C kernel of keyed pseudonyms; without a compiler the pure-Python path is used.

Where OpenSSL's headers are found, the kernel uses OpenSSL's SHA-256 (which uses the CPU's
SHA extensions); otherwise its own portable SHA-256.
"""

import sysconfig
from pathlib import Path

from setuptools import Extension, setup

HEADER_DIRS = [
    Path(sysconfig.get_paths()["include"]),
    Path("/usr/include"),
    Path("/usr/local/include"),
]
OPENSSL = any((folder / "openssl" / "sha.h").exists() for folder in HEADER_DIRS)

setup(
    ext_modules=[
        Extension(
            "linkage.pseudonyms._hmac",
            ["src/linkage/pseudonyms/_hmac.c"],
            extra_compile_args=["-O3"],
            define_macros=[("HDH_OPENSSL", "1")] if OPENSSL else [],
            libraries=["crypto"] if OPENSSL else [],
            optional=True,
        )
    ]
)
