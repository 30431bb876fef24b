"""Settings every test shares."""

from __future__ import annotations

from hypothesis import settings

# Tests must not depend on wall-clock speed (the suite runs on loaded, shared machines): no
# hypothesis deadline anywhere, not only where a test remembered to switch it off.
settings.register_profile("icpkit", deadline=None)
settings.load_profile("icpkit")
