"""Which engines this process uses: external ones by URL when configured, else the embedded servers."""

from __future__ import annotations

from dataclasses import dataclass

from ecomon.config import Settings
from ecomon.runtime.nats import EmbeddedNats
from ecomon.runtime.postgres import EmbeddedPostgres


@dataclass(frozen=True)
class Engines:
    settings: Settings

    @property
    def postgres(self) -> EmbeddedPostgres | None:
        if self.settings.database_url:
            return None
        return EmbeddedPostgres(self.settings.home_path, self.settings.pg_port)

    @property
    def nats(self) -> EmbeddedNats | None:
        if self.settings.nats_url:
            return None
        return EmbeddedNats(self.settings.home_path, self.settings.nats_port)

    def database_url(self) -> str:
        pg = self.postgres
        return self.settings.database_url or (pg.url() if pg else "")

    def nats_url(self) -> str:
        nats = self.nats
        return self.settings.nats_url or (nats.url() if nats else "")

    def start(self) -> None:
        """Start whichever engines are embedded; external ones are assumed to be up."""
        self.settings.home_path.mkdir(parents=True, exist_ok=True)
        if self.postgres:
            self.postgres.start()
        if self.nats:
            self.nats.start()

    def stop(self) -> None:
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()
