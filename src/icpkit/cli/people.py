"""Commands of this group are registered on the shared app at import."""

from __future__ import annotations
