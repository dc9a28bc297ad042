"""The weekly digest: building it from data, rotating prompts and scheduling its post."""
