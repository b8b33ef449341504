"""Data files shipped with candibot (demo dataset, administrative divisions)."""
