"""Shared kernel: settings-driven ports and adapters, JWT verification, errors, logging."""
