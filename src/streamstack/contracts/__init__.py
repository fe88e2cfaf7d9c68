"""The published language between modules: msgspec structs and the operations other modules call."""
