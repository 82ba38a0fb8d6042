"""Files in an S3-compatible service, tested against a real S3 server process (moto's).

The same contract as local files: streamed in with a size cap and SHA-256 on the way, nothing
half-written left (a refused multipart upload is aborted), a missing object is
``FileNotFoundError``, an unreachable service is ``StorageFailed`` with the user's message.
"""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from collections.abc import Iterator

import pytest

from competitions.config import ConfigError, build_config
from competitions.core.storage import S3Storage, StorageFailed, TooLarge, s3_location
from tests.support.s3 import S3Server
from tests.support.smtp import free_port

MIB = 1024 * 1024


class Pattern(io.RawIOBase):
    """``size`` bytes made on the fly: an upload larger than anything held in memory."""

    BLOCK = bytes(range(251)) * 300  # a period that no power-of-two chunk lines up with

    def __init__(self, size: int) -> None:
        self.left, self.offset, self.digest = size, 0, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.left, len(self.BLOCK) - 251)
        start = self.offset % 251
        chunk = self.BLOCK[start : start + n]
        self.offset += n
        buffer[:n] = chunk
        self.digest.update(chunk)
        self.left -= n
        return n


@pytest.fixture
def bucket(s3_server: S3Server, request: pytest.FixtureRequest) -> Iterator[str]:
    client = s3_server.client()
    name = "t-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]
    client.create_bucket(Bucket=name)
    yield name
    for obj in client.list_objects_v2(Bucket=name).get("Contents", ()):
        client.delete_object(Bucket=name, Key=obj["Key"])
    client.delete_bucket(Bucket=name)


@pytest.fixture
def storage(s3_server: S3Server, bucket: str) -> S3Storage:
    return S3Storage(s3_server.client(), bucket, "uploads/")


def objects(storage: S3Storage) -> list[str]:
    listing = storage.client.list_objects_v2(Bucket=storage.bucket)
    return [obj["Key"] for obj in listing.get("Contents", ())]


def test_a_small_file_round_trips_under_the_prefix(storage):
    stored = storage.save(io.BytesIO(b"hello" * 100), max_bytes=1000, suffix=".png")
    assert stored.size == 500
    assert stored.sha256 == hashlib.sha256(b"hello" * 100).hexdigest()
    assert objects(storage) == [f"uploads/{stored.key[:2]}/{stored.key}"]
    assert stored.key.endswith(".png") and storage.list_keys() == {stored.key}
    with storage.open(stored.key) as fh:
        assert fh.read(3) == b"hel"
        assert fh.read() == (b"hello" * 100)[3:]
    storage.delete(stored.key)
    assert objects(storage) == []
    storage.delete(stored.key)  # deleting twice is harmless


def peak_memory_of_saving(storage: S3Storage, size: int) -> tuple[int, str, str]:
    source = Pattern(size)
    tracemalloc.start()
    try:
        stored = storage.save(io.BufferedReader(source), max_bytes=100 * MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == size
    return peak, stored.sha256, source.digest.hexdigest()


def test_a_large_file_streams_through_multipart_with_bounded_memory(storage):
    small_peak, _, _ = peak_memory_of_saving(storage, 2 * S3Storage.PART + 7)
    peak, sha256, expected = peak_memory_of_saving(storage, 5 * S3Storage.PART + 12345)
    assert sha256 == expected
    # The memory held does not grow with the file: a few copies of one part (ours, the HTTP
    # layer's), never the whole 40 MiB.
    assert peak < 4 * S3Storage.PART, f"peak {peak / MIB:.1f} MiB"
    assert peak < small_peak * 1.25, (peak / MIB, small_peak / MIB)
    sizes = set()
    for name in objects(storage):
        sizes.add(storage.client.head_object(Bucket=storage.bucket, Key=name)["ContentLength"])
    assert 5 * S3Storage.PART + 12345 in sizes
    digests = set()
    for key in storage.list_keys():
        digest = hashlib.sha256()
        with storage.open(key) as fh:
            while chunk := fh.read(64 * 1024):
                digest.update(chunk)
        digests.add(digest.hexdigest())
    assert sha256 in digests


def test_a_file_over_the_cap_leaves_nothing_not_even_an_unfinished_upload(storage):
    with pytest.raises(TooLarge):
        storage.save(
            io.BufferedReader(Pattern(2 * S3Storage.PART + 1)), max_bytes=S3Storage.PART + 1
        )
    with pytest.raises(TooLarge):
        storage.save(io.BytesIO(b"x" * 1001), max_bytes=1000)
    assert objects(storage) == []
    uploads = storage.client.list_multipart_uploads(Bucket=storage.bucket)
    assert uploads.get("Uploads", []) == []


def test_missing_and_invalid_keys(storage):
    with pytest.raises(FileNotFoundError):
        storage.open("00" + "0" * 30)
    for bad in ("../../etc/passwd", "", ".hidden", "a/b"):
        with pytest.raises(ValueError):
            storage.open(bad)


def test_an_unreachable_service_is_storage_failed_and_logged(caplog):
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    storage = S3Storage(client, "gone")
    with pytest.raises(StorageFailed):
        storage.save(io.BytesIO(b"data"), max_bytes=100)
    with pytest.raises(StorageFailed):
        storage.open("ab" + "0" * 30)
    assert "storage: could not write" in caplog.text


def test_storage_url_is_checked_at_start_up():
    assert s3_location("s3://bucket/some/prefix/") == ("bucket", "some/prefix")
    assert s3_location("s3://bucket") == ("bucket", "")
    for bad in ("http://bucket/x", "s3:///x", "bucket"):
        with pytest.raises(ConfigError):
            build_config("testing", {"STORAGE_URL": bad})


def test_an_object_is_seekable_as_a_zip_check_needs(storage):
    import zipfile

    from competitions.core.filetypes import sniff

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.txt", "x" * 5000)
        zf.writestr("b.txt", "y" * 5000)
    stored = storage.save(io.BytesIO(buffer.getvalue()), max_bytes=MIB)
    with storage.open(stored.key) as fh:
        assert fh.seek(-10, io.SEEK_END) == len(buffer.getvalue()) - 10
        assert fh.read() == buffer.getvalue()[-10:]
        fh.seek(0)
        assert fh.read(4) == b"PK\x03\x04"
        fh.seek(0)
        assert sniff(fh).problem is None
        fh.seek(0)
        with zipfile.ZipFile(fh) as zf:
            assert zf.read("b.txt") == b"y" * 5000
