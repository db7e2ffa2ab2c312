"""The catalogue API: one router per resource (organisations, opportunities,
badges, themes, destinations, places, spine cells), built by one factory so that
every resource lists, gets, creates, patches and deletes the same way.

Reads: every authenticated role. Writes: ``domain/policy.py`` (``catalogue_action``:
an organisation its own badges, opportunities and profile; admin the rest).
This module does not use postponed annotations: the endpoints' types are
closure variables that FastAPI must see as objects.
"""

from typing import Annotated, Any, Optional

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, create_model

from colearn.graph.schema import Label, OpportunityMode, ThemeKind
from colearn.service import catalogue
from colearn.service.catalogue import Entity
from colearn.service.deps import PrincipalDep, ReaderDep, StoreDep
from colearn.service.partial_body import BadShape, lenient
from colearn.service.problems import problem_responses
from colearn.service import schemas

#: The largest page.
MAX_LIMIT = 100

IdPath = Annotated[str, Path(min_length=1, max_length=200, description="the node's id")]


class Paging(BaseModel):
    """Free text and paging, taken by every list."""

    q: Optional[str] = Field(default=None, max_length=200,
                             description="text matched, ignoring case, in the name and description")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=1_000_000)


#: A filter given as free text (an id, a kind): ``named_filters`` checks what it names.
_Id = Optional[Annotated[str, Field(min_length=1, max_length=200)]]


class KindFilters(Paging):
    """Filters of organisations."""

    kind: _Id = None


class PlaceFilters(KindFilters):
    """Filters of places."""

    within: _Id = Field(default=None, description="places that lie within this one (a district's venues)")


class SpineFilters(Paging):
    """Filters of spine cells."""

    layer: _Id = None
    domain: _Id = None


class ThemeFilters(Paging):
    """Filters of themes."""

    kind: Optional[ThemeKind] = None
    destination: _Id = Field(default=None, description="themes that lead to this destination")


class BadgeFilters(Paging):
    """Filters of badges."""

    theme: _Id = None
    destination: _Id = Field(default=None, description="through the badge's themes")
    spine_cell: _Id = None
    place: _Id = Field(default=None, description="awarded by an opportunity at this place")
    district: _Id = Field(default=None, description="awarded by an opportunity in this district "
                                                    "(at the district or a venue within it)")
    organisation: _Id = Field(default=None, description="the issuer")


class OpportunityFilters(Paging):
    """Filters of opportunities."""

    theme: _Id = None
    destination: _Id = Field(default=None, description="through the opportunity's themes")
    spine_cell: _Id = Field(default=None, description="awards a badge aligned to this cell")
    place: _Id = None
    district: _Id = Field(default=None, description="in this district: at the district or a venue within it")
    mode: Optional[OpportunityMode] = None
    organisation: _Id = Field(default=None, description="the organisation that offers it")


def partial_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """``model`` with every field but ``id`` optional: the body of a PATCH
    (the merged record is validated with ``model`` itself). A field given is checked
    as ``model`` checks it: a required field's constraints, which pydantic keeps
    apart from its type (``FieldInfo.metadata``), go with it."""
    fields: dict[str, Any] = {
        fname: (Optional[Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation],
                Field(default=None, description=f.description))
        for fname, f in model.model_fields.items() if fname != "id"}
    return create_model(name, __config__=ConfigDict(extra="forbid", str_strip_whitespace=True),
                        __doc__="Fields to change (a null clears an optional one); the rest stay.",
                        **fields)


def _queue_embedding(request: Request, entity: Entity) -> None:
    """Badge and opportunity text gets its vector off the request path (``EmbeddingQueue``)."""
    queue = getattr(request.app.state, "embeddings", None)
    if queue is not None and entity.label in (Label.BADGE, Label.OPPORTUNITY):
        queue.request()


def named_filters(filters: type[Paging]) -> list[str]:
    """The filters of a list given as free text, which ``catalogue.check_filters``
    refuses when they name nothing (one typed as an enum is refused by its type).

    Raises:
        KeyError: such a filter has no entry in ``catalogue.FILTERS``.
    """
    names = [n for n, f in filters.model_fields.items() if f.annotation == _Id]
    unknown = [n for n in names if n not in catalogue.FILTERS]
    if unknown:
        raise KeyError(f"{filters.__name__}: no rule in catalogue.FILTERS for {', '.join(unknown)}")
    return names


