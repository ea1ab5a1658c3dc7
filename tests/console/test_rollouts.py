"""The rollouts pages: publishing a bundle signed offline runs the API's checks (an untrusted key, a bad
signature or a replayed version is refused and nothing is stored), a paused rollout does not move on to
its next stage until resumed, a stop is for good, and preparing a configuration gives the unsigned file
that `kiosk-admin sign` takes. Every action is in the operator log."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from central_server.console import rollouts
from central_server.console.accounts import Role
from central_server.console.i18n import ZH
from central_server.console.words.rollouts import WORDS
from central_server.fleet.models import ConfigBundle, Rollout
from kiosk.remote_config.bundle import load_private_key, sign_bundle
from kiosk.remote_config.schema import SERVICE_IDS, RemoteConfig
from tests.central.helpers import Kiosk
from tests.console.conftest import TERMINALS, Console

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "config" / "remote.example.json").read_text())
XSS = "<script>alert(1)</script>"


def _newest(console: Console) -> int:
    with console.app.state.context.db.transaction() as session:
        return int(session.scalar(select(func.max(ConfigBundle.version))) or 0)


def _bundle_count(console: Console) -> int:
    with console.app.state.context.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(ConfigBundle)) or 0)


def _rollout(console: Console, version: int) -> tuple[str, int, str]:
    with console.app.state.context.db.transaction() as session:
        rollout = session.get(Rollout, version)
        assert rollout is not None
        return rollout.state, rollout.stage_index, rollout.stopped_reason


def _signed(console: Console, version: int, key: Ed25519PrivateKey | None = None) -> bytes:
    bundle = sign_bundle(
        EXAMPLE, version=version, target="all", key=key or load_private_key(console.signing_key)
    )
    return json.dumps(bundle, ensure_ascii=False).encode()


def _upload(
    session: Any, data: bytes, stages: str = "hall-1, hall-2", max_failures: str = "0", csrf: bool = True
) -> requests.Response:
    form = {"stages": stages, "max_failures": max_failures}
    if csrf:
        form["csrf_token"] = session.csrf()
    return session.post(
        "/console/rollouts/new", data=form, files={"bundle": ("v.json", data, "application/json")}
    )


def _published(console: Console) -> int:
    """A new running rollout over hall-1 then hall-2, published through the console."""
    version = _newest(console) + 1
    response = _upload(console.session(Role.OPERATOR), _signed(console, version))
    assert response.status_code == 303, response.text
    return version


def _kiosk(console: Console, terminal_id: str) -> Kiosk:
    kiosk = Kiosk(console.base_url, terminal_id)
    assert kiosk.authenticate(TERMINALS[terminal_id].secret).status_code == 200
    return kiosk


def _report_healthy(console: Console, terminal_id: str, version: int) -> None:
    kiosk = _kiosk(console, terminal_id)
    kiosk.data("POST", "/v1/fleet/config-reports", json={"version": version, "outcome": "healthy"})


def _offered(console: Console, terminal_id: str) -> int | None:
    response = _kiosk(console, terminal_id).call("GET", "/v1/fleet/config")
    return int(response.json()["data"]["version"]) if response.status_code == 200 else None


def _audit(console: Console) -> str:
    return console.session(Role.ADMINISTRATOR).get("/console/audit").text


# -- publishing --------------------------------------------------------------------------------------


def test_a_bundle_signed_offline_is_published_with_its_stages(console: Console) -> None:
    version = _newest(console) + 1
    operator = console.session(Role.OPERATOR)
    response = _upload(operator, _signed(console, version), stages="hall-1，hall-2", max_failures="1")
    assert response.status_code == 303 and response.headers["location"] == f"/console/rollouts/{version}"
    state, stage_index, _ = _rollout(console, version)
    assert (state, stage_index) == ("running", 0)

    viewer = console.session(Role.VIEWER)
    page = viewer.get(f"/console/rollouts/{version}")
    assert page.status_code == 200
    rows = re.findall(r"<tr[^>]*>\s*<td>(\d)\s*(.*?)</td>\s*<td>([\w-]+)</td>", page.text, re.S)
    assert [(number, group) for number, _, group in rows] == [("1", "hall-1"), ("2", "hall-2")]
    assert "未开始" in rows[1][1] and "未开始" not in rows[0][1]  # hall-2 has not started
    assert "KIOSK-HALL1-01, KIOSK-HALL1-02" in page.text  # the stage waits for both
    assert "0 / 2" in page.text and "1 台（容许 1 台）" not in page.text and "0 台（容许 1 台）" in page.text
    listing = viewer.get("/console/rollouts").text
    assert f"/console/rollouts/{version}" in listing and "发布中" in listing
    assert 'hx-trigger="every 10s"' in listing
    assert re.search(
        rf"rollout_start</td><td>v{version}</td><td>all; stages hall-1, hall-2; max failures 1",
        _audit(console),
    )


def test_an_untrusted_key_is_refused_with_the_apis_words_and_nothing_is_stored(console: Console) -> None:
    before = _bundle_count(console)
    stranger = _signed(console, _newest(console) + 1, key=Ed25519PrivateKey.generate())
    response = _upload(console.session(Role.OPERATOR), stranger)
    assert response.status_code == 400
    assert "the kiosks would refuse this bundle: unknown_key: signed with key" in response.text
    assert "未发布" in response.text
    assert _bundle_count(console) == before


def test_a_tampered_bundle_and_a_replayed_version_are_refused(console: Console) -> None:
    version = _published(console)
    before = _bundle_count(console)
    operator = console.session(Role.OPERATOR)
    replay = _upload(operator, _signed(console, version))
    assert replay.status_code == 400
    assert f"replayed_version: version {version} is not newer than {version}" in replay.text
    tampered = json.loads(_signed(console, version + 1))
    tampered["config"]["session"]["idle_timeout_s"] = 600
    bad = _upload(operator, json.dumps(tampered).encode())
    assert bad.status_code == 400 and "bad_signature: the signature does not match the bundle" in bad.text
    assert _bundle_count(console) == before


@pytest.mark.parametrize(
    ("stages", "max_failures", "data", "message"),
    [
        ("hall-1, hall-9", "0", None, "没有这个分组：hall-9"),
        ("", "0", None, "请至少填写一个分组作为发布阶段。"),
        ("hall-1", "-1", None, "容许失败数须为 0 至 10000 的整数。"),
        ("hall-1", "0", b"", "请选择已签名的配置包文件。"),
        ("hall-1", "0", b" " * (64 * 1024 + 1), "文件超过 64 KiB。"),
        ("hall-1, hall-1", "0", "signed", "stages: each group may appear once"),
    ],
)
def test_a_bad_publish_form_says_what_is_wrong_and_stores_nothing(
    console: Console, stages: str, max_failures: str, data: bytes | str | None, message: str
) -> None:
    before = _bundle_count(console)
    body = _signed(console, _newest(console) + 1) if data is None or data == "signed" else data
    response = _upload(console.session(Role.OPERATOR), body, stages=stages, max_failures=max_failures)
    assert response.status_code == 400 and message in response.text
    assert f'value="{stages}"' in response.text  # the form comes back as it was filled in
    assert _bundle_count(console) == before


def test_publishing_needs_an_operator_and_the_forms_token(console: Console) -> None:
    before = _bundle_count(console)
    data = _signed(console, _newest(console) + 1)
    assert console.session(Role.VIEWER).get("/console/rollouts/new").status_code == 403
    assert _upload(console.session(Role.VIEWER), data).status_code == 403
    assert _upload(console.session(Role.OPERATOR), data, csrf=False).status_code == 403
    anonymous = console.session(None).get("/console/rollouts/new")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/login")
    assert _bundle_count(console) == before
    form = console.session(Role.OPERATOR).get("/console/rollouts/new")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert 'value="hall-1, hall-2"' in form.text  # every known group, as a start


# -- pause, resume, stop -----------------------------------------------------------------------------


def test_a_paused_rollout_waits_and_a_resumed_one_moves_on(console: Console) -> None:
    version = _published(console)
    operator = console.session(Role.OPERATOR)
    assert operator.submit(f"/console/rollouts/{version}/pause").status_code == 303
    assert _rollout(console, version)[:2] == ("paused", 0)

    # hall-1 keeps getting the bundle and reports it healthy; hall-2's stage does not start.
    assert _offered(console, "KIOSK-HALL1-01") == version
    for terminal_id in ("KIOSK-HALL1-01", "KIOSK-HALL1-02"):
        _report_healthy(console, terminal_id, version)
    assert _rollout(console, version)[:2] == ("paused", 0)
    assert _offered(console, "KIOSK-HALL2-01") != version
    page = console.session(Role.VIEWER).get(f"/console/rollouts/{version}").text
    assert "已暂停" in page and "2 / 2" in page and "0 / 1" in page

    assert operator.submit(f"/console/rollouts/{version}/resume").status_code == 303
    assert _rollout(console, version)[:2] == ("running", 1)
    assert _offered(console, "KIOSK-HALL2-01") == version
    _report_healthy(console, "KIOSK-HALL2-01", version)
    assert _rollout(console, version)[0] == "complete"
    # Only what fits the state: a complete rollout cannot be paused.
    again = operator.submit(f"/console/rollouts/{version}/pause")
    assert again.status_code == 400 and "a complete rollout cannot pause" in again.text
    log = _audit(console)
    assert f"rollout_pause</td><td>v{version}<" in log and f"rollout_resume</td><td>v{version}<" in log


def test_a_stop_is_for_good_and_its_reason_is_shown_escaped(console: Console) -> None:
    version = _published(console)
    operator = console.session(Role.OPERATOR)
    assert operator.submit(f"/console/rollouts/{version}/stop", {"reason": XSS}).status_code == 303
    state, _, reason = _rollout(console, version)
    assert state == "stopped" and reason == f"stopped by operator.test: {XSS}"
    page = console.session(Role.VIEWER).get(f"/console/rollouts/{version}").text
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "已终止" in page
    assert "<form" not in page.split("</header>")[1]  # a viewer gets no buttons, and a stopped one has none
    refused = operator.submit(f"/console/rollouts/{version}/resume")
    assert refused.status_code == 400 and "a stopped rollout cannot resume" in refused.text
    assert _rollout(console, version)[0] == "stopped"
    assert XSS not in _audit(console) and f"rollout_stop</td><td>v{version}<" in _audit(console)


def test_changing_a_rollout_needs_an_operator_and_the_forms_token(console: Console) -> None:
    version = _published(console)
    viewer = console.session(Role.VIEWER)
    assert viewer.submit(f"/console/rollouts/{version}/pause").status_code == 403
    assert console.session(Role.OPERATOR).post(f"/console/rollouts/{version}/stop").status_code == 403
    assert _rollout(console, version)[0] == "running"
    assert viewer.get("/console/rollouts").status_code == 200
    assert viewer.get(f"/console/rollouts/{version}").status_code == 200
    assert viewer.get("/console/rollouts/999999").status_code == 404
    for path in ("/console/rollouts", f"/console/rollouts/{version}"):
        assert console.session(None).get(path).status_code == 303


# -- preparing a configuration -----------------------------------------------------------------------


def _prepare_form(**changes: Any) -> list[tuple[str, str]]:
    """What the prepare page's form sends: two notices filled in, the rest of the ten rows empty."""
    notices = changes.pop(
        "notices",
        [("exam-1", "考试通知", "Exam notice", "2026-12-01T08:00", "2026-12-02T17:30")],
    )
    order = changes.pop("order", list(SERVICE_IDS))
    fields: dict[str, Any] = {
        "source": "example",
        "version": "42",
        "idle_timeout_s": "90",
        "countdown_s": "15",
        "open": "08:30",
        "close": "17:00",
        **changes,
    }
    form = [(name, value) for name, value in fields.items()]
    form += [("days", day) for day in ("mon", "tue", "wed", "thu", "fri")]
    rows = notices + [("", "", "", "", "")] * 3  # as the page offers them
    for row in rows:
        form += list(
            zip(("notice_id", "notice_zh", "notice_en", "notice_start", "notice_end"), row, strict=True)
        )
    for position, sid in enumerate(order, start=1):
        form += [("service", sid), ("position", str(position))]
        if sid != "complaint":
            form.append(("enabled", sid))
    return form


