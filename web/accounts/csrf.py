"""The accounts' CSRF protection: wired into the app by app.init_app, checked by the views' guard."""
from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
