"""Rollouts: every published bundle and how far its staged rollout has come, publishing a bundle signed
offline (`kiosk-admin sign`: the signing key never reaches the centre), pausing, resuming and stopping a
rollout, and preparing the unsigned configuration an operator then signs at their desk.

Publishing goes through `fleet.routes.publish_bundle`, the same function as `POST /v1/admin/bundles`, so
the console refuses exactly the bundles the API (and the kiosks) refuse, with the same words."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from central_server.console.accounts import Role
from central_server.console.web import SECURITY_HEADERS, CsrfChecked, OperatorPage, Page, Viewer
from central_server.dates import CENTRE_TZ
from central_server.fleet.models import ConfigBundle, KioskStatus, Rollout
from central_server.fleet.routes import (
    LIVE,
    MAX_FAILURES,
    PublishRefused,
    RolloutChangeRefused,
    change_rollout,
    publish_bundle,
    reports_for,
    stage_members,
)
from central_server.terminals import TerminalRecord
from kiosk.remote_config.bundle import MAX_BUNDLE_BYTES, MAX_VERSION, targets
from kiosk.remote_config.schema import SERVICE_IDS, WEEKDAYS, RemoteConfig

router = APIRouter(prefix="/console", include_in_schema=False)
# What "start from the example" starts from: the repository's documented example configuration.
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "config" / "remote.example.json"
NOTICE_ROWS = 10  # the schema's limit
BLANK_NOTICE_ROWS = 3  # empty rows the form offers for new notices, up to the limit
_LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
# How the form names the kiosk's services and the days (the schema's ids, in operators' words).
SERVICE_LABELS = {
    "overview": "Account overview",
    "deposits": "Deposit records",
    "loan": "Loan enquiry",
    "withdrawal": "Withdrawal",
    "appointment": "Appointments",
    "pre_registration": "Pre-registration",
    "certificate": "Certificates",
    "password_change": "Password change",
    "status": "Application status",
    "complaint": "Complaints and suggestions",
}
DAY_LABELS = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
}


# -- progress ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageProgress:
    group: str  # "": a bundle published without stages (every kiosk it targets at once)
    started: bool
    total: int  # kiosks on record in the group that the bundle targets
    healthy: int  # reported this version healthy (and never failed it)
    failed: int
    on_version: int  # say in their last heartbeat that they run this version
    waiting: list[str]  # of a started stage: who has not reported yet


@dataclass(frozen=True)
class RolloutView:
    version: int
    target: str
    key_id: str
    published_at: int
    state: str  # running | paused | stopped | complete
    staged: bool
    stages: list[StageProgress]
    failures: int
    max_failures: int
    stopped_reason: str


def _running_versions(session: Any) -> dict[str, int]:
    """Each kiosk's configuration version, as its last heartbeat said."""
    return {
        status.terminal_id: json.loads(status.heartbeat).get("config_version", 0)
        for status in session.scalars(select(KioskStatus))
    }


def _view(
    session: Any, bundle: ConfigBundle, terminals: dict[str, TerminalRecord], running: dict[str, int]
) -> RolloutView:
    rollout = session.get(Rollout, bundle.version)
    reports = reports_for(session, bundle.version)
    healthy = reports.healthy - reports.failed
    on_version = {terminal for terminal, version in running.items() if version == bundle.version}
    live = rollout is not None and rollout.state in LIVE  # only a live rollout waits for anyone
    if rollout is None:
        everyone = {tid for tid, kiosk in terminals.items() if targets(bundle.target, tid, kiosk.group)}
        groups = [("", True, everyone)]
    else:
        names = json.loads(rollout.stages)
        groups = [
            (
                group,
                rollout.state == "complete" or index <= rollout.stage_index,
                stage_members(terminals, bundle.target, group),
            )
            for index, group in enumerate(names)
        ]
    stages = [
        StageProgress(
            group=group,
            started=started,
            total=len(members),
            healthy=len(members & healthy),
            failed=len(members & reports.failed),
            on_version=len(members & on_version),
            waiting=sorted(members - healthy - reports.failed) if started and live else [],
        )
        for group, started, members in groups
    ]
    return RolloutView(
        version=bundle.version,
        target=bundle.target,
        key_id=bundle.key_id,
        published_at=bundle.published_at,
        state=rollout.state if rollout else "complete",
        staged=rollout is not None,
        stages=stages,
        failures=rollout.failures if rollout else len(reports.failed),
        max_failures=rollout.max_failures if rollout else 0,
        stopped_reason=rollout.stopped_reason if rollout else "",
    )


