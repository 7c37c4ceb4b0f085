"""Which Milvus failures a worker waits out (the endpoint unreachable, another process creating
the collection) and which it reports."""

from __future__ import annotations

import grpc
import pytest
from pymilvus.exceptions import MilvusException, MilvusUnavailableException

from knowledge.index.store import created_meanwhile, unreachable


class RpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code


@pytest.mark.parametrize(
    "exc",
    [
        MilvusException(
            2,
            "Fail connecting to server on 127.0.0.1:19530, illegal connection "
            "params or server unavailable",
        ),
        MilvusUnavailableException(message="server unavailable"),
        RpcError(grpc.StatusCode.UNAVAILABLE),
        RpcError(grpc.StatusCode.DEADLINE_EXCEEDED),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
def test_an_endpoint_that_cannot_be_reached_is_worth_trying_again(exc):
    assert unreachable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        MilvusException(1, "collection 'x' already exists"),
        MilvusException(1100, "invalid parameter: filter expression"),
        RpcError(grpc.StatusCode.INVALID_ARGUMENT),
        ValueError("a bug of ours"),
    ],
)
def test_a_request_the_endpoint_refused_is_not(exc):
    assert not unreachable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        MilvusException(1, "collection 'supportbot' already exists"),
        MilvusException(
            1, "[Errno 17] File exists: '/srv/milvus/collections/supportbot'"
        ),  # milvus_lite's server when two creates pass its check at once
    ],
)
def test_a_collection_another_process_is_creating_is_opened_again(exc):
    assert created_meanwhile(exc)


@pytest.mark.parametrize(
    "exc",
    [
        MilvusException(1100, "invalid parameter: dim"),
        RpcError(grpc.StatusCode.UNAVAILABLE),
        PermissionError(13, "Permission denied"),
    ],
)
def test_any_other_failure_to_create_is_not(exc):
    assert not created_meanwhile(exc)
