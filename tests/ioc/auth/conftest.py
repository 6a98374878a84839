from __future__ import annotations

import pytest

from ioc.auth import Auth
from ioc.settings import load_settings


@pytest.fixture
def auth(tmp_path) -> Auth:
    return Auth.open(load_settings(data_dir=str(tmp_path), auth_lockout_s=60))
