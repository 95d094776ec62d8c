"""Datasette plugin: the review team's pages, only on ``evidensbase serve --review``.

On the public portal (no review site enabled, see db.portal.review) this plugin registers no
route and recognises no actor. Every page needs a reviewer signed in with the review site's own
signed, expiring cookie; every form is CSRF-protected by Datasette's asgi-csrf (the templates
carry ``csrftoken()``); a decision is always recorded in the name of the signed-in reviewer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, quote

from datasette import hookimpl
from datasette.utils.asgi import Response

from db.portal.review import COOKIE, ReviewSite, forms, pages, review_site
from db.portal.review.accounts import verify_reviewer

PREFIX = "/-/review"
# Tables whose rows would show one reviewer another's decisions: closed on the review site.
BLIND_TABLES = {"decisions", "stage_status", "work_status", "quality", "codes"}


@hookimpl
def actor_from_request(datasette: Any, request: Any) -> dict[str, Any] | None:
    site = review_site(datasette)
    if site is None:
        return None
    return site.actor_from_cookie(datasette, request.cookies.get(COOKIE))


@hookimpl
def permission_allowed(datasette: Any, actor: Any, action: str, resource: Any) -> bool | None:
    """Blind mode on the review site: no reading the trail through Datasette's tables or SQL."""
    if review_site(datasette) is None:
        return None
    if action == "execute-sql":
        return False
    if action == "view-table" and isinstance(resource, tuple) and resource[1] in BLIND_TABLES:
        return False
    return None


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Callable[..., Any]]]:
    if review_site(datasette) is None:
        return []
    stage = r"(?P<stage>[123])"
    return [
        (rf"^{PREFIX}/login$", login),
        (rf"^{PREFIX}/logout$", reviewer_only(logout)),
        (rf"^{PREFIX}$", reviewer_only(overview)),
        (rf"^{PREFIX}/stage/{stage}$", reviewer_only(queue)),
        (rf"^{PREFIX}/stage/{stage}/next$", reviewer_only(next_record)),
        (rf"^{PREFIX}/stage/{stage}/work/(?P<work_id>\d+)$", reviewer_only(record)),
        (rf"^{PREFIX}/conflicts/{stage}$", reviewer_only(conflicts)),
        (rf"^{PREFIX}/conflicts/{stage}/(?P<work_id>\d+)$", reviewer_only(resolve)),
        (rf"^{PREFIX}/waiting/{stage}$", reviewer_only(waiting)),
        (rf"^{PREFIX}/agreement$", reviewer_only(agreement_view)),
        (rf"^{PREFIX}/dedupe$", reviewer_only(dedupe)),
    ]


View = Callable[[Any, Any, ReviewSite, str], Awaitable[Response]]


def reviewer_only(view: View) -> Callable[[Any, Any], Awaitable[Response]]:
    """Refuse anyone not signed in: a page sends them to the login, a post gets 403."""

    async def guarded(datasette: Any, request: Any) -> Response:
        site = review_site(datasette)
        actor = request.actor or {}
        if site is None or not actor.get("evidensbase_reviewer"):
            if request.method == "GET":
                target = quote(request.full_path, safe="")
                return Response.redirect(f"{PREFIX}/login?next={target}")
            return Response.text("Sign in to the review site first.", status=403)
        return await view(datasette, request, site, str(actor["id"]))

    return guarded


