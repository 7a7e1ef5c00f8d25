"""Test configuration: hypothesis profiles and the device every test runs on.

TNN_TEST_DEVICE=cuda runs the suite on the GPU (compiled kernels); the default is cpu, where the
same kernels run in Triton's interpreter. HYPOTHESIS_PROFILE=dev draws more examples."""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=12, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile(
    "dev", max_examples=100, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DEVICE = os.environ.get("TNN_TEST_DEVICE", "cpu")


@pytest.fixture(scope="session")
def device():
    """The device under test (a string, as users pass it)."""
    return DEVICE
