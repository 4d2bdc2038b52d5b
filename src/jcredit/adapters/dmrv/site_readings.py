"""The readings a site's page shows (service_layer.dmrv.sites.SiteReadings): the Parquet
store read with DuckDB, and the physics context from pvlib."""

from __future__ import annotations

from jcredit.adapters.dmrv.stores import ReadingsStore
from jcredit.adapters.dmrv.stores import channel_series
from jcredit.adapters.dmrv.stores import programme_series
from jcredit.domain.dmrv.model import ChannelSeries
from jcredit.domain.dmrv.model import SiteSeries


class StoredSiteReadings:
    def __init__(self, store: ReadingsStore) -> None:
        self.store = store

    def series(self, site: str, since: int, until: int) -> dict[str, ChannelSeries]:
        return channel_series(self.store, site, since, until)

    def many(self, sites: list[str], since: int, until: int
             ) -> dict[str, dict[str, ChannelSeries]]:
        return programme_series(self.store, sites, since, until)

    def annotate(self, series: SiteSeries) -> SiteSeries:
        from jcredit.adapters.dmrv import solar  # pvlib: imported when a page needs it

        return solar.annotate(series)
