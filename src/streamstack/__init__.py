"""StreamStack: a self-hostable video platform."""
