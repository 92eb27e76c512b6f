"""LLVM backend tests compile into a cache of their own, never the user's."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_compile_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KGRAPH_CACHE_DIR", str(tmp_path_factory.mktemp("kgraph-cache")))
        patch.delenv("KGRAPH_DUMP_DIR", raising=False)
        yield
