"""Make ``ansible_collections.transactions_st.realtime`` importable (through the committed symlink) outside ansible-test."""

from __future__ import annotations

import sys
from pathlib import Path

_COLLECTIONS = Path(__file__).resolve().parents[4] / "collections"
if (_COLLECTIONS / "ansible_collections").is_dir() and str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))
