"""Extension objects, created unbound here and bound in create_app() with init_app."""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from portal.db import Database

db = Database()
migrate = Migrate()
login_manager = LoginManager()
# Flask-Login only supplies current_user: sign-in is the server-side session row (portal/auth.py), never
# login_user(), so its cookie-fingerprint "session protection" has nothing to protect. Off; and Flask-Login hashes
# the client's address and agent before it reads that setting, so the fingerprint it would compare is made empty.
login_manager.session_protection = None
login_manager._session_identifier_generator = str
csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
