"""A real S3-compatible server on loopback for tests: moto's server mode, in a thread of the test process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

# Fake credentials: moto accepts any, and boto3 must find some (the store reads them from the environment only).
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "migdigest-test",
    "AWS_SECRET_ACCESS_KEY": "migdigest-test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class MotoServer:
    """A running moto server: its address, and the environment a process needs to use it."""

    endpoint_url: str
    env: dict[str, str] = field(default_factory=dict)  # credentials + MIGDIGEST_STORE_ENDPOINT_URL, for children

    def new_bucket(self) -> str:
        """Create an empty bucket with a fresh name; returns the name."""
        import boto3

        name = f"migdigest-{uuid.uuid4().hex[:12]}"
        client = boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1")
        client.create_bucket(Bucket=name)
        client.close()
        return name

    def store_url(self, prefix: str = "digest") -> str:
        """The URL of a fresh, empty store (a new bucket) on this server."""
        return f"s3://{self.new_bucket()}/{prefix}"


@contextmanager
def running_moto() -> Iterator[MotoServer]:
    """Start moto's server on 127.0.0.1 on a free port, with test credentials in os.environ; stop it after."""
    from moto.server import ThreadedMotoServer

    from migdigest.objectstore import ENV_ENDPOINT_URL

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in CREDENTIALS.items():
                patch.setenv(name, value)
            yield MotoServer(endpoint_url=endpoint, env={**CREDENTIALS, ENV_ENDPOINT_URL: endpoint})
    finally:
        server.stop()
        if server._server is not None:  # stop() leaves the listening socket open
            server._server.server_close()
