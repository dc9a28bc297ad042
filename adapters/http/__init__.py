"""The shared HTTP server: health checks, and the endpoints platforms mount on it."""