def _groups(kiosks: dict[str, TerminalRecord]) -> list[str]:
    return sorted({kiosk.group for kiosk in kiosks.values()})


@router.get("/rollouts", response_class=HTMLResponse)
def rollout_list(page: Viewer) -> HTMLResponse:
    with page.context.db.transaction() as session:
        bundles = session.scalars(select(ConfigBundle).order_by(ConfigBundle.version.desc()))
        running = _running_versions(session)
        kiosks = page.context.terminals.active(session)
        views = [_view(session, bundle, kiosks, running) for bundle in bundles]
    return page.render(
        "rollouts_list.html", rollouts=views, now=page.now(), can_act=page.operator.role >= Role.OPERATOR
    )


# -- publishing --------------------------------------------------------------------------------------


def _new_form(
    page: Page, *, message: str = "", status: int = 200, stages: str = "", max_failures: str = "0"
) -> HTMLResponse:
    kiosks = page.context.active_kiosks()
    counts = {group: sum(1 for k in kiosks.values() if k.group == group) for group in _groups(kiosks)}
    return page.render(
        "rollouts_new.html",
        status=status,
        message=message,
        groups=counts,
        stages=stages,
        max_failures=max_failures,
        max_kib=MAX_BUNDLE_BYTES // 1024,
    )


@router.get("/rollouts/new", response_class=HTMLResponse)
def new_rollout_form(page: OperatorPage) -> HTMLResponse:
    return _new_form(page, stages=", ".join(_groups(page.context.active_kiosks())))


