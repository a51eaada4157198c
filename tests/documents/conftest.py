"""Storage fixtures (tests/storage_fixtures.py): the S3 test server, a bucket, each storage backend."""

from tests.storage_fixtures import blob_store, s3_bucket, s3_client, s3_server, storage_backend  # noqa: F401
