"""acme.user.v1.UserService over a small in-memory table.

Unknown ids are NOT_FOUND with google.rpc.ErrorInfo and ResourceInfo; a
malformed id or read_mask is INVALID_ARGUMENT with google.rpc.BadRequest.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import grpc
from google.protobuf import timestamp_pb2

from contractpb.acme.common.v1 import money_pb2, pagination_pb2
from contractpb.acme.user.v1 import user_pb2 as pb
from contractpb.acme.user.v1 import user_pb2_grpc as pb_grpc
from protoctl_server import errors

if TYPE_CHECKING:
    from protoctl_server.contexts import AioContext

ID = re.compile(r"^u-[0-9]{1,12}$")


def _user(
    n: int,
    name: str,
    roles: list[pb.Role.ValueType],
    state: pb.UserState.ValueType,
    phone: str | None = None,
    last_login: int = 0,
) -> pb.User:
    u = pb.User(
        id=f"u-{n}",
        email=f"{name.lower()}@acme.example",
        display_name=name,
        roles=roles,
        state=state,
        created_at=timestamp_pb2.Timestamp(seconds=1_735_689_600 + n * 86_400),
        labels={"team": "search" if n % 2 else "ads"},
        credit_balance=money_pb2.Money(
            currency_code="USD", units=10 * n, nanos=500_000_000
        ),
    )
    if phone is not None:
        u.phone_number = phone
    if last_login:
        u.last_login_at.FromSeconds(last_login)
    return u


USERS = {
    u.id: u
    for u in (
        _user(
            1,
            "Ada",
            [pb.ROLE_ADMIN],
            pb.USER_STATE_ACTIVE,
            "+15550100001",
            1_764_000_000,
        ),
        _user(2, "Grace", [pb.ROLE_EDITOR, pb.ROLE_VIEWER], pb.USER_STATE_ACTIVE),
        _user(3, "Linus", [pb.ROLE_VIEWER], pb.USER_STATE_SUSPENDED),
        _user(4, "Barbara", [], pb.USER_STATE_DELETED),
    )
}


def get_user(req: pb.GetUserRequest) -> pb.GetUserResponse:
    """The user with req.id, restricted to req.read_mask when set."""
    violations: list[tuple[str, str]] = []
    if not req.id:
        violations.append(("id", "must not be empty"))
    elif not ID.match(req.id):
        violations.append(("id", "must look like u-<digits>"))
    if req.HasField("read_mask"):
        fields = pb.User.DESCRIPTOR.fields_by_name
        for path in req.read_mask.paths:
            if path.split(".", 1)[0] not in fields:
                violations.append(("read_mask", f"User has no field {path!r}"))
    if violations:
        raise errors.bad_request("invalid get user request", violations)
    user = USERS.get(req.id)
    if user is None:
        raise errors.not_found(
            f"user {req.id} not found",
            "acme.user.v1.User",
            req.id,
            "USER_NOT_FOUND",
            "user.acme",
        )
    out = pb.User()
    if req.HasField("read_mask") and req.read_mask.paths:
        req.read_mask.MergeMessage(user, out)
    else:
        out.CopyFrom(user)
    return pb.GetUserResponse(user=out)


def list_users(req: pb.ListUsersRequest) -> pb.ListUsersResponse:
    """A page of users ordered by id; page_token is the last id of the previous page."""
    if req.page.page_size < 0:
        raise errors.bad_request(
            "invalid page", [("page.page_size", "must not be negative")]
        )
    ids = sorted(
        (
            i
            for i, u in USERS.items()
            if req.role == pb.ROLE_UNSPECIFIED or req.role in u.roles
        ),
        key=lambda i: int(i[2:]),
    )
    start = 0
    if req.page.page_token:
        if req.page.page_token not in ids:
            raise errors.bad_request(
                "invalid page", [("page.page_token", "not a token this server gave")]
            )
        start = ids.index(req.page.page_token) + 1
    size = req.page.page_size or 50
    page = ids[start : start + size]
    more = start + size < len(ids)
    return pb.ListUsersResponse(
        users=[USERS[i] for i in page],
        page=pagination_pb2.PageResponse(
            next_page_token=page[-1] if more and page else "", total_size=len(ids)
        ),
    )


class SyncUsers(pb_grpc.UserServiceServicer):
    def GetUser(
        self, request: pb.GetUserRequest, context: grpc.ServicerContext
    ) -> pb.GetUserResponse:
        return get_user(request)

    def ListUsers(
        self, request: pb.ListUsersRequest, context: grpc.ServicerContext
    ) -> pb.ListUsersResponse:
        return list_users(request)


class AioUsers(pb_grpc.UserServiceServicer):
    async def GetUser(
        self, request: pb.GetUserRequest, context: AioContext
    ) -> pb.GetUserResponse:
        return get_user(request)

    async def ListUsers(
        self, request: pb.ListUsersRequest, context: AioContext
    ) -> pb.ListUsersResponse:
        return list_users(request)
