"""The sample reverse proxy (deploy/central/nginx/hpf-central.conf), run for real: Debian's nginx with the
sample's placeholders filled in (ports free on 127.0.0.1, certificates made here with `cryptography`, the
upstream a real centre in this process), in a throwaway prefix. Then, over TLS: the kiosks' listener lets in
a kiosk with a certificate from the kiosk CA and no one else, and passes on /v1/ alone; the public listener
passes on /verify and /console (the office network only) and nothing else; the centre is told the real
client's address and scheme; bodies over the centre's 1 MiB limit stop at nginx; TLS 1.1 is refused."""

from __future__ import annotations

import http.client
import json
import os
import shlex
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from central_server.app import create_app
from central_server.terminals import DEMO_TERMINALS
from central_server.testing import serve_in_thread
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralError, CentralUnavailable
from kiosk.central.sequence import SequenceCounter
from tests.deploy.unit_files import one

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "deploy" / "central" / "nginx" / "hpf-central.conf"
SERVICE = REPO / "deploy" / "central" / "systemd" / "hpf-central.service"
MIB = 1024 * 1024
OFFICE = "127.0.0.2"  # the console's allowed network, in the rendered sample; the other clients are 127.0.0.1
IS_ROOT = os.geteuid() == 0


# Certificates ---------------------------------------------------------------------------------------------


@dataclass
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        crt, key = directory / f"{name}.crt", directory / f"{name}.key"
        crt.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key.chmod(0o600)
        return crt, key


def _issue(
    name: str,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    usage: x509.ObjectIdentifier | None = None,
    san: list[x509.GeneralName] | None = None,
) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return Issued(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


@dataclass
class Tls:
    directory: Path
    ca: Path  # the kiosk CA, which also issued the server's certificate
    kiosk: tuple[Path, Path]
    stranger: tuple[Path, Path]  # a client certificate from another CA


def _make_tls(directory: Path) -> Tls:
    directory.mkdir()
    kiosk_ca = _issue("HPF centre kiosk CA (test)", ca=True)
    other_ca = _issue("Someone else's CA (test)", ca=True)
    server = _issue(
        "localhost",
        kiosk_ca,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        san=[x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))],
    )
    ca, _ = kiosk_ca.write(directory, "kiosk-ca")
    server.write(directory, "kiosk-server")
    server.write(directory, "public")
    kiosk = _issue("kiosk K0001", kiosk_ca, usage=ExtendedKeyUsageOID.CLIENT_AUTH).write(directory, "kiosk")
    stranger = _issue("kiosk K0001", other_ca, usage=ExtendedKeyUsageOID.CLIENT_AUTH).write(
        directory, "stranger"
    )
    return Tls(directory, ca, kiosk, stranger)


# The centre, with what it was sent recorded ---------------------------------------------------------------


@dataclass
class Seen:
    path: str
    client: tuple[str, int]
    headers: list[tuple[str, str]]

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


@dataclass
class Recorder:
    seen: list[Seen] = field(default_factory=list)

    def since(self, count: int) -> list[Seen]:
        return self.seen[count:]


class RecordRequests:
    """ASGI middleware: notes each request as the centre receives it, then passes it on."""

    def __init__(self, app: Any, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
            self.recorder.seen.append(Seen(scope["path"], tuple(scope["client"]), headers))
        await self.app(scope, receive, send)


# nginx ----------------------------------------------------------------------------------------------------


def _nginx() -> str:
    found = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    assert found, "nginx is missing: run deploy/install-system-packages.sh"
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def render(sample: str, *, kiosk_port: int, public_port: int, upstream_port: int, tls: Path) -> str:
    """The sample with every line marked PLACEHOLDER filled in; a new placeholder fails here until this
    test knows it."""
    replacements = {
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream_port};",
        "listen 8443 ssl;": f"listen 127.0.0.1:{kiosk_port} ssl;",
        "listen 443 ssl;": f"listen 127.0.0.1:{public_port} ssl;",
        "server_name centre.example.gov.cn;": "server_name localhost;",
        "server_name verify.example.gov.cn;": "server_name localhost;",
        "allow 10.20.0.0/16;": f"allow {OFFICE};",
        "/etc/nginx/hpf-central/": f"{tls}/",
    }
    lines = []
    for line in sample.splitlines():
        code, marker, _ = line.partition("# PLACEHOLDER")
        if marker:
            rendered = code
            for old, new in replacements.items():
                rendered = rendered.replace(old, new)
            assert rendered != code, f"a placeholder this test does not fill in: {line.strip()}"
            line = rendered.rstrip()
        lines.append(line)
    text = "\n".join(lines) + "\n"
    in_force = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in in_force if "/etc/" in line], "a path outside the placeholders"
    return text