def test_prepare_gives_the_unsigned_configuration_to_sign(console: Console) -> None:
    operator = console.session(Role.OPERATOR)
    page = operator.get("/console/rollouts/prepare?source=example")
    assert page.status_code == 200
    assert 'value="newyear-2027"' in page.text and 'value="2026-12-25T00:00"' in page.text  # centre time
    assert 'name="idle_timeout_s" value="60"' in page.text
    order = ["loan", *[sid for sid in SERVICE_IDS if sid != "loan"]]
    response = operator.post(
        "/console/rollouts/prepare", data=[*_prepare_form(order=order), ("csrf_token", operator.csrf())]
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="config-v42.json"'
    config = RemoteConfig.model_validate(response.json())
    assert [entry.id for entry in config.services] == order
    assert config.enabled_services() == [sid for sid in order if sid != "complaint"]
    assert [(n.id, n.starts_at.isoformat()) for n in config.notices] == [
        ("exam-1", "2026-12-01T08:00:00+08:00")
    ]
    assert (config.session.idle_timeout_s, config.session.countdown_s) == (90, 15)
    slot = config.hours.default[0]
    assert slot.days == ["mon", "tue", "wed", "thu", "fri"] and str(slot.open) == "08:30:00"
    assert config.receipt.footer_lines == EXAMPLE["receipt"]["footer_lines"]  # the rest is the example's
    assert "config_prepared</td><td>v42</td><td>from example" in _audit(console)
    # It is what kiosk-admin sign takes: it signs without a complaint.
    sign_bundle(response.json(), version=42, target="all", key=load_private_key(console.signing_key))


def test_prepare_names_each_wrong_field_and_shows_the_text_escaped(console: Console) -> None:
    operator = console.session(Role.OPERATOR)
    prepared = _audit(console).count("config_prepared")
    form = _prepare_form(
        notices=[
            ("bad-times", XSS, "Notice", "2026-12-02T08:00", "2026-12-01T08:00"),
            ("no-end", "通知", "Notice", "2026-12-02T08:00", "tomorrow"),
        ],
        countdown_s="90",
    )
    response = operator.post("/console/rollouts/prepare", data=[*form, ("csrf_token", operator.csrf())])
    assert response.status_code == 400
    assert XSS not in response.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    errors = re.findall(r"<li>(.*?)</li>", response.text.split('role="alert"')[1].split("</ul>")[0])
    assert errors == ["notices.1.ends_at: not a date and time"]  # what could not be read comes first
    form = _prepare_form(
        notices=[("bad-times", XSS, "Notice", "2026-12-02T08:00", "2026-12-01T08:00")],
        idle_timeout_s="40",
        countdown_s="45",
    )
    response = operator.post("/console/rollouts/prepare", data=[*form, ("csrf_token", operator.csrf())])
    errors = re.findall(r"<li>(.*?)</li>", response.text.split('role="alert"')[1].split("</ul>")[0])
    assert response.status_code == 400 and len(errors) == 2
    assert errors[0].startswith("notices.0: Value error, notice bad-times: ends_at must be after starts_at")
    assert errors[1].startswith("session: Value error, countdown_s must be shorter than idle_timeout_s")
    assert _audit(console).count("config_prepared") == prepared  # nothing was made


def test_prepare_needs_an_operator_and_the_forms_token(console: Console) -> None:
    assert console.session(Role.VIEWER).get("/console/rollouts/prepare").status_code == 403
    assert console.session(None).get("/console/rollouts/prepare").status_code == 303
    operator = console.session(Role.OPERATOR)
    refused = operator.post("/console/rollouts/prepare", data=_prepare_form(version="77"))
    assert refused.status_code == 403 and "config-v77" not in refused.headers.get("content-disposition", "")
    assert "</td><td>v77</td>" not in _audit(console)


def test_prepare_starts_from_the_newest_bundle(console: Console) -> None:
    version = _published(console)
    page = console.session(Role.OPERATOR).get("/console/rollouts/prepare")
    assert f'<option value="{version}" selected>' in page.text
    assert f'name="version" value="{version + 1}"' in page.text


def test_every_word_of_the_rollouts_pages_has_its_chinese() -> None:
    templates = Path(rollouts.__file__).parent / "templates"
    texts = [
        text
        for path in templates.glob("rollouts_*.html")
        for text in re.findall(r"""t\(["']([^"']+)["']\)""", path.read_text())
    ]
    texts += re.findall(r'page\.t\("([^"]+)"\)', Path(rollouts.__file__).read_text())
    texts += [*rollouts.SERVICE_LABELS.values(), *rollouts.DAY_LABELS.values()]
    texts += ["running", "paused", "stopped", "complete"]
    assert texts and [text for text in texts if text not in ZH] == []
    assert all(WORDS[text] for text in texts if text in WORDS)


def test_a_prepare_form_not_from_the_page_is_refused(console: Console) -> None:
    operator = console.session(Role.OPERATOR)
    token = ("csrf_token", operator.csrf())
    eleven = [("n", "通知", "Notice", "2026-12-01T08:00", "2026-12-02T08:00")] * 11
    too_many = operator.post("/console/rollouts/prepare", data=[*_prepare_form(notices=eleven), token])
    assert too_many.status_code == 400 and "at most 10 items" in too_many.text  # FastAPI's own check
    missing_service = [field for field in _prepare_form() if field != ("service", "loan")]
    response = operator.post("/console/rollouts/prepare", data=[*missing_service, token])
    assert response.status_code == 400 and "表单内容不完整，请重新开始。" in response.text
