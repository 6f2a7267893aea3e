"""gunicorn's settings for this checkout: read by `make run` (scripts/serve.py) and by any gunicorn started here.

Only a start-up check. Flask-Limiter's memory:// store is per process, so N worker processes let a client
through N times the configured limit; say so loudly where the operator looks, the server log.
"""


def when_ready(server):
    from portal.config import Config, rate_limit_store_warning

    warning = rate_limit_store_warning(server.cfg.workers, Config.RATELIMIT_STORAGE_URI)
    if warning:
        server.log.warning(warning)
