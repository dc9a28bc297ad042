"""Smart Connections: the platform-neutral core (rules, ports, digest, scheduler)."""
