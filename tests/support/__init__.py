"""Shared test support: settings per backend, running apps, minting tokens."""
