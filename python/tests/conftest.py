import os
import sys

# Tests run against the in-tree build (the venv's .pth file) or an installed
# wheel; nothing to set up here except making failures print the seed.
def pytest_report_header(config):
    import fp8sa
    return f"fp8sa from {os.path.dirname(fp8sa.__file__)}; rtl back-ends: {fp8sa.has_rtl()}"
