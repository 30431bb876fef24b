"""Settings every test shares."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from hypothesis import settings

# Tests must not depend on wall-clock speed (the suite runs on loaded, shared machines): no
# hypothesis deadline anywhere, not only where a test remembered to switch it off.
settings.register_profile("icpkit", deadline=None)
settings.load_profile("icpkit")

# Caches icpkit keeps per user (Hyperscan databases, fetched pages, fingerprint updates) go to a
# directory of this run, never the developer's ~/.cache: tests neither read a stale entry left by
# another checkout nor leave files behind. Set before any test (or CLI subprocess) starts.
_CACHE = tempfile.mkdtemp(prefix="icpkit-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
