"""Tests of whole processes and of the database itself: the worker process, the triggers, the migrations, two app
instances behind one database (scale-out) and `make run`. They start real processes or real databases of their own,
from tests/support and tests/browser/harness.py, on the kind of database the half of `make test` runs on
(PORTAL_TEST_DB); a test that needs one kind says so with a skipif."""