async def render(
    datasette: Any, request: Any, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    html = await datasette.render_template(
        [f"review/{template}"], {"prefix": PREFIX, **context}, request=request
    )
    return Response.html(html, status=status)


async def form_data(request: Any) -> dict[str, list[str]]:
    body = await request.post_body()
    return parse_qs(body.decode("utf-8"), keep_blank_values=True)


def first(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def safe_next(target: str) -> str:
    """Only a path on this site (never ``//host`` or a scheme): no open redirect."""
    if target.startswith(PREFIX) and not target.startswith("//"):
        return target
    return PREFIX


async def login(datasette: Any, request: Any) -> Response:
    site = review_site(datasette)
    assert site is not None
    target = safe_next(request.args.get("next") or PREFIX)
    if request.method == "POST":
        form = await form_data(request)
        name, password = first(form, "name"), (form.get("password") or [""])[0]
        target = safe_next(first(form, "next") or PREFIX)
        known = bool(name) and await asyncio.to_thread(
            verify_reviewer, site.reviewers, name, password
        )
        if known:
            response = Response.redirect(target)
            response.set_cookie(
                COOKIE,
                site.sign_in(datasette, name),
                max_age=site.session_seconds,
                httponly=True,
                samesite="lax",
                secure=request.scheme == "https",
            )
            return response
        return await render(
            datasette,
            request,
            "login.html",
            {"next": target, "name": name, "error": True},
            status=403,
        )
    return await render(datasette, request, "login.html", {"next": target, "name": ""})


async def logout(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    if request.method != "POST":
        return await render(datasette, request, "logout.html", {"reviewer": reviewer})
    response = Response.redirect(f"{PREFIX}/login")
    response.set_cookie(COOKIE, "", expires=0, max_age=0)
    return response


async def overview(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    counts = await site.run(forms.overview_counts, reviewer)
    return await render(datasette, request, "overview.html", {"reviewer": reviewer, **counts})


async def queue(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    stage = int(request.url_vars["stage"])
    data = await site.run(pages.queue_page, stage, reviewer, await site.queue(stage, reviewer))
    context = {"reviewer": reviewer, "stage": stage, **data}
    return await render(datasette, request, "queue.html", context)


def _skipped(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip().isdigit()][:500]


async def next_record(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    stage = int(request.url_vars["stage"])
    skipped = _skipped(request.args.get("skipped") or "")
    queued = await site.queue(stage, reviewer)
    work_id = next((i.work_id for i in queued if i.work_id not in skipped), None)
    if work_id is None:
        datasette.add_message(
            request, f"Nothing left in your stage {stage} queue / Ingenting igjen i køen din"
        )
        return Response.redirect(f"{PREFIX}/stage/{stage}")
    suffix = f"?skipped={','.join(map(str, skipped))}" if skipped else ""
    return Response.redirect(f"{PREFIX}/stage/{stage}/work/{work_id}{suffix}")


async def record(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    stage = int(request.url_vars["stage"])
    work_id = int(request.url_vars["work_id"])
    error: str | None = None
    posted: dict[str, list[str]] = {}
    skipped = _skipped(request.args.get("skipped") or "")
    if request.method == "POST":
        posted = await form_data(request)
        skipped = _skipped(first(posted, "skipped"))
        if first(posted, "decision") == "skip":
            skipped.append(work_id)
            return Response.redirect(
                f"{PREFIX}/stage/{stage}/next?skipped={','.join(map(str, skipped))}"
            )
        result = await site.run(forms.decide, stage, work_id, reviewer, posted)
        if result.refusal is not None:
            return await refused(datasette, request, stage, work_id, result.refusal)
        if result.error is None:
            datasette.add_message(request, result.message)
            target = f"{PREFIX}/stage/{stage}/next"
            if skipped:
                target += f"?skipped={','.join(map(str, skipped))}"
            return Response.redirect(target)
        error = result.error
    try:
        data = await site.run(pages.record_page, stage, work_id, reviewer)
    except LookupError:
        return Response.html("No such record.", status=404)
    context = {
        "reviewer": reviewer,
        "stage": stage,
        "error": error,
        "posted": {k: v for k, v in posted.items() if k != "csrftoken"},
        "skipped": ",".join(map(str, skipped)),
        **data,
    }
    return await render(datasette, request, "record.html", context, status=400 if error else 200)


async def refused(
    datasette: Any, request: Any, stage: int, work_id: int, refusal: pages.Refusal
) -> Response:
    """The page for a decision the trail refused (stage order, a stale form, …)."""
    context = {"stage": stage, "message": refusal.message, "work_id": work_id}
    return await render(datasette, request, "refused.html", context, status=refusal.status)


async def conflicts(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    stage = int(request.url_vars["stage"])
    rows = await site.run(pages.conflicts_page, stage)
    return await render(
        datasette, request, "conflicts.html", {"stage": stage, "conflicts": rows, "me": reviewer}
    )


async def resolve(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    stage = int(request.url_vars["stage"])
    work_id = int(request.url_vars["work_id"])
    error = None
    if request.method == "POST":
        posted = await form_data(request)
        result = await site.run(forms.resolve, stage, work_id, reviewer, posted)
        if result.refusal is not None:
            return await refused(datasette, request, stage, work_id, result.refusal)
        if result.error is None:
            datasette.add_message(request, result.message)
            return Response.redirect(f"{PREFIX}/conflicts/{stage}")
        error = result.error
    try:
        data = await site.run(pages.conflict_detail, stage, work_id)
    except LookupError:
        return Response.html("No such record.", status=404)
    context = {"stage": stage, "error": error, "me": reviewer, **data}
    return await render(datasette, request, "resolve.html", context, status=400 if error else 200)


async def waiting(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    stage = int(request.url_vars["stage"])
    rows = await site.run(pages.waiting_page, stage)
    return await render(datasette, request, "waiting.html", {"stage": stage, "rows": rows})


async def agreement_view(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    rows = await site.run(pages.agreement_page)
    return await render(datasette, request, "agreement.html", {"pairs": rows})


async def dedupe(datasette: Any, request: Any, site: ReviewSite, reviewer: str) -> Response:
    if request.method == "POST":
        posted = await form_data(request)
        result = await site.run(forms.judge_pair, reviewer, posted)
        if result.refusal is not None:
            return await render(
                datasette,
                request,
                "refused.html",
                {"stage": None, "message": result.refusal.message, "work_id": None},
                status=result.refusal.status,
            )
        datasette.add_message(request, result.message or result.error or "")
        return Response.redirect(f"{PREFIX}/dedupe")
    pairs = await site.run(forms.maybe_pairs)
    return await render(datasette, request, "dedupe.html", {"pairs": pairs})
