"""Test harness: throwaway real servers (PostgreSQL, NATS JetStream, S3) and tool lookup."""
