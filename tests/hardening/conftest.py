"""The access matrix's objects of 臺北市, for the hardening tests."""
from tests.test_access_matrix import taipei_objects  # noqa: F401
