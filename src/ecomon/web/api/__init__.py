"""The versioned JSON API (/api/v1): one router per resource, all data scoped to the calling principal."""

from fastapi import APIRouter

from ecomon.web.api import aggregates, ingest, observations, opendata, parameters, push, sites
from ecomon.web.api import alarms as alarms_api
from ecomon.web.api import coverage as coverage_api
from ecomon.web.api import devices as devices_api
from ecomon.web.api import evaluation as evaluation_api
from ecomon.web.api import imports as imports_api
from ecomon.web.api import registry_admin as registry_admin_api
from ecomon.web.api import review as review_api
from ecomon.web.auth import routes as auth_routes

router = APIRouter(prefix="/api/v1")
for module in (auth_routes, sites, parameters, observations, aggregates, ingest, opendata, push):
    router.include_router(module.router)

router.include_router(review_api.router)
router.include_router(alarms_api.router)
router.include_router(evaluation_api.router)
router.include_router(devices_api.router)
router.include_router(registry_admin_api.router)
router.include_router(imports_api.router)
router.include_router(coverage_api.router)
