"""Who is looking at a page: the caller of the API routes (token or session cookie), except
that a browser without a live session is sent to the login page and back, rather than shown
the API's 401. A program (no ``text/html`` in ``Accept``) still gets the 401."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials

from shared.identity.principal import Principal, Unauthorized
from shared.identity.verify import bearer_scheme, get_principal

LOGIN = "/tasks/login"


async def viewer(
    request: Request,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal | None:
    """The caller; None for a browser that must log in first (see ``to_login``)."""
    try:
        return await get_principal(request, response, credentials)
    except Unauthorized:
        if credentials is None and "text/html" in request.headers.get("accept", ""):
            return None
        raise


ViewerDep = Annotated[Principal | None, Depends(viewer)]


def to_login(request: Request) -> RedirectResponse:
    """To the login page, which comes back here (``next``: a path of this site)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN}?next={quote(here, safe='')}", status_code=303)
