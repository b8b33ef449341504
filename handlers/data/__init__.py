"""Editable content files: the texts of /rights."""
