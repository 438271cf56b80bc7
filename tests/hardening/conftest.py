"""The hardening tests reuse the access matrix's objects: one of every record of 臺北市."""
from tests.test_access_matrix import taipei_objects  # noqa: F401 (a fixture, used by name)
