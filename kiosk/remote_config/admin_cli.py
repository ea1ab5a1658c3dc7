"""`kiosk-admin`: the operators' command — keys, signing, publishing, rollouts, the fleet.

    kiosk-admin keygen --out DIR
    kiosk-admin sign FILE --key KEY --version N [--target all|group:NAME|kiosk:ID] [--expires-in DAYS]
                     --out BUNDLE
    kiosk-admin publish BUNDLE --central URL [--stages g1,g2,...] [--max-failures N]
    kiosk-admin rollout status --central URL
    kiosk-admin fleet --central URL
    kiosk-admin alerts [--open] [--rule RULE] [--json] --central URL
    kiosk-admin alerts ack ID --note TEXT [--by NAME] --central URL
    kiosk-admin scorecard --central URL [--kiosk K] [--hall H] [--service S] [--from D --to D]
                     [--period day|week|month] [--json]
    kiosk-admin cases [--open | --overdue] [--json] --central URL
    kiosk-admin cases assign|note|callback|close ID TEXT --central URL
    kiosk-admin audit [--kiosk K] [--from D --to D] [--limit N] [--json] --central URL
    kiosk-admin staff-hash

The operator token for publish/rollout/fleet comes from --token or the KIOSK_ADMIN_TOKEN variable.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from kiosk.pin_hash import hash_pin
from kiosk.remote_config.bundle import (
    DEFAULT_VALIDITY_DAYS,
    MAX_VALIDITY_DAYS,
    OperatorKeyFileError,
    generate_keypair,
    load_private_key,
    sign_bundle,
)

EXIT_USAGE = 2
CENTRE_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class AdminError(Exception):
    """One line for the operator."""


def _token(args: argparse.Namespace) -> str:
    token = args.token or os.environ.get("KIOSK_ADMIN_TOKEN")
    if not token:
        raise AdminError("no operator token: pass --token or set KIOSK_ADMIN_TOKEN")
    return token


def _call(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    import requests

    try:
        response = requests.request(
            method, url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=15
        )
        envelope = response.json()
    except requests.RequestException as exc:
        raise AdminError(f"{url}: unreachable ({type(exc).__name__})") from None
    except ValueError:
        raise AdminError(f"{url}: HTTP {response.status_code}, not the central API") from None
    if envelope.get("code") != "ok":
        raise AdminError(f"{url}: refused ({envelope.get('code')}): {envelope.get('message')}")
    return envelope["data"]


def cmd_keygen(args: argparse.Namespace) -> int:
    key, pub = generate_keypair(args.out, args.name)
    print(f"private key: {key} (keep it offline; mode 0600)")
    print(f"public key:  {pub} (pin it in each kiosk's settings: remote.operator_keys)")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    try:
        config = json.loads(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AdminError(f"{args.file}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise AdminError(f"{args.file}: not valid JSON ({exc})") from None
    key = load_private_key(args.key)
    try:
        bundle = sign_bundle(
            config,
            version=args.version,
            target=args.target,
            key=key,
            expires_in=timedelta(days=args.expires_in),
        )
    except ValueError as exc:
        raise AdminError(f"{args.file}: {exc}") from None
    args.out.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"signed version {args.version} for {args.target}, valid until {bundle['expires_at']}: {args.out}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    try:
        bundle = json.loads(args.bundle.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AdminError(f"{args.bundle}: not a readable bundle ({exc})") from None
    stages = [stage.strip() for stage in args.stages.split(",") if stage.strip()] if args.stages else None
    body = {"bundle": bundle, "stages": stages, "max_failures": args.max_failures}
    data = _call("POST", f"{args.central.rstrip('/')}/v1/admin/bundles", _token(args), body)
    plan = " → ".join(data["stages"]) if data["stages"] else "all targeted kiosks at once"
    print(f"published version {data['version']} for {data['target']}: {plan}")
    return 0


def _when(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def cmd_rollout_status(args: argparse.Namespace) -> int:
    rows = _call("GET", f"{args.central.rstrip('/')}/v1/admin/rollouts", _token(args))
    if not rows:
        print("no bundles published")
    for row in rows:
        stages = row["stages"]
        where = (
            f"stage {row['stage_index'] + 1}/{len(stages)} ({stages[row['stage_index']]})"
            if stages
            else "no stages"
        )
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(row["outcomes"].items())) or "no reports yet"
        line = f"v{row['version']}  {row['target']}  {row['state']}  {where}  failures {row['failures']}/"
        print(line + f"{row['max_failures']} allowed  [{outcomes}]")
        if row["stopped_reason"]:
            print(f"    stopped: {row['stopped_reason']}")
        if row["waiting_for"]:
            print(f"    waiting for: {', '.join(row['waiting_for'])}")
    return 0


def cmd_fleet(args: argparse.Namespace) -> int:
    rows = _call("GET", f"{args.central.rstrip('/')}/v1/admin/fleet", _token(args))
    if not rows:
        print("the centre has no kiosks on record")
    for row in rows:
        beat = row["heartbeat"]
        if beat is None:
            print(f"{row['terminal_id']}  group {row['group']}  no heartbeat yet")
            continue
        devices = ", ".join(f"{name} {d['state']}" for name, d in sorted(beat["devices"].items())) or "-"
        outbox = beat.get("outbox") or {}
        report = row["last_report"]
        last = f"v{report['version']} {report['outcome']}" if report else "-"
        print(
            f"{row['terminal_id']}  group {row['group']}  seen {_when(row['last_seen'])}  "
            f"app {beat['app_version']}  config v{beat['config_version']} (last report: {last})  "
            f"service {_service(beat)}  "
            f"{beat['connectivity']}  devices: {devices}  outbox {outbox.get('depth', '-')}"
            + (f"  last error: {beat['last_error']}" if beat.get("last_error") else "")
        )
    return 0


def _service(beat: dict[str, Any]) -> str:
    """`in`, or `out (reason)` with the time it went out. A heartbeat from before kiosks reported it has no
    `in_service`: such a kiosk had no way to be out of service."""
    if beat.get("in_service", True):
        return "in"
    since = beat.get("out_of_service_since")
    return f"out ({beat.get('out_of_service_reason') or 'no reason given'}" + (
        f" since {_centre_time(since)})" if since else ")"
    )


def _centre_time(instant: str) -> str:
    # The centre answers instants in UTC; operators read the centre's clock (UTC+8, no daylight saving).
    return datetime.fromisoformat(instant).astimezone(CENTRE_TZ).strftime("%Y-%m-%d %H:%M")


def _evidence(evidence: dict[str, Any]) -> str:
    return ", ".join(
        f"{key} {', '.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in sorted(evidence.items())
    )


def cmd_alerts(args: argparse.Namespace) -> int:
    if not args.central:
        raise AdminError("alerts: pass --central URL, the central's base URL")
    query = {"state": "open" if args.open else "all", **({"rule": args.rule} if args.rule else {})}
    url = f"{args.central.rstrip('/')}/v1/admin/alerts?{urlencode(query)}"
    rows = _call("GET", url, _token(args))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no open alerts" if args.open else "no alerts")
    for row in rows:
        state = "open" if row["acknowledged_at"] is None else "acknowledged"
        print(
            f"#{row['id']}  {row['severity']}  {row['rule']}  {row['subject']}  {state}  "
            f"seen {row['count']}x {_centre_time(row['first_seen'])} – {_centre_time(row['last_seen'])}"
        )
        print(f"    {_evidence(row['evidence'])}")
        if row["acknowledged_at"] is not None:
            print(
                f"    acknowledged by {row['acknowledged_by']} at {_centre_time(row['acknowledged_at'])}: "
                f"{row['note']}"
            )
    return 0


def cmd_alerts_ack(args: argparse.Namespace) -> int:
    by = args.by or os.environ.get("USER") or os.environ.get("LOGNAME")
    if not by:
        raise AdminError("alerts ack: pass --by NAME, who looked into the alert")
    url = f"{args.central.rstrip('/')}/v1/admin/alerts/{args.id}/ack"
    row = _call("POST", url, _token(args), {"by": by, "note": args.note})
    print(f"alert #{row['id']} ({row['rule']}, {row['subject']}) acknowledged by {row['acknowledged_by']}")
    return 0


def _delay(row: dict[str, Any]) -> str:
    delay = row["outbox_delay"]
    return f"{_figure(delay['median_s'])}/{_figure(delay['p90_s'])}"


_SCORECARD_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], object]], ...] = (
    ("visits", lambda r: r["visits"]),
    ("sign-ins", lambda r: r["sign_ins"]),
    ("done %", lambda r: _percent(r["completion_rate"])),
    ("abandoned", lambda r: r["services_abandoned"]),
    ("satisf.", lambda r: _figure(r["satisfaction"]["index"])),
    ("ratings", lambda r: r["satisfaction"]["ratings"]),
    ("compl./1000", lambda r: _figure(r["complaint_rate_per_1000_visits"])),
    ("dev. min", lambda r: r["device_failure_minutes"]),
    ("net. min", lambda r: r["network_failure_minutes"]),
    ("delay p50/p90 s", _delay),
    ("callback %", lambda r: _percent(r["follow_up"]["callback_timeliness"])),
    ("resolved %", lambda r: _percent(r["follow_up"]["resolution_timeliness"])),
)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}"


def cmd_scorecard(args: argparse.Namespace) -> int:
    query = {
        name: value
        for name, value in (
            ("from", args.from_),
            ("to", args.to),
            ("kiosk", args.kiosk),
            ("hall", args.hall),
            ("service", args.service),
            ("period", args.period),
        )
        if value is not None
    }
    data = _call("GET", f"{args.central.rstrip('/')}/v1/admin/scorecard?{urlencode(query)}", _token(args))
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    scope = ", ".join(f"{name} {data[name]}" for name in ("kiosk", "hall", "service") if data[name]) or "all"
    print(f"scorecard {data['from']} to {data['to']} by {data['period']} ({scope})")
    table = [["period", *(title for title, _ in _SCORECARD_COLUMNS)]]
    for row in [*data["rows"], data["total"]]:
        table.append([row["period_start"] or "total", *(str(cell(row)) for _, cell in _SCORECARD_COLUMNS)])
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
    for service, times in data["total"]["time_per_service"].items():
        print(
            f"  {service}: {times['completed']} completed, median {times['median_ms']} ms, "
            f"p90 {times['p90_ms']} ms"
        )
    steps = data["total"]["abandonment_by_step"]
    if steps:
        print("  abandoned at: " + ", ".join(f"{step} {count}" for step, count in steps.items()))
    return 0


def _central(args: argparse.Namespace) -> str:
    if not args.central:
        raise AdminError(f"{args.command}: pass --central URL, the central's base URL")
    central: str = args.central.rstrip("/")
    return central


def cmd_cases(args: argparse.Namespace) -> int:
    state = "overdue" if args.overdue else "open" if args.open else "all"
    rows = _call("GET", f"{_central(args)}/v1/admin/cases?state={state}", _token(args))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no follow-up cases" if state == "all" else f"no {state} follow-up cases")
    for row in rows:
        _print_case(row)
    return 0


def _print_case(row: dict[str, Any]) -> None:
    reasons = ",".join(row["reasons"]) or "-"
    print(
        f"#{row['id']}  {row['state']}  score {row['score']} ({reasons})  {row['service']} at "
        f"{row['terminal_id']}  case {row['case_ref']}  callback by {_centre_time(row['callback_due'])}  "
        f"resolve by {_centre_time(row['resolve_due'])}  phone {row['callback_phone'] or '-'}  "
        f"assignee {row['assignee'] or '-'}"
    )


# action → (the centre's path, the body's field)
_CASE_ACTIONS = {
    "assign": ("assign", "assignee"),
    "note": ("notes", "text"),
    "callback": ("callback", "text"),
    "close": ("close", "resolution"),
}


def cmd_case_action(args: argparse.Namespace) -> int:
    path, field = _CASE_ACTIONS[args.action]
    url = f"{_central(args)}/v1/admin/cases/{args.case_id}/{path}"
    _print_case(_call("POST", url, _token(args), {field: args.text}))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    query = {
        name: value
        for name, value in (
            ("terminal", args.kiosk),
            ("from", args.from_),
            ("to", args.to),
            ("limit", args.limit),
        )
        if value is not None
    }
    rows = _call("GET", f"{_central(args)}/v1/admin/staff-audit?{urlencode(query)}", _token(args))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no staff audit events")
    for row in rows:
        seconds = datetime.fromisoformat(row["at"]).astimezone(CENTRE_TZ).strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{seconds}  {row['terminal_id']}  staff {row['staff_id']}  {row['action']}  "
            f"{row['outcome'] or '-'}  {row['target'] or '-'}"
        )
    return 0


STAFF_PIN_DIGITS = 6


def cmd_staff_hash(args: argparse.Namespace) -> int:
    # getpass reads from the terminal without echo: a PIN never goes on the command line or into a file.
    pin = getpass.getpass("staff PIN (6 digits): ")
    if len(pin) != STAFF_PIN_DIGITS or not pin.isascii() or not pin.isdigit():
        raise AdminError(f"staff-hash: a staff PIN is exactly {STAFF_PIN_DIGITS} digits 0-9; nothing printed")
    if getpass.getpass("the same PIN again: ") != pin:
        raise AdminError("staff-hash: the two PINs differ; nothing printed")
    print(f'pin_hash = "{hash_pin(pin)}"')
    return 0


def _day(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {value!r}") from None


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not value.isdigit() or not low <= int(value) <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {value!r}")
        return int(value)

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-admin", description="operators' tool for the kiosk fleet")
    commands = parser.add_subparsers(dest="command", required=True)

    keygen = commands.add_parser("keygen", help="make an operator signing key pair")
    keygen.add_argument("--out", type=Path, required=True)
    keygen.add_argument("--name", default="operator")
    keygen.set_defaults(func=cmd_keygen)

    sign = commands.add_parser("sign", help="sign a configuration file into a bundle")
    sign.add_argument("file", type=Path)
    sign.add_argument("--key", type=Path, required=True)
    sign.add_argument("--version", type=int, required=True)
    sign.add_argument("--target", default="all")
    sign.add_argument(
        "--expires-in",
        type=_int_between(1, MAX_VALIDITY_DAYS),
        default=DEFAULT_VALIDITY_DAYS,
        metavar="DAYS",
        help=f"kiosks refuse the bundle after this many days (default {DEFAULT_VALIDITY_DAYS})",
    )
    sign.add_argument("--out", type=Path, required=True)
    sign.set_defaults(func=cmd_sign)

    def central(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--central", required=True, help="the central's base URL")
        sub.add_argument("--token", help="operator token (default: $KIOSK_ADMIN_TOKEN)")

    publish = commands.add_parser("publish", help="publish a signed bundle")
    publish.add_argument("bundle", type=Path)
    publish.add_argument("--stages", help="groups in rollout order, comma separated")
    publish.add_argument(
        "--max-failures", type=int, default=0, help="kiosks that may refuse or roll back before it stops"
    )
    central(publish)
    publish.set_defaults(func=cmd_publish)

    rollout = commands.add_parser("rollout", help="rollouts")
    rollout_commands = rollout.add_subparsers(dest="rollout_command", required=True)
    status = rollout_commands.add_parser("status", help="where each rollout stands")
    central(status)
    status.set_defaults(func=cmd_rollout_status)

    fleet = commands.add_parser("fleet", help="every kiosk's latest heartbeat")
    central(fleet)
    fleet.set_defaults(func=cmd_fleet)

    alerts = commands.add_parser("alerts", help="suspicious-activity alerts (docs/alerts.md)")
    alerts.add_argument("--open", action="store_true", help="only alerts not yet acknowledged")
    alerts.add_argument("--rule", help="only this rule's alerts, e.g. kiosk_sign_in_failures")
    alerts.add_argument("--json", action="store_true", help="the centre's answer as JSON")
    # Not required here: `alerts ack` takes its own --central after its arguments.
    alerts.add_argument("--central", help="the central's base URL")
    alerts.add_argument("--token", help="operator token (default: $KIOSK_ADMIN_TOKEN)")
    alerts.set_defaults(func=cmd_alerts)
    alert_commands = alerts.add_subparsers(dest="alerts_command")
    ack = alert_commands.add_parser("ack", help="acknowledge an alert with a note")
    ack.add_argument("id", type=_int_between(1, 2**63 - 1))
    ack.add_argument("--note", required=True, help="what was found or done")
    ack.add_argument("--by", help="who looked into it (default: your login, $USER)")
    central(ack)
    ack.set_defaults(func=cmd_alerts_ack)

    card = commands.add_parser("scorecard", help="the service-quality scorecard (docs/scorecard.md)")
    card.add_argument("--from", dest="from_", type=_day, metavar="YYYY-MM-DD", help="first day (centre time)")
    card.add_argument("--to", type=_day, metavar="YYYY-MM-DD", help="last day (default today)")
    card.add_argument("--kiosk")
    card.add_argument("--hall")
    card.add_argument("--service")
    card.add_argument("--period", choices=("day", "week", "month"))
    card.add_argument("--json", action="store_true", help="the centre's answer as JSON")
    central(card)
    card.set_defaults(func=cmd_scorecard)

    cases = commands.add_parser("cases", help="follow-up cases of bad ratings (差评整改)")
    which = cases.add_mutually_exclusive_group()
    which.add_argument("--open", action="store_true", help="cases not closed")
    which.add_argument("--overdue", action="store_true", help="cases past a deadline")
    cases.add_argument("--json", action="store_true", help="the centre's answer as JSON")
    # Not required here: each action takes its own --central after its arguments.
    cases.add_argument("--central", help="the central's base URL")
    cases.add_argument("--token", help="operator token (default: $KIOSK_ADMIN_TOKEN)")
    cases.set_defaults(func=cmd_cases)
    case_actions = cases.add_subparsers(dest="action")
    for action, text in (
        ("assign", "the staff id to assign it to"),
        ("note", "the note"),
        ("callback", "what the call found"),
        ("close", "the resolution"),
    ):
        sub = case_actions.add_parser(action, help=f"{action} a case")
        sub.add_argument("case_id", type=_int_between(1, 2**63 - 1), metavar="ID")
        sub.add_argument("text", help=text)
        central(sub)
        sub.set_defaults(func=cmd_case_action)

    audit = commands.add_parser("audit", help="what hall staff did at the kiosks (docs/staff.md)")
    audit.add_argument("--kiosk", help="only this kiosk's events")
    audit.add_argument(
        "--from", dest="from_", type=_day, metavar="YYYY-MM-DD", help="first day (centre time)"
    )
    audit.add_argument("--to", type=_day, metavar="YYYY-MM-DD", help="last day (default today)")
    audit.add_argument(
        "--limit", type=_int_between(1, 1000), help="at most this many, newest first (default 200)"
    )
    audit.add_argument("--json", action="store_true", help="the centre's answer as JSON")
    central(audit)
    audit.set_defaults(func=cmd_audit)

    staff_hash = commands.add_parser(
        "staff-hash", help="hash a staff PIN (asked twice, not echoed) for the centre's --staff file"
    )
    staff_hash.set_defaults(func=cmd_staff_hash)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (AdminError, OperatorKeyFileError) as exc:
        print(f"kiosk-admin: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, OperatorKeyFileError) else 1


if __name__ == "__main__":
    sys.exit(main())
