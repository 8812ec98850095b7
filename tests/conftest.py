"""Shared test helpers live beside this file (tests/tiny_run.py): pytest puts this folder on
sys.path when it loads this conftest, so every test room can import them."""