@dataclass
class Proxy:
    prefix: Path
    kiosk_port: int
    public_port: int
    tls: Tls
    recorder: Recorder
    command: list[str]

    def log(self) -> str:
        log = self.prefix / "error.log"
        return log.read_text(errors="replace") if log.exists() else "(no error.log)"


def _main_config(prefix: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives the sample (an http block that includes it), with every
    path inside the prefix so that neither root nor another user needs /var/lib/nginx or /var/log/nginx."""
    temp = "".join(
        f"    {kind}_temp_path {prefix}/temp/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        ("user nobody nogroup;\n" if IS_ROOT else "")
        + "worker_processes 1;\n"
        + "events { worker_connections 128; }\n"
        + "http {\n"
        + f"    access_log {prefix}/access.log;\n"
        + temp
        + f"    include {prefix}/conf.d/hpf-central.conf;\n"
        + "}\n"
    )


@pytest.fixture(scope="module")
def proxy() -> Iterator[Proxy]:
    nginx = _nginx()
    prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
    prefix.chmod(0o755)  # nginx's workers run as nobody when the tests run as root
    recorder = Recorder()
    app = create_app(demo=True)
    app.add_middleware(RecordRequests, recorder=recorder)
    centre = serve_in_thread(app)
    process: subprocess.Popen[bytes] | None = None
    try:
        tls = _make_tls(prefix / "tls")
        (prefix / "conf.d").mkdir()
        (prefix / "temp").mkdir()
        kiosk_port, public_port = _free_port(), _free_port()
        (prefix / "conf.d" / "hpf-central.conf").write_text(
            render(
                SAMPLE.read_text(encoding="utf-8"),
                kiosk_port=kiosk_port,
                public_port=public_port,
                upstream_port=int(centre.base_url.rsplit(":", 1)[1]),
                tls=tls.directory,
            )
        )
        (prefix / "nginx.conf").write_text(_main_config(prefix))
        command = [
            nginx, "-p", f"{prefix}/", "-c", f"{prefix}/nginx.conf",
            "-g", f"daemon off; pid {prefix}/nginx.pid; error_log {prefix}/error.log;",
        ]  # fmt: skip
        running = Proxy(prefix, kiosk_port, public_port, tls, recorder, command)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        for port in (kiosk_port, public_port):
            while True:
                if process.poll() is not None:
                    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                    raise AssertionError(f"nginx exited ({process.returncode}): {stderr}\n{running.log()}")
                assert time.monotonic() < deadline, f"nginx is not listening on {port}:\n{running.log()}"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
        yield running
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        centre.stop()
        shutil.rmtree(prefix, ignore_errors=True)


# Clients --------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def from_nginx(self) -> bool:
        return b"<center>nginx</center>" in self.body


def request(
    proxy: Proxy,
    port: int,
    path: str,
    *,
    cert: tuple[Path, Path] | None = None,
    source: str = "127.0.0.1",
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    context = ssl.create_default_context(cafile=str(proxy.tls.ca))
    if cert:
        context.load_cert_chain(*cert)
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, context=context, timeout=10, source_address=(source, 0)
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def kiosk(proxy: Proxy, path: str, **options: Any) -> Answer:
    return request(proxy, proxy.kiosk_port, path, cert=proxy.tls.kiosk, **options)


def public(proxy: Proxy, path: str, **options: Any) -> Answer:
    return request(proxy, proxy.public_port, path, **options)


# Tests ----------------------------------------------------------------------------------------------------


def test_nginx_accepts_the_rendered_sample(proxy: Proxy) -> None:
    command = [*proxy.command[:-1], proxy.command[-1].replace("daemon off; ", "")]
    tested = subprocess.run([command[0], "-t", *command[1:]], capture_output=True, text=True, timeout=30)
    assert tested.returncode == 0, tested.stderr
    assert "test is successful" in tested.stderr


def test_the_upstream_is_where_the_unit_has_the_centre_listen() -> None:
    serve = shlex.split(one(SERVICE, "Service", "ExecStart"))
    address = f"{serve[serve.index('--host') + 1]}:{serve[serve.index('--port') + 1]}"
    assert f"server {address};" in SAMPLE.read_text(encoding="utf-8")


def test_a_kiosk_without_a_certificate_is_refused_by_nginx(proxy: Proxy) -> None:
    count = len(proxy.recorder.seen)
    answer = request(proxy, proxy.kiosk_port, "/v1/health")
    assert answer.status == 400 and b"No required SSL certificate was sent" in answer.body
    assert proxy.recorder.since(count) == []


def test_a_certificate_from_another_ca_is_refused_by_nginx(proxy: Proxy) -> None:
    count = len(proxy.recorder.seen)
    answer = request(proxy, proxy.kiosk_port, "/v1/health", cert=proxy.tls.stranger)
    assert answer.status == 400 and b"The SSL certificate error" in answer.body
    assert proxy.recorder.since(count) == []


def test_a_kiosk_with_its_certificate_reaches_the_centre_which_sees_its_address(proxy: Proxy) -> None:
    count = len(proxy.recorder.seen)
    # A client's own X-Forwarded-For and X-Forwarded-Proto are replaced, never passed on or appended to.
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"}
    answer = kiosk(proxy, "/v1/health", headers=forged)
    assert answer.status == 200, answer.body
    envelope = json.loads(answer.body)  # the centre's health envelope
    assert (envelope["code"], sorted(envelope["data"])) == ("ok", ["server_time", "version"]), envelope
    (seen,) = proxy.recorder.since(count)
    assert seen.path == "/v1/health"
    assert seen.header("x-forwarded-for") == ["127.0.0.1"]
    assert seen.header("x-forwarded-proto") == ["https"]
    assert seen.header("host") == ["127.0.0.1"]


def test_the_kiosks_own_client_signs_in_through_the_proxy_with_its_certificate(
    proxy: Proxy, tmp_path: Path
) -> None:
    # The kiosk as docs/deployment.md configures it: [central] base_url on the kiosk listener, ca_file the
    # kiosk CA (which issued the server's certificate), client_cert and client_key its own.
    terminal_id, secret = next(iter(DEMO_TERMINALS.items()))

    def client(cert: tuple[str, str] | None) -> CentralClient:
        return CentralClient(
            f"https://localhost:{proxy.kiosk_port}",
            terminal_id=terminal_id,
            centre_id="00012000",
            secret=secret,
            sequence=SequenceCounter(tmp_path / f"sequence-{cert is not None}"),
            verify=str(proxy.tls.ca),
            cert=cert,
        )

    kiosk_client = client((str(proxy.tls.kiosk[0]), str(proxy.tls.kiosk[1])))
    try:
        kiosk_client.authenticate_terminal()
        assert kiosk_client.demo_cards(), "an authenticated call came back with the centre's data"
    finally:
        kiosk_client.close()
    without = client(None)
    try:
        with pytest.raises((CentralUnavailable, CentralError)):
            without.authenticate_terminal()
    finally:
        without.close()


def test_connections_to_the_centre_are_kept_alive(proxy: Proxy) -> None:
    count = len(proxy.recorder.seen)
    for _ in range(3):
        assert kiosk(proxy, "/v1/health").status == 200
    # Three requests from three client connections, one connection from nginx to the centre.
    assert len({seen.client for seen in proxy.recorder.since(count)}) == 1


def test_the_kiosks_listener_passes_on_the_kiosk_api_alone(proxy: Proxy) -> None:
    count = len(proxy.recorder.seen)
    for path in ("/verify/ABCD", "/console", "/", "/docs"):
        answer = kiosk(proxy, path)
        assert (answer.status, answer.from_nginx) == (404, True), path
    assert proxy.recorder.since(count) == []


def test_a_body_over_the_centres_limit_stops_at_nginx(proxy: Proxy) -> None:
    count = len(proxy.recorder.seen)
    at_limit = kiosk(proxy, "/v1/health", method="POST", body=b"x" * MIB)
    assert not at_limit.from_nginx  # passed on: the centre answers (its health is GET only)
    assert len(proxy.recorder.since(count)) == 1
    # Refused on the length it announces, before any of the body is sent.
    context = ssl.create_default_context(cafile=str(proxy.tls.ca))
    context.load_cert_chain(*proxy.tls.kiosk)
    connection = http.client.HTTPSConnection("127.0.0.1", proxy.kiosk_port, context=context, timeout=10)
    try:
        connection.putrequest("POST", "/v1/health")
        connection.putheader("Content-Length", str(MIB + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413 and b"<center>nginx</center>" in response.read()
    finally:
        connection.close()
    assert len(proxy.recorder.since(count)) == 1


def test_the_public_reach_the_certificate_check_page(proxy: Proxy) -> None:
    count = len(proxy.recorder.seen)
    for path in ("/verify/ABCD-EFGH-JKMN-PQRS", "/verify?code=ABCD"):
        answer = public(proxy, path, headers={"X-Forwarded-For": "203.0.113.9"})
        assert not answer.from_nginx, path
        # The centre's page, whatever it says of the code (its own headers are on it).
        assert "content-security-policy" in answer.headers, path
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
    seen = proxy.recorder.since(count)
    assert [s.path for s in seen] == ["/verify/ABCD-EFGH-JKMN-PQRS", "/verify"]
    assert {tuple(s.header("x-forwarded-for")) for s in seen} == {("127.0.0.1",)}
    assert {tuple(s.header("x-forwarded-proto")) for s in seen} == {("https",)}


def test_the_public_listener_passes_on_nothing_else(proxy: Proxy) -> None:
    count = len(proxy.recorder.seen)
    for path in ("/v1/health", "/", "/docs", "/openapi.json", "/v1/demo/cards"):
        answer = public(proxy, path)
        assert (answer.status, answer.from_nginx) == (404, True), path
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
    assert proxy.recorder.since(count) == []


def test_the_console_is_for_the_office_network_alone(proxy: Proxy) -> None:
    count = len(proxy.recorder.seen)
    outside = public(proxy, "/console/login")
    assert (outside.status, outside.from_nginx) == (403, True)
    assert proxy.recorder.since(count) == []
    office = public(proxy, "/console/login", source=OFFICE)
    assert not office.from_nginx and office.status == 200
    (seen,) = proxy.recorder.since(count)
    assert seen.path == "/console/login" and seen.header("x-forwarded-for") == [OFFICE]


def _handshake(proxy: Proxy, port: int, version: ssl.TLSVersion) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(proxy.tls.ca)
    # Debian's OpenSSL offers nothing older than TLS 1.2 at its default security level.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = context.maximum_version = version
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert (
            tls.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
        )


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
@pytest.mark.parametrize("listener", ["kiosk", "public"])
def test_tls_1_1_is_refused_and_1_2_and_1_3_are_spoken(proxy: Proxy, listener: str) -> None:
    port = proxy.kiosk_port if listener == "kiosk" else proxy.public_port
    with pytest.raises(ssl.SSLError) as refused:
        _handshake(proxy, port, ssl.TLSVersion.TLSv1_1)
    # The server's alert, not a client that could not offer TLS 1.1.
    assert refused.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION", refused.value
    _handshake(proxy, port, ssl.TLSVersion.TLSv1_2)
    _handshake(proxy, port, ssl.TLSVersion.TLSv1_3)
