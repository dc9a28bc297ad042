"""One transaction over every repository, with database outages turned into a core error."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import StoreUnavailableError
from bot.ports import (
    AuditRepository,
    CommunityRepository,
    DeliveryRepository,
    DigestRepository,
    KudosRepository,
    MemberRepository,
    OfferRepository,
    PromptRepository,
    StateRepository,
)
from storage.digests import SqlDigests
from storage.repositories import (
    SqlAudit,
    SqlCommunities,
    SqlDeliveries,
    SqlKudos,
    SqlMembers,
    SqlOffers,
    SqlPrompts,
    SqlState,
)

_OUTAGES = (OperationalError, InterfaceError, OSError, ConnectionError, TimeoutError)


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _OUTAGES)


class SqlUnitOfWork:
    communities: CommunityRepository
    members: MemberRepository
    kudos: KudosRepository
    offers: OfferRepository
    prompts: PromptRepository
    audit: AuditRepository
    deliveries: DeliveryRepository
    digests: DigestRepository
    state: StateRepository

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        try:
            # The transaction begins with the first statement (SQLAlchemy's autobegin).
            self._connection = await self._engine.connect()
        except BaseException as exc:
            if _is_outage(exc):
                raise StoreUnavailableError(str(exc)) from exc
            raise
        conn = self._connection
        self.communities = SqlCommunities(conn)
        self.members = SqlMembers(conn)
        self.kudos = SqlKudos(conn)
        self.offers = SqlOffers(conn)
        self.prompts = SqlPrompts(conn)
        self.audit = SqlAudit(conn)
        self.deliveries = SqlDeliveries(conn)
        self.digests = SqlDigests(conn)
        self.state = SqlState(conn)
        return self

    async def commit(self) -> None:
        assert self._connection is not None
        try:
            await self._connection.commit()
        except Exception as exc:
            if _is_outage(exc):
                raise StoreUnavailableError(str(exc)) from exc
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._connection = self._connection, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        except Exception:  # the connection may be gone: closing below discards it
            pass
        finally:
            await conn.close()
        if exc is not None and _is_outage(exc) and not isinstance(exc, StoreUnavailableError):
            raise StoreUnavailableError(str(exc)) from exc


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)
