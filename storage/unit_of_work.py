"""One transaction over every repository, with database outages turned into a core error."""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Self, cast

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
from storage.backends import Backend, SqlAlchemyBackend
from storage.digests import SqlDigests
from storage.engine import StoreEngine
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
from storage.sessions import Session

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

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._session: Session | None = None

    async def __aenter__(self) -> Self:
        # Nothing is connected yet: the transaction begins with the first statement.
        session = self._session = self._backend.session()
        self.communities = SqlCommunities(session)
        self.members = SqlMembers(session)
        self.kudos = SqlKudos(session)
        self.offers = SqlOffers(session)
        self.prompts = SqlPrompts(session)
        self.audit = SqlAudit(session)
        self.deliveries = SqlDeliveries(session)
        # SqlDigests is written against AsyncConnection; a session offers the same calls.
        self.digests = SqlDigests(cast(AsyncConnection, session))
        self.state = SqlState(session)
        return self

    async def commit(self) -> None:
        assert self._session is not None
        try:
            await self._session.commit()
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
        session, self._session = self._session, None
        if session is not None:
            # The connection may be gone: it is discarded either way.
            with contextlib.suppress(Exception):
                await session.close()
        if exc is not None and _is_outage(exc) and not isinstance(exc, StoreUnavailableError):
            raise StoreUnavailableError(str(exc)) from exc


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Engines from storage.engine carry the direct path; any other goes through SQLAlchemy.
        self._backend = (
            engine.backend if isinstance(engine, StoreEngine) else SqlAlchemyBackend(engine)
        )

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._backend)
