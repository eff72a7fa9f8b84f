"""The packaging helpers (scripts beside the spec) become importable for these tests."""

from tests.packaging import packaging_support  # noqa: F401 - imported for its sys.path setup
