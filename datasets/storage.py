"""Where a dataset lives: a local directory or a prefix on S3-compatible object storage.

    open_dataset("s3://bucket/rollouts/tworoom")    # reads, trains, records the same way

``location(root)`` gives a ``pathlib.Path`` for local roots and an ``ObjectPath`` (the few
Path methods the datasets package uses) for ``s3://`` URIs. Credentials and the endpoint come
from the standard environment variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_REGION (or AWS_DEFAULT_REGION), AWS_ENDPOINT_URL (MinIO, moto, R2, ...); an http://
endpoint is allowed as such.
"""

from __future__ import annotations

import os
from pathlib import Path

from worldjepa.errors import DatasetError

SCHEMES = ("s3",)


def open_lance(path):
    """lance.dataset at a local path or a remote URI (raises lance's own errors)."""
    import lance

    return lance.dataset(str(path), storage_options=lance_options(path))


def write_lance(table, path, mode: str, **kwargs):
    """lance.write_dataset -> the dataset at the version this write committed."""
    import lance

    return lance.write_dataset(table, str(path), mode=mode, storage_options=lance_options(path), **kwargs)


def is_remote(root) -> bool:
    return isinstance(root, ObjectPath) or "://" in str(root)


def location(root) -> Path | ObjectPath:
    """A local path -> Path; an ``s3://bucket/prefix`` URI -> ObjectPath."""
    if isinstance(root, ObjectPath):
        return root
    text = str(root)
    if "://" not in text:
        return Path(root)
    scheme = text.split("://", 1)[0]
    if scheme not in SCHEMES:
        raise DatasetError(
            f"{text}: unsupported storage scheme {scheme}://; use a local path or s3://bucket/prefix"
        )
    return ObjectPath(text.rstrip("/"))


def _endpoint() -> str | None:
    return (
        os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or os.environ.get("AWS_ENDPOINT")
    )


def lance_options(path) -> dict | None:
    """storage_options for lance.dataset / write_dataset at ``path`` (None when local)."""
    if not is_remote(path):
        return None
    opts = {"aws_region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    for key, env in (("aws_access_key_id", "AWS_ACCESS_KEY_ID"), ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"),
                     ("aws_session_token", "AWS_SESSION_TOKEN")):  # fmt: skip
        if os.environ.get(env):
            opts[key] = os.environ[env]
    endpoint = _endpoint()
    if endpoint:
        opts["aws_endpoint"] = endpoint
        if endpoint.startswith("http://"):
            opts["allow_http"] = "true"
    return opts


def remove_tree(path) -> None:
    """Delete a dataset directory (or every object under a remote prefix)."""
    if is_remote(path):
        path._fs().delete_dir(path._key)
    else:
        import shutil

        shutil.rmtree(path)


class ObjectPath:
    """An ``s3://bucket/key`` location with the Path methods the datasets package needs."""

    def __init__(self, uri: str):
        self.uri = uri
        self._key = uri.split("://", 1)[1]

    def __truediv__(self, name: str) -> ObjectPath:
        return ObjectPath(f"{self.uri}/{name}")

    def __str__(self) -> str:
        return self.uri

    def __repr__(self) -> str:
        return f"ObjectPath({self.uri!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, ObjectPath) and other.uri == self.uri

    def __hash__(self) -> int:
        return hash(self.uri)

    def __fspath__(self) -> str:
        return self.uri

    @property
    def name(self) -> str:
        return self._key.rsplit("/", 1)[-1]

    @property
    def parent(self) -> ObjectPath:
        return ObjectPath(self.uri.rsplit("/", 1)[0])

    def _fs(self):
        from pyarrow import fs

        endpoint = _endpoint()
        kwargs = {"region": lance_options(self)["aws_region"]}
        if endpoint:
            scheme, host = endpoint.split("://", 1) if "://" in endpoint else ("https", endpoint)
            kwargs |= {"endpoint_override": host, "scheme": scheme}
        return fs.S3FileSystem(**kwargs)

    def _type(self):
        try:
            return self._fs().get_file_info(self._key).type
        except OSError as e:
            raise DatasetError(
                f"cannot reach {self.uri} ({str(e).splitlines()[0][:200]}); check AWS_* settings"
            ) from None

    def exists(self) -> bool:
        from pyarrow import fs

        return self._type() != fs.FileType.NotFound

    def is_dir(self) -> bool:
        from pyarrow import fs

        return self._type() == fs.FileType.Directory

    def is_file(self) -> bool:
        from pyarrow import fs

        return self._type() == fs.FileType.File

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Object stores have no directories: nothing to do."""

    def read_text(self) -> str:
        with self._fs().open_input_stream(self._key) as f:
            return f.read().decode()

    def write_text(self, text: str) -> None:
        """One PUT: readers see the old object or the new one, never half of it."""
        with self._fs().open_output_stream(self._key) as f:
            f.write(text.encode())

    def iterdir(self):
        from pyarrow import fs

        infos = self._fs().get_file_info(fs.FileSelector(self._key))
        return [ObjectPath(f"{self.uri.split('://')[0]}://{i.path}") for i in infos]

    def size_bytes(self) -> int:
        from pyarrow import fs

        infos = self._fs().get_file_info(fs.FileSelector(self._key, recursive=True))
        return sum(i.size or 0 for i in infos if i.type == fs.FileType.File)