def catalogue_router(entity: Entity, *, prefix: str, tag: str, public: type[BaseModel],
                     page: type[schemas.Page], filters: type[Paging], create: type[BaseModel],
                     who_writes: str) -> APIRouter:
    """A router for one catalogue resource: list, get, create, patch, delete.
    A list's filter that names nothing of the city is refused (422, ``check_filters``)."""
    update = partial_model(entity.record, f"{create.__name__.removesuffix('Create')}Update")
    checked = named_filters(filters)
    created = lenient(create)  # a bad field does not hide the other fields' problems
    router = APIRouter(prefix=prefix, tags=[tag], responses=problem_responses(401, 403, 422, 429))
    plural = prefix.strip("/")

    @router.get("", response_model=page, name=f"list_{plural}")
    def list_items(_: ReaderDep, store: StoreDep, params: Annotated[filters, Query()]) -> Any:
        found = params.model_dump(exclude={"q", "limit", "offset"})
        found = {k: (str(v) if v is not None else None) for k, v in found.items()}
        catalogue.check_filters(store, "query", entity, **{k: found[k] for k in checked})
        total, data = catalogue.page(store, entity, found, q=params.q, limit=params.limit, offset=params.offset)
        return page(data=data, count=total, limit=params.limit, offset=params.offset)

    @router.get("/{item_id}", response_model=public, name=f"get_{entity.noun.replace(' ', '_')}",
                responses=problem_responses(404))
    def get_item(_: ReaderDep, store: StoreDep, item_id: IdPath) -> Any:
        return catalogue.get(store, entity, item_id)

    @router.post("", response_model=public, status_code=status.HTTP_201_CREATED,
                 name=f"create_{entity.noun.replace(' ', '_')}", responses=problem_responses(409),
                 description=f"Create a {entity.noun}. Who: {who_writes}.")
    def create_item(request: Request, principal: PrincipalDep, store: StoreDep, body: created) -> Any:
        if isinstance(body, BadShape):  # every problem at once: the bad fields and the others' references
            raise body.refusal(store, entity)
        made = catalogue.create(store, principal, entity, body)
        _queue_embedding(request, entity)
        return made

    @router.patch("/{item_id}", response_model=public, name=f"update_{entity.noun.replace(' ', '_')}",
                  responses=problem_responses(404, 409), description=f"Change a {entity.noun}. Who: {who_writes}.")
    def update_item(request: Request, principal: PrincipalDep, store: StoreDep, item_id: IdPath,
                    body: update) -> Any:
        changed = catalogue.update(store, principal, entity, item_id, body.model_dump(exclude_unset=True))
        _queue_embedding(request, entity)
        return changed

    @router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT,
                   name=f"delete_{entity.noun.replace(' ', '_')}", responses=problem_responses(404, 409),
                   description=f"Delete a {entity.noun} nothing else needs. Who: {who_writes}.")
    def delete_item(request: Request, principal: PrincipalDep, store: StoreDep, item_id: IdPath) -> Response:
        catalogue.delete(store, principal, entity, item_id)
        keys = getattr(request.app.state, "key_cache", None)
        if entity.label == Label.ORGANISATION and keys is not None:
            keys.clear()  # its keys were revoked with it: this process stops honouring them now
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


def _create(model: type[BaseModel], name: str) -> type[BaseModel]:
    return type(name, (model,), {"__doc__": model.__doc__, "__module__": __name__})


_ADMIN = "admin"
organisations = catalogue_router(
    catalogue.ORGANISATION, prefix="/organisations", tag="organisations", public=schemas.OrganisationPublic,
    page=schemas.OrganisationsPublic, filters=KindFilters,
    create=_create(catalogue.ORGANISATION.record, "OrganisationCreate"),
    who_writes="admin; an organisation may change its own profile")
opportunities = catalogue_router(
    catalogue.OPPORTUNITY, prefix="/opportunities", tag="opportunities", public=schemas.OpportunityDetailPublic,
    page=schemas.OpportunitiesPublic, filters=OpportunityFilters,
    create=_create(catalogue.OPPORTUNITY.record, "OpportunityCreate"),
    who_writes="admin, or the organisation that offers it")
badges = catalogue_router(
    catalogue.BADGE, prefix="/badges", tag="badges", public=schemas.BadgePublic, page=schemas.BadgesPublic,
    filters=BadgeFilters, create=_create(catalogue.BADGE.record, "BadgeCreate"),
    who_writes="admin, or the organisation that defines it (its issuer)")


@badges.delete("/{badge_id}/opportunities/{opportunity_id}", status_code=status.HTTP_204_NO_CONTENT,
               name="detach_badge", responses=problem_responses(404, 409),
               description="Take a badge off an opportunity that lists it (the opportunity no longer "
                           "prepares for it). Who: admin, the badge's organisation (its issuer), or the "
                           "organisation that offers the opportunity: an opportunity may list another "
                           "organisation's badge, and that organisation may take its badge off it.")
def detach_badge(principal: PrincipalDep, store: StoreDep, badge_id: IdPath, opportunity_id: IdPath) -> Response:
    catalogue.detach_badge(store, principal, badge_id, opportunity_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


themes = catalogue_router(
    catalogue.THEME, prefix="/themes", tag="themes", public=schemas.ThemePublic, page=schemas.ThemesPublic,
    filters=ThemeFilters, create=_create(catalogue.THEME.record, "ThemeCreate"), who_writes=_ADMIN)
destinations = catalogue_router(
    catalogue.DESTINATION, prefix="/destinations", tag="destinations", public=schemas.DestinationPublic,
    page=schemas.DestinationsPublic, filters=Paging,
    create=_create(catalogue.DESTINATION.record, "DestinationCreate"), who_writes=_ADMIN)
places = catalogue_router(
    catalogue.PLACE, prefix="/places", tag="places", public=schemas.PlacePublic, page=schemas.PlacesPublic,
    filters=PlaceFilters, create=_create(catalogue.PLACE.record, "PlaceCreate"), who_writes=_ADMIN)
spine_cells = catalogue_router(
    catalogue.SPINE_CELL, prefix="/spine-cells", tag="spine", public=schemas.SpineCellPublic,
    page=schemas.SpineCellsPublic, filters=SpineFilters,
    create=_create(catalogue.SPINE_CELL.record, "SpineCellCreate"), who_writes=_ADMIN)

#: Every catalogue router, in the order they are mounted.
ROUTERS = (organisations, opportunities, badges, themes, destinations, places, spine_cells)
