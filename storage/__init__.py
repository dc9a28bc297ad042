"""Storage: SQLAlchemy tables, repositories behind the core's ports, and migrations."""
