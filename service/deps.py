"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.recommender.recommend import Recommender


def get_store(request: Request) -> GraphStore:
    """The store opened in the app's lifespan."""
    return request.app.state.store


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_recommender(request: Request) -> Recommender:
    """The recommender built from the graph at start."""
    return request.app.state.recommender


StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
RecommenderDep = Annotated[Recommender, Depends(get_recommender)]
