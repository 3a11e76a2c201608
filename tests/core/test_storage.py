"""Stored files on the local disk or in S3-compatible object storage (moto's S3 server stands in):
the same behaviour behind one interface, uploads and downloads through it, readiness, and backups
that carry the files from one bucket into another."""
from __future__ import annotations

import hashlib
import socket
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from backoffice import create_app
from backoffice.core import backup, health
from backoffice.core.db import transaction
from backoffice.core.storage import LocalStorage, S3Storage, StorageError, storage_at
from backoffice.core.uploads import read_stored, store_upload
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..conftest import base_config
from ..databases import create_pg_database, drop_pg_database

PDF = b"%PDF-1.4\n% a receipt\n%%EOF\n"


@pytest.fixture(scope="module")
def s3_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch):
    """A new, empty bucket; returns a function making further buckets."""
    for name, value in {"AWS_ENDPOINT_URL_S3": s3_server, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)

    def bucket() -> str:
        name = f"bo-{uuid.uuid4().hex[:12]}"
        boto3.client("s3").create_bucket(Bucket=name)
        return name

    bucket.client = boto3.client("s3")
    return bucket


@pytest.fixture
def target_app(backend, tmp_path):
    """Makes empty instances elsewhere (a new database each) keeping files at a given location."""
    cleanups = []

    def make(location: str):
        name = f"bo_restore_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / name}.db"
        else:
            url = create_pg_database(name)
            cleanups.append(lambda: drop_pg_database(name))
        made = create_app(base_config(url) | {"UPLOAD_FOLDER": location})
        cleanups.insert(0, lambda: _dispose(made))
        return made

    yield make
    for cleanup in cleanups:
        cleanup()


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    return S3Storage(f"s3://{request.getfixturevalue('s3')()}/files")


def test_both_storages_keep_list_and_return_files_alike(storage):
    assert list(storage.keys()) == []
    storage.put("ab/abc", b"one")
    storage.put("ab/abc", b"one")  # content-addressed: putting it again changes nothing
    storage.put("cd/cde", b"two")
    storage.probe()  # leaves no scratch file behind
    assert list(storage.keys()) == ["ab/abc", "cd/cde"]
    assert storage.get("ab/abc") == b"one"
    with pytest.raises(StorageError, match="cd/missing cannot be read"):
        storage.get("cd/missing")


def test_the_location_string_chooses_the_storage(tmp_path):
    assert isinstance(storage_at(tmp_path), LocalStorage)
    s3 = storage_at("s3://receipts/association/")
    assert isinstance(s3, S3Storage)
    assert (s3.bucket, s3.prefix) == ("receipts", "association/")
    with pytest.raises(StorageError, match="names no bucket"):
        storage_at("s3:///prefix")


def test_a_local_key_cannot_leave_its_folder(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    with pytest.raises(StorageError, match="not a key inside"):
        storage.put("../outside", b"x")
    assert not (tmp_path / "outside").exists()


def test_an_upload_is_kept_in_the_bucket_and_nowhere_on_disk(app, session, users, s3, tmp_path):
    bucket = s3()
    app.config["UPLOAD_FOLDER"] = f"s3://{bucket}/uploads"
    with transaction():
        stored = store_upload(session, folder=app_settings().paths.uploads, filename="r.pdf",
                              data=PDF, allowed={"pdf"}, max_bytes=10**6, actor=users["treasurer"])
    digest = hashlib.sha256(PDF).hexdigest()
    body = s3.client.get_object(Bucket=bucket, Key=f"uploads/{digest[:2]}/{digest}")["Body"]
    assert body.read() == PDF
    assert read_stored(stored, app_settings().paths.uploads) == PDF
    assert not any(tmp_path.rglob(digest))


def test_readiness_names_an_unwritable_bucket_without_its_address(app, s3):
    app.config["UPLOAD_FOLDER"] = f"s3://{s3()}/uploads"
    assert health.check_storage().ok
    app.config["UPLOAD_FOLDER"] = "s3://no-such-bucket-here/uploads"
    check = health.check_storage()
    assert (check.ok, check.reason) == (False, "not writable")
    assert "NoSuchBucket" in check.detail


def test_a_backup_carries_the_files_from_one_bucket_into_another(app, session, users, s3, target_app):
    source, restored = s3(), s3()
    app.config["UPLOAD_FOLDER"] = f"s3://{source}/files"
    with transaction():
        for n in range(3):
            store_upload(session, folder=app_settings().paths.uploads, filename=f"r{n}.pdf",
                         data=PDF.replace(b"a receipt", b"receipt %d" % n), allowed={"pdf"},
                         max_bytes=10**6, actor=users["treasurer"])
    archive = backup.create_backup(app_settings().paths)
    kept = {key: S3Storage(f"s3://{source}/files").get(key)
            for key in S3Storage(f"s3://{source}/files").keys()}
    assert len(kept) == 3

    other = target_app(f"s3://{restored}/files")
    with other.app_context():
        backup.restore(archive, app_settings().paths)
    restored_storage = S3Storage(f"s3://{restored}/files")
    assert {key: restored_storage.get(key) for key in restored_storage.keys()} == kept
    # An empty database, but a bucket that already holds files: refused, nothing written.
    with target_app(f"s3://{restored}/files").app_context(), \
            pytest.raises(backup.BackupError, match=f"file storage s3://{restored}/files is not empty"):
        backup.restore(archive, app_settings().paths)
