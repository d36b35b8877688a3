"""Storage outcomes the core may act on, without knowing SQLAlchemy."""


class Conflict(Exception):
    """A unique constraint said no: another process already did this."""
