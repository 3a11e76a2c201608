"""Where stored files live: the local disk by default, S3-compatible object storage as the option.

Files are content-addressed (``ab/abcdef…``: the SHA-256 and its first two characters), written
once and never changed, so both kinds need only put, get, list and a probe. The location is one
string, ``UPLOAD_FOLDER``: a path (``instance/uploads``) or ``s3://bucket/prefix``. For S3 the
endpoint, region and keys come from the environment as for any AWS client
(``AWS_ENDPOINT_URL_S3`` for MinIO or another provider, ``AWS_DEFAULT_REGION``,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``), never from the code. Several app servers then
share the files without sharing a disk.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Protocol


class StorageError(Exception):
    """A stored file could not be read or written."""


class Storage(Protocol):
    location: str

    def put(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key`` (the same key always carries the same bytes)."""

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises ``StorageError`` when there are none."""

    def keys(self) -> Iterator[str]:
        """Every key kept, sorted."""

    def delete(self, key: str) -> None:
        """Remove what is under ``key`` (nothing there: nothing to do)."""

    def probe(self) -> None:
        """Write and remove a scratch object; raises ``StorageError`` when that fails."""


class LocalStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.location = str(self.root)

    def _path(self, key: str) -> Path:
        path = self.root / key
        if self.root.resolve() not in path.resolve().parents:
            raise StorageError(f"{key!r} is not a key inside {self.location}.")
        return path

    def put(self, key: str, data: bytes) -> None:
        target = self._path(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".put-", delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, target)  # readers never see half a file

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as error:
            raise StorageError(f"{key} cannot be read from {self.location}: "
                               f"{error.strerror or error}") from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return iter(())
        return iter(sorted(path.relative_to(self.root).as_posix() for path in self.root.rglob("*")
                           if path.is_file() and not path.name.startswith(".")))

    def probe(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".ready-") as handle:
                handle.write(b"ok")
                handle.flush()
        except OSError as error:
            raise StorageError(f"{self.location}: {error.strerror or error}") from None


class S3Storage:
    def __init__(self, url: str):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise StorageError(f"{url!r} names no bucket (s3://bucket/prefix).")
        self.location = url
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @property
    def client(self):
        try:
            import boto3  # the optional extra `backoffice[s3]`
        except ImportError:
            raise StorageError("UPLOAD_FOLDER is an s3:// URL but boto3 is not installed "
                               "(pip install 'backoffice[s3]').") from None
        names = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID")
        return _client(boto3, tuple(os.environ.get(name) for name in names))

    def _errors(self):
        from botocore.exceptions import BotoCoreError, ClientError
        return (BotoCoreError, ClientError)

    def put(self, key: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)
        except self._errors() as error:
            raise StorageError(f"{key} cannot be written to {self.location}: {error}") from None

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        except self._errors() as error:
            raise StorageError(f"{key} cannot be read from {self.location}: {error}") from None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
        except self._errors() as error:
            raise StorageError(f"{key} cannot be removed from {self.location}: {error}") from None

    def keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                      Prefix=self.prefix)
        found = [item["Key"][len(self.prefix):] for page in pages for item in page.get("Contents", ())]
        return iter(sorted(key for key in found if not key.rsplit("/", 1)[-1].startswith(".")))

    def probe(self) -> None:
        key = f"{self.prefix}.ready-{uuid.uuid4().hex}"
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=b"ok")
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except self._errors() as error:
            raise StorageError(f"{self.location}: {error}") from None


@cache
def _client(boto3, environment: tuple):
    """One client per environment (a client is thread-safe; creating one costs ~50 ms)."""
    return boto3.client("s3")  # endpoint, region and keys from the environment


def storage_at(location: str | Path) -> Storage:
    """The storage a location names: ``s3://bucket/prefix`` or a folder on this machine."""
    text = str(location)
    return S3Storage(text) if text.startswith("s3://") else LocalStorage(text)
