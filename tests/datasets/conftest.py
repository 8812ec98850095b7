"""Fixtures for tests/datasets: a toy dataset, and an S3 server (moto's, on 127.0.0.1: nothing
leaves the machine)."""

import socket
import subprocess
import sys
import time

import pytest
from datasets_synth import write_synthetic


@pytest.fixture
def toy_root(tmp_path):
    """A committed dataset of 4 episodes of lengths 12, 7, 20, 3 (written in two commits)."""
    root = tmp_path / "toy"
    write_synthetic(root, [12, 7, 20, 3], commit_every=2)
    return root


BUCKET = "worldjepa-test"


@pytest.fixture(scope="module")
def s3_server():
    pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                     region_name="us-east-1").create_bucket(Bucket=BUCKET)  # fmt: skip
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def s3(s3_server, monkeypatch):
    for key, value in {"AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": "test",
                       "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    return f"s3://{BUCKET}"
