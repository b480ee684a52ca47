"""emulator - the local AWS that the integration tests and `make demo` use.

moto runs in this process (ThreadedMotoServer, plain HTTP on 127.0.0.1) and
awsproxy.AWSProxy terminates TLS in front of it with a self-signed
certificate made at start-up, so mlstack talks HTTPS with verification on,
exactly as it does to AWS:

    emu = Emulator().start()
    env = emu.client_env(home=tmpdir)   # environment for the mlstack binary
    emu.reset()                         # empty every service, plain proxy
    emu.stop()

The credentials are fake and easy to spot, so a test can tell when one of
them leaks into output, state or plans.
"""

import datetime
import ipaddress
import logging
import os
import shutil
import tempfile
import urllib.request

# moto reads this when it builds its IAM backend; without it, attaching an
# AWS managed policy (AmazonSageMakerFullAccess) fails with NoSuchEntity.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

from awsproxy import AWSProxy  # noqa: E402
import moto_autoscaling  # noqa: E402
import moto_ec2  # noqa: E402
import moto_iam  # noqa: E402
import moto_lambda  # noqa: E402
import moto_s3  # noqa: E402
import moto_sagemaker  # noqa: E402
import moto_tagging  # noqa: E402

ACCESS_KEY_ID = "AKIDMLSTACKTEST"
SECRET_ACCESS_KEY = "mlstackTestSecretKey/DoNotLeak0000000000000"
SESSION_TOKEN = "mlstackTestSessionTokenDoNotLeak"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"

# Strings that must never appear in mlstack's output, state or plans.
SECRETS = (SECRET_ACCESS_KEY, SESSION_TOKEN)


def make_certificate(directory):
    """Write a self-signed certificate for 127.0.0.1 and localhost, valid
    for one day, to directory; return (certfile, keyfile)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mlstack tests"),
    ])
    now = datetime.datetime.now(datetime.timezone.utc)
    pub = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.DNSName("localhost"),
        ]), critical=False)
        # Its own trust anchor: a CA that may sign itself, and a server.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                       critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=False,
            content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(pub),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile = os.path.join(directory, "cert.pem")
    keyfile = os.path.join(directory, "key.pem")
    with open(keyfile, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(keyfile, 0o600)
    with open(certfile, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return certfile, keyfile


class Emulator:
    """moto on plain HTTP plus the TLS proxy in front of it."""

    def __init__(self):
        self.tmpdir = None
        self.moto = None
        self.proxy = None
        self.ca_bundle = None
        self.moto_url = None

    def start(self):
        from moto.server import ThreadedMotoServer

        # One line per request from Werkzeug would drown the test output.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # SageMaker with AWS's intermediate states and checks (see
        # docs/testing.md, "Emulator extensions").
        moto_sagemaker.install()
        moto_autoscaling.install()
        moto_lambda.install()
        moto_iam.install()
        moto_ec2.install()
        moto_tagging.install()
        moto_s3.install()
        self.tmpdir = tempfile.mkdtemp(prefix="mlstack-emulator-")
        try:
            self.ca_bundle, keyfile = make_certificate(self.tmpdir)
            self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0,
                                           verbose=False)
            self.moto.start()
            host, port = self.moto.get_host_and_port()
            self.moto_url = f"http://{host}:{port}"
            self.proxy = AWSProxy(host, port, self.ca_bundle, keyfile).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if self.proxy:
            self.proxy.stop()
            self.proxy = None
        if self.moto:
            self.moto.stop()
            self.moto = None
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def endpoint_url(self):
        """What mlstack is given: the proxy, over HTTPS."""
        return self.proxy.url

    def reset(self):
        """Empty every service in moto and clear the proxy's hooks, latency
        and records. Requests still on their way through the proxy are let
        through first, so that none lands after the reset."""
        self.proxy.latency = 0.0
        if not self.proxy.wait_idle(60):
            raise RuntimeError("awsproxy: requests still in flight after 60s")
        req = urllib.request.Request(self.moto_url + "/moto-api/reset",
                                     method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=60) as resp:
            resp.read()
        self.proxy.reset()

    def client_env(self, home, extra=None):
        """The whole environment for the mlstack binary: fake credentials,
        the proxy as endpoint, HOME pointing at home so that no real
        ~/.aws or ~/.gitconfig is read. Nothing else is inherited from the
        caller's environment but PATH, TMPDIR, locale and sanitizer
        options."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_SESSION_TOKEN": SESSION_TOKEN,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_CA_BUNDLE": self.ca_bundle,
            "MLSTACK_RETRY_BASE": "0.01",
            "NO_COLOR": "1",
        }
        for name in ("TMPDIR", "LANG", "LC_ALL", "ASAN_OPTIONS",
                     "UBSAN_OPTIONS", "LSAN_OPTIONS", "ASAN_SYMBOLIZER_PATH"):
            if name in os.environ:
                env[name] = os.environ[name]
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        if extra:
            env.update(extra)
        return env

    def boto3_session(self):
        import boto3

        return boto3.session.Session(
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            aws_session_token=SESSION_TOKEN,
            region_name=REGION)

    def client(self, service, via_proxy=False):
        """A boto3 client for service, straight to moto (or through the
        proxy, over HTTPS with the test CA). Clients straight to moto are
        made once per emulator and reused: making one loads the service's
        model, about half a second each."""
        from botocore.config import Config

        config = Config(s3={"addressing_style": "path"},
                        retries={"max_attempts": 2, "mode": "standard"})
        if via_proxy:
            return self.boto3_session().client(
                service, endpoint_url=self.endpoint_url,
                verify=self.ca_bundle, config=config)
        cache = self.__dict__.setdefault("_clients", {})
        key = (service, self.moto_url)
        if key not in cache:
            cache[key] = self.boto3_session().client(
                service, endpoint_url=self.moto_url, config=config)
        return cache[key]
