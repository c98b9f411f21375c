from typing import Annotated

from fastapi import Depends, Request

from catalog.config import Settings
from hdh_common.storage import ObjectStore


def object_store(request: Request) -> ObjectStore:
    store: ObjectStore = request.state.object_store
    return store


def settings(request: Request) -> Settings:
    value: Settings = request.state.settings
    return value


StoreDep = Annotated[ObjectStore, Depends(object_store)]
SettingsDep = Annotated[Settings, Depends(settings)]
