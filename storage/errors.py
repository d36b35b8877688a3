"""Storage outcomes the core may act on, without knowing SQLAlchemy."""


class Conflict(Exception):
    """A unique constraint said no: another process already did this."""


def unavailable(exc: BaseException) -> bool:
    """The database was away or busy (connection lost, locked, no pool slot): try again."""
    # Imported here: this module is the core's view of storage and stays SQLAlchemy-free.
    from sqlalchemy import exc as sa

    if isinstance(exc, sa.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, sa.OperationalError | sa.InterfaceError
        )
    return isinstance(exc, sa.TimeoutError | ConnectionError)