@router.post("/rollouts/new", response_class=HTMLResponse)
def new_rollout(
    page: OperatorPage,
    _csrf: CsrfChecked,
    stages: Annotated[str, Form(max_length=2000)] = "",
    max_failures: Annotated[str, Form(max_length=10)] = "0",
    bundle: Annotated[UploadFile | None, File()] = None,
) -> Response:
    def refuse(message: str) -> HTMLResponse:
        return _new_form(page, message=message, status=400, stages=stages, max_failures=max_failures)

    data = bundle.file.read(MAX_BUNDLE_BYTES + 1) if bundle is not None else b""
    if not data:
        return refuse(page.t("Choose the signed bundle file."))
    if len(data) > MAX_BUNDLE_BYTES:
        return refuse(page.t("The file is larger than {kib} KiB.").format(kib=MAX_BUNDLE_BYTES // 1024))
    chosen = [name.strip() for name in stages.replace("，", ",").split(",") if name.strip()]
    groups = _groups(page.context.active_kiosks())
    unknown = [name for name in chosen if name not in groups]
    if not chosen:
        return refuse(page.t("Name at least one group as a stage."))
    if unknown:
        return refuse(page.t("No such group: {group}").format(group=unknown[0]))
    if not max_failures.strip().isdigit() or int(max_failures) > MAX_FAILURES:
        return refuse(
            page.t("Failures tolerated: a whole number from 0 to {most}.").format(most=MAX_FAILURES)
        )
    fleet = page.request.app.state.fleet
    try:
        with page.context.db.transaction() as session:
            published = publish_bundle(
                session,
                data,
                stages=chosen,
                max_failures=int(max_failures),
                trusted_keys=fleet.operator_keys,
                terminals=page.context.terminals.active(session),
                now=page.now(),
            )
    except PublishRefused as exc:
        return refuse(page.t("Not published: {reason}").format(reason=str(exc)))
    page.audit(
        "rollout_start",
        target=f"v{published.version}",
        detail=f"{published.target}; stages {', '.join(chosen)}; max failures {int(max_failures)}; "
        f"key {published.key_id}",
    )
    return RedirectResponse(
        f"/console/rollouts/{published.version}", status_code=303, headers=SECURITY_HEADERS
    )


# -- preparing a configuration -----------------------------------------------------------------------


@dataclass
class ConfigForm:
    """The editable part of a configuration as the form shows it (strings, as typed), and where the rest
    comes from: `source` is "example" or the version of a published bundle."""

    source: str
    version: str
    notices: list[dict[str, str]]
    services: list[tuple[str, str, bool]]  # id, position, enabled
    days: list[str]
    open: str
    close: str
    idle_timeout_s: str
    countdown_s: str
    extra_slots: int = 0  # opening slots beyond the first, kept unchanged
    errors: list[str] = field(default_factory=list)


def _local(moment: str) -> str:
    return dt.datetime.fromisoformat(moment).astimezone(CENTRE_TZ).strftime(_LOCAL_MINUTE)


def _form_of(config: dict[str, Any], source: str, version: int) -> ConfigForm:
    listed = [entry["id"] for entry in config["services"]]
    enabled = {entry["id"] for entry in config["services"] if entry.get("enabled", True)}
    order = listed + [sid for sid in SERVICE_IDS if sid not in listed]
    slots = config.get("hours", {}).get("default", [])
    first = slots[0] if slots else {"days": [], "open": "", "close": ""}
    session = config.get("session", {})
    return ConfigForm(
        source=source,
        version=str(version),
        notices=[
            {
                "id": notice["id"],
                "zh": notice["text_zh"],
                "en": notice["text_en"],
                "start": _local(notice["starts_at"]),
                "end": _local(notice["ends_at"]),
            }
            for notice in config.get("notices", [])
        ],
        services=[(sid, str(position), sid in enabled) for position, sid in enumerate(order, start=1)],
        days=list(first["days"]),
        open=str(first["open"])[:5],
        close=str(first["close"])[:5],
        idle_timeout_s=str(session.get("idle_timeout_s", 60)),
        countdown_s=str(session.get("countdown_s", 10)),
        extra_slots=max(0, len(slots) - 1),
    )


def _newest(session: Any) -> ConfigBundle | None:
    bundle: ConfigBundle | None = session.scalar(
        select(ConfigBundle).order_by(ConfigBundle.version.desc()).limit(1)
    )
    return bundle


def _source_config(page: Page, source: str) -> tuple[dict[str, Any], str, int] | None:
    """The configuration to start from, the source's name, and the next version; None: no such source."""
    with page.context.db.transaction() as session:
        newest = _newest(session)
        next_version = min(MAX_VERSION, (newest.version if newest else 0) + 1)
        if source in ("", "newest") and newest is not None:
            source = str(newest.version)
        if source in ("", "newest", "example"):
            config: dict[str, Any] = json.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
            return config, "example", next_version
        bundle = session.get(ConfigBundle, int(source)) if source.isdigit() and len(source) < 11 else None
        if bundle is None:
            return None
        return json.loads(bundle.body)["config"], source, next_version


def _prepare_page(page: Page, form: ConfigForm, status: int = 200) -> HTMLResponse:
    with page.context.db.transaction() as session:
        versions = list(
            session.scalars(select(ConfigBundle.version).order_by(ConfigBundle.version.desc()).limit(20))
        )
    blank = min(BLANK_NOTICE_ROWS, NOTICE_ROWS - len(form.notices))
    notices = form.notices + [{"id": "", "zh": "", "en": "", "start": "", "end": ""}] * blank
    return page.render(
        "rollouts_prepare.html",
        status=status,
        form=form,
        notices=notices,
        weekdays=WEEKDAYS,
        versions=versions,
        service_labels=SERVICE_LABELS,
        day_labels=DAY_LABELS,
    )


@router.get("/rollouts/prepare", response_class=HTMLResponse)
def prepare_form(page: OperatorPage, source: Annotated[str, Query(max_length=20)] = "") -> HTMLResponse:
    found = _source_config(page, source)
    if found is None:
        found = _source_config(page, "")
        assert found is not None  # the newest bundle or the example is always there
    config, name, version = found
    return _prepare_page(page, _form_of(config, name, version))


def _moment(text: str, where: str, errors: list[str]) -> str:
    """A datetime-local value, read in the centre's time zone, as the schema wants it (with its offset)."""
    try:
        return dt.datetime.strptime(text, _LOCAL_MINUTE).replace(tzinfo=CENTRE_TZ).isoformat()
    except ValueError:
        errors.append(f"{where}: not a date and time")
        return text


def _build(base: dict[str, Any], form: ConfigForm) -> dict[str, Any]:
    """The base configuration with the form's parts put in; what cannot be read is in `form.errors`."""
    errors = form.errors
    notices = []
    for index, row in enumerate(form.notices):
        where = f"notices.{index}"
        notices.append(
            {
                "id": row["id"],
                "text_zh": row["zh"],
                "text_en": row["en"],
                "starts_at": _moment(row["start"], f"{where}.starts_at", errors),
                "ends_at": _moment(row["end"], f"{where}.ends_at", errors),
            }
        )
    positions = []
    for sid, position, enabled in form.services:
        if not position.strip().isdigit():
            errors.append(f"services.{sid}: the position is a whole number")
        positions.append(
            (int(position) if position.strip().isdigit() else 0, SERVICE_IDS.index(sid), sid, enabled)
        )
    services = [{"id": sid, "enabled": enabled} for _, _, sid, enabled in sorted(positions)]
    slots = list(base.get("hours", {}).get("default", []))[1:] if form.extra_slots else []
    if form.days or form.open or form.close:
        slots.insert(0, {"days": form.days, "open": form.open, "close": form.close})
    timeouts = {}
    for name in ("idle_timeout_s", "countdown_s"):
        value = getattr(form, name).strip()
        if not value.isdigit() or len(value) > 6:
            errors.append(f"session.{name}: a whole number of seconds")
        else:
            timeouts[name] = int(value)
    return {
        **base,
        "notices": notices,
        "services": services,
        "hours": {**base.get("hours", {}), "default": slots},
        "session": {**base.get("session", {}), **timeouts},
    }


def _schema_errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()]


Text = Annotated[list[str], Form(max_length=NOTICE_ROWS)]


@router.post("/rollouts/prepare", response_class=HTMLResponse)
def prepare(
    page: OperatorPage,
    _csrf: CsrfChecked,
    source: Annotated[str, Form(max_length=20)],
    version: Annotated[str, Form(max_length=10)],
    service: Annotated[list[str], Form(max_length=len(SERVICE_IDS))],
    position: Annotated[list[str], Form(max_length=len(SERVICE_IDS))],
    notice_id: Text,
    notice_zh: Text,
    notice_en: Text,
    notice_start: Text,
    notice_end: Text,
    idle_timeout_s: Annotated[str, Form(max_length=10)],
    countdown_s: Annotated[str, Form(max_length=10)],
    enabled: Annotated[list[str], Form(max_length=len(SERVICE_IDS))] = [],  # noqa: B006 (FastAPI copies it)
    days: Annotated[list[str], Form(max_length=len(WEEKDAYS))] = [],  # noqa: B006
    open: Annotated[str, Form(max_length=5)] = "",
    close: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    found = _source_config(page, source)
    rows = list(zip(notice_id, notice_zh, notice_en, notice_start, notice_end, strict=False))
    if (
        found is None
        or found[1] != source
        or sorted(service) != sorted(SERVICE_IDS)
        or len(position) != len(service)
        or len(rows) != len(notice_id)
        or any(len(value) > 300 for row in rows for value in row)
    ):
        # Not what the page's own form sends: no field to name, so the form starts again.
        found = _source_config(page, "")
        assert found is not None
        form = _form_of(found[0], found[1], found[2])
        form.errors.append(page.t("The form did not come from this page. Please start again."))
        return _prepare_page(page, form, status=400)
    form = ConfigForm(
        source=source,
        version=version,
        notices=[
            {"id": i.strip(), "zh": zh.strip(), "en": en.strip(), "start": s, "end": e}
            for i, zh, en, s, e in rows
            if any(v.strip() for v in (i, zh, en, s, e))  # a blank row is no notice
        ],
        services=[(sid, pos, sid in enabled) for sid, pos in zip(service, position, strict=True)],
        days=[day for day in WEEKDAYS if day in days],
        open=open,
        close=close,
        idle_timeout_s=idle_timeout_s,
        countdown_s=countdown_s,
        extra_slots=max(0, len(found[0].get("hours", {}).get("default", [])) - 1),
    )
    if not version.isdigit() or not 1 <= int(version) <= MAX_VERSION:
        form.errors.append(f"version: a whole number from 1 to {MAX_VERSION}")
    config = _build(found[0], form)
    if not form.errors:
        try:
            valid = RemoteConfig.model_validate(config)
        except ValidationError as exc:
            form.errors.extend(_schema_errors(exc))
    if form.errors:
        return _prepare_page(page, form, status=400)
    page.audit("config_prepared", target=f"v{int(version)}", detail=f"from {source}")
    body = json.dumps(valid.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2) + "\n"
    return Response(
        body,
        media_type="application/json",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="config-v{int(version)}.json"',
        },
    )


# -- one rollout -------------------------------------------------------------------------------------


def _rollout_page(page: Page, version: int, *, message: str = "", status: int = 200) -> HTMLResponse:
    with page.context.db.transaction() as session:
        bundle = session.get(ConfigBundle, version)
        running = _running_versions(session)
        kiosks = page.context.terminals.active(session)
        view = _view(session, bundle, kiosks, running) if bundle is not None else None
    if view is None:
        return page.render("message.html", status=404, title="Page not found", body="", link="/console/fleet")
    return page.render(
        "rollouts_detail.html",
        status=status,
        rollout=view,
        now=page.now(),
        message=message,
        can_act=page.operator.role >= Role.OPERATOR,
    )


@router.get("/rollouts/{version}", response_class=HTMLResponse)
def rollout_detail(page: Viewer, version: int) -> HTMLResponse:
    return _rollout_page(page, version)


@router.post("/rollouts/{version}/{action}", response_class=HTMLResponse)
def change(
    page: OperatorPage,
    _csrf: CsrfChecked,
    version: int,
    action: Literal["pause", "resume", "stop"],
    reason: Annotated[str, Form(max_length=160)] = "",
) -> Response:
    # What the rollout keeps as the reason it stopped (a resume that finds too many failures stops too).
    done = {"pause": "paused", "resume": "resumed", "stop": "stopped"}[action]
    said = f"{done} by {page.operator.username}" + (f": {reason.strip()}" if reason.strip() else "")
    try:
        with page.context.db.transaction() as session:
            change_rollout(session, version, action, page.context.terminals.active(session), said)
    except RolloutChangeRefused as exc:
        return _rollout_page(page, version, message=str(exc), status=400)
    page.audit(f"rollout_{action}", target=f"v{version}", detail=reason.strip())
    return RedirectResponse(f"/console/rollouts/{version}", status_code=303, headers=SECURITY_HEADERS)
