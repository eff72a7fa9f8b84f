"""Secrets and sign-ins below services and engine: the keyring vault, the token source, and
TikTok's upload links (no Qt, no widgets)."""
