"""The reference server's services over real stubs, in both modes."""

from __future__ import annotations

import gzip  # noqa: F401  (the client accepts gzip without extra setup)
from collections.abc import Iterator
from typing import Any

import google.rpc.error_details_pb2 as error_details_pb2
import google.rpc.status_pb2 as status_pb2
import grpc
import pytest
from google.protobuf import field_mask_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from test_server_harness import Running, start

from contractpb.acme.common.v1 import pagination_pb2
from contractpb.acme.inference.v1 import inference_pb2 as ipb
from contractpb.acme.inference.v1 import inference_pb2_grpc as ig
from contractpb.acme.user.v1 import user_pb2 as upb
from contractpb.acme.user.v1 import user_pb2_grpc as ug
from contractpb.protoctl.testing.v1 import behavior_pb2 as bpb
from contractpb.protoctl.testing.v1 import behavior_pb2_grpc as bg
from interoppb.grpc.testing import empty_pb2, test_pb2_grpc

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture(scope="module", params=["aio", "sync"])
def server(request: pytest.FixtureRequest) -> Iterator[Running]:
    s = start(str(request.param), 1, "--log-level", "info")
    yield s
    assert s.stop() == 0, s.log()


@pytest.fixture
def channel(server: Running) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.addr) as ch:
        yield ch


def rich(err: grpc.RpcError) -> status_pb2.Status:
    st: status_pb2.Status | None = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None, "no grpc-status-details-bin"
    return st


def unpack(st: status_pb2.Status) -> list[object]:
    out: list[object] = []
    for any_ in st.details:
        for cls in (
            error_details_pb2.BadRequest,
            error_details_pb2.ErrorInfo,
            error_details_pb2.RetryInfo,
            error_details_pb2.ResourceInfo,
        ):
            m = cls()
            if any_.Unpack(m):
                out.append(m)
    return out


def test_predict(channel: grpc.Channel) -> None:
    stub = ig.InferenceStub(channel)
    got = stub.Predict(
        ipb.PredictRequest(
            model="mean", values=[1, 2, 6], request_id="r1", max_results=1
        ),
        timeout=5,
    )
    assert (got.result, got.request_id, got.model_version, len(got.scores)) == (
        "3",
        "r1",
        "v2",
        1,
    )
    assert got.scores[0].label == "positive"
    assert got.finish_reason == ipb.FINISH_REASON_COMPLETE
    assert (
        stub.Predict(ipb.PredictRequest(model="sum", values=[1.5, 2]), timeout=5).result
        == "3.5"
    )
    assert (
        stub.Predict(
            ipb.PredictRequest(model="sentiment", values=[-1]), timeout=5
        ).result
        == "negative"
    )


def test_predict_bad_request(channel: grpc.Channel) -> None:
    stub = ig.InferenceStub(channel)
    with pytest.raises(grpc.RpcError) as e:
        stub.Predict(ipb.PredictRequest(model="", values=[]), timeout=5)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    (br,) = unpack(rich(e.value))
    assert isinstance(br, error_details_pb2.BadRequest)
    assert [v.field for v in br.field_violations] == ["model", "values"]


def test_predict_unknown_model(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as e:
        ig.InferenceStub(channel).Predict(
            ipb.PredictRequest(model="nope", values=[1]), timeout=5
        )
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    info = unpack(rich(e.value))[0]
    assert (
        isinstance(info, error_details_pb2.ErrorInfo)
        and info.reason == "MODEL_NOT_FOUND"
    )


def test_predict_stream(channel: grpc.Channel) -> None:
    req = ipb.PredictStreamRequest(
        request=ipb.PredictRequest(model="sentiment", values=[2]), chunk_hint=4
    )
    got = list(ig.InferenceStub(channel).PredictStream(req, timeout=5))
    assert [r.index for r in got] == list(range(len(got)))
    assert "".join(r.partial.text_delta for r in got[:-1]) == "positive"
    assert got[-1].complete.result == "positive"


def test_upload_samples(channel: grpc.Channel) -> None:
    reqs = [
        ipb.UploadSamplesRequest(dataset="d", sample=ipb.Sample(values=[1], label="a")),
        ipb.UploadSamplesRequest(dataset="d", sample=ipb.Sample(values=[], label="a")),
        ipb.UploadSamplesRequest(
            dataset="d", sample=ipb.Sample(values=[2], label="b", weight=2)
        ),
    ]
    got = ig.InferenceStub(channel).UploadSamples(iter(reqs), timeout=5)
    assert (got.dataset, got.accepted_count, got.rejected_count) == ("d", 2, 1)
    assert got.errors[0].metadata["index"] == "1"
    with pytest.raises(grpc.RpcError) as e:
        ig.InferenceStub(channel).UploadSamples(
            iter([reqs[0], ipb.UploadSamplesRequest(dataset="x")]), timeout=5
        )
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_chat(channel: grpc.Channel) -> None:
    reqs = [
        ipb.ChatRequest(text="hi"),
        ipb.ChatRequest(predict=ipb.PredictRequest(model="sum", values=[1, 1])),
        ipb.ChatRequest(predict=ipb.PredictRequest(model="")),
        ipb.ChatRequest(control=ipb.CHAT_CONTROL_PING),
    ]
    got = list(ig.InferenceStub(channel).Chat(iter(reqs), timeout=5))
    assert [r.sequence for r in got] == [1, 2, 3, 4]
    assert len({r.session_id for r in got}) == 1 and got[0].session_id
    assert (got[0].text, got[1].prediction.result, got[3].WhichOneof("payload")) == (
        "you said: hi",
        "2",
        None,
    )
    assert got[2].error.message == "invalid predict request"


def test_list_models_pages(channel: grpc.Channel) -> None:
    stub = ig.InferenceStub(channel)
    page1 = stub.ListModels(
        ipb.ListModelsRequest(page=pagination_pb2.PageRequest(page_size=2)), timeout=5
    )
    page2 = stub.ListModels(
        ipb.ListModelsRequest(
            page=pagination_pb2.PageRequest(
                page_size=2, page_token=page1.page.next_page_token
            )
        )
    )
    assert [m.name for m in page1.models] + [m.name for m in page2.models] == [
        "mean",
        "sentiment",
        "sum",
    ]
    assert page2.page.next_page_token == ""


def test_get_user(channel: grpc.Channel) -> None:
    stub = ug.UserServiceStub(channel)
    assert (
        stub.GetUser(upb.GetUserRequest(id="u-1"), timeout=5).user.display_name == "Ada"
    )
    masked = stub.GetUser(
        upb.GetUserRequest(
            id="u-2", read_mask=field_mask_pb2.FieldMask(paths=["email"])
        )
    )
    assert (masked.user.email, masked.user.display_name) == ("grace@acme.example", "")
    users = stub.ListUsers(upb.ListUsersRequest(role=upb.ROLE_VIEWER), timeout=5).users
    assert [u.id for u in users] == ["u-2", "u-3"]


def test_get_user_not_found(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as e:
        ug.UserServiceStub(channel).GetUser(upb.GetUserRequest(id="u-404"), timeout=5)
    assert (e.value.code(), e.value.details()) == (
        grpc.StatusCode.NOT_FOUND,
        "user u-404 not found",
    )
    st = rich(e.value)
    assert st.code == grpc.StatusCode.NOT_FOUND.value[0]
    info, res = unpack(st)
    assert isinstance(info, error_details_pb2.ErrorInfo) and isinstance(
        res, error_details_pb2.ResourceInfo
    )
    assert (info.reason, info.domain, res.resource_name) == (
        "USER_NOT_FOUND",
        "user.acme",
        "u-404",
    )


def test_get_user_invalid(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as e:
        ug.UserServiceStub(channel).GetUser(
            upb.GetUserRequest(
                id="bob", read_mask=field_mask_pb2.FieldMask(paths=["nope"])
            ),
            timeout=5,
        )
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    (br,) = unpack(rich(e.value))
    assert isinstance(br, error_details_pb2.BadRequest)
    assert [v.field for v in br.field_violations] == ["id", "read_mask"]


@pytest.mark.parametrize(
    ("detail", "want"),
    [
        (
            bpb.DetailSpec(
                bad_request=bpb.FieldViolationSpec(field="f", description="d")
            ),
            error_details_pb2.BadRequest,
        ),
        (
            bpb.DetailSpec(
                error_info=bpb.ErrorInfoSpec(
                    reason="R", domain="x", metadata={"k": "v"}
                )
            ),
            error_details_pb2.ErrorInfo,
        ),
        (bpb.DetailSpec(retry_delay_ms=1500), error_details_pb2.RetryInfo),
    ],
)
def test_behavior_status_details(
    channel: grpc.Channel, detail: bpb.DetailSpec, want: type
) -> None:
    req = bpb.BehaviorRequest(
        status=bpb.StatusSpec(code=8, message="slow down", details=[detail]),
        trailing_metadata=[bpb.MetadataEntry(key="x-trail", value="t")],
    )
    with pytest.raises(grpc.RpcError) as e:
        bg.BehaviorServiceStub(channel).Unary(req, timeout=5)
    assert (e.value.code(), e.value.details()) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "slow down",
    )
    trailers: list[tuple[str, object]] = [
        (m.key, m.value) for m in e.value.trailing_metadata()
    ]
    assert ("x-trail", "t") in trailers
    (got,) = unpack(rich(e.value))
    assert isinstance(got, want)
    if isinstance(got, error_details_pb2.RetryInfo):
        assert got.retry_delay.ToMilliseconds() == 1500


def test_behavior_mismatched_code(channel: grpc.Channel) -> None:
    req = bpb.BehaviorRequest(
        status=bpb.StatusSpec(
            code=3,
            message="m",
            mismatched_code=True,
            details=[bpb.DetailSpec(retry_delay_ms=1)],
        )
    )
    with pytest.raises(grpc.RpcError) as e:
        bg.BehaviorServiceStub(channel).Unary(req, timeout=5)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(ValueError):
        rpc_status.from_call(e.value)  # type: ignore[arg-type]


def test_unhandled_exception_is_unknown_without_internals(
    server: Running, channel: grpc.Channel
) -> None:
    with pytest.raises(grpc.RpcError) as e:
        bg.BehaviorServiceStub(channel).Unary(
            bpb.BehaviorRequest(raise_unhandled=True),
            metadata=(("traceparent", TRACEPARENT),),
            timeout=5,
        )
    assert (e.value.code(), e.value.details()) == (
        grpc.StatusCode.UNKNOWN,
        "internal error",
    )
    assert rpc_status.from_call(e.value) is None  # type: ignore[arg-type]
    # The traceback, with the trace id, is in the log only.
    server.wait_for_log("secret=42")
    line = next(x for x in server.lines if "secret=42" in x)
    assert (
        '"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"' in line
        and '"code": "UNKNOWN"' in line
    )


def test_request_log_has_trace(server: Running, channel: grpc.Channel) -> None:
    bg.BehaviorServiceStub(channel).Unary(
        bpb.BehaviorRequest(payload=b"log-me"),
        metadata=(("traceparent", TRACEPARENT), ("tracestate", "a=1")),
    )
    server.wait_for_log('"tracestate": "a=1"')
    line = next(x for x in server.lines if '"tracestate": "a=1"' in x)
    for part in (
        '"msg": "rpc"',
        '"method": "/protoctl.testing.v1.BehaviorService/Unary"',
        '"code": "OK"',
        '"span_id": "00f067aa0ba902b7"',
        '"duration_ms"',
    ):
        assert part in line


def test_behavior_metadata(channel: grpc.Channel) -> None:
    req = bpb.BehaviorRequest(
        payload=b"abc",
        echo_metadata=True,
        initial_metadata=[bpb.MetadataEntry(key="x-init", value="i")],
        trailing_metadata=[
            bpb.MetadataEntry(key="x-bin-bin", binary_value=b"\x00\xff")
        ],
    )
    resp, call = bg.BehaviorServiceStub(channel).Unary.with_call(
        req,
        metadata=(("x-multi", "a"), ("x-multi", "b"), ("x-raw-bin", b"\x01")),
        timeout=5,
    )
    assert (
        resp.payload == b"abc"
        and resp.server_pid > 0
        and 0 < resp.deadline_remaining_ms <= 5100  # grpc-timeout rounds up
    )
    got = [
        (m.key, m.value or m.binary_value)
        for m in resp.received_metadata
        if m.key.startswith("x-")
    ]
    assert got == [("x-multi", "a"), ("x-multi", "b"), ("x-raw-bin", b"\x01")]
    assert ("x-init", "i") in [tuple(m) for m in call.initial_metadata()]
    assert ("x-bin-bin", b"\x00\xff") in [tuple(m) for m in call.trailing_metadata()]
    no_deadline = bg.BehaviorServiceStub(channel).Unary(bpb.BehaviorRequest())
    assert no_deadline.deadline_remaining_ms == -1


def test_behavior_streams(channel: grpc.Channel) -> None:
    stub = bg.BehaviorServiceStub(channel)
    got = []
    with pytest.raises(grpc.RpcError) as e:
        for r in stub.ServerStream(
            bpb.BehaviorRequest(
                response_count=5,
                fail_after=2,
                status=bpb.StatusSpec(code=9, message="mid"),
            ),
            timeout=5,
        ):
            got.append(r.sequence)
    assert got == [0, 1] and e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    sized = list(
        stub.ServerStream(
            bpb.BehaviorRequest(
                response_count=3, response_size=10, compress_response=True
            )
        )
    )
    assert [len(r.payload) for r in sized] == [10, 10, 10]
    assert (
        stub.ClientStream(iter([bpb.BehaviorRequest()] * 4), timeout=5).received_count
        == 4
    )
    bidi = list(
        stub.BidiStream(
            iter([bpb.BehaviorRequest(payload=bytes([i])) for i in range(3)]), timeout=5
        )
    )
    assert [(r.sequence, r.payload) for r in bidi] == [
        (0, b"\x00"),
        (1, b"\x01"),
        (2, b"\x02"),
    ]


def test_behavior_deadline_is_observed(server: Running, channel: grpc.Channel) -> None:
    stub = bg.BehaviorServiceStub(channel)
    token = f"deadline-{server.port}"
    with pytest.raises(grpc.RpcError) as e:
        stub.Unary(bpb.BehaviorRequest(sleep_ms=5000, token=token), timeout=0.2)
    assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    for _ in range(100):
        obs = stub.Observation(bpb.ObservationRequest(token=token), timeout=5)
        if obs.finished:
            break
    assert (obs.seen, obs.cancelled, obs.finished) == (True, True, True)
    assert not stub.Observation(bpb.ObservationRequest(token="never"), timeout=5).seen


def test_max_send_size(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as e:
        bg.BehaviorServiceStub(channel).Unary(
            bpb.BehaviorRequest(response_size=5 << 20), timeout=5
        )
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_interop_and_unimplemented(channel: grpc.Channel) -> None:
    stub = test_pb2_grpc.TestServiceStub(channel)
    assert stub.EmptyCall(empty_pb2.Empty(), timeout=5) == empty_pb2.Empty()
    with pytest.raises(grpc.RpcError) as e:
        stub.UnimplementedCall(empty_pb2.Empty(), timeout=5)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_health_and_reflection(channel: grpc.Channel) -> None:
    health: Any = health_pb2_grpc.HealthStub(channel)  # stubs lack Check
    for name in ("", "acme.inference.v1.Inference", "grpc.testing.TestService"):
        resp = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert resp.status == health_pb2.HealthCheckResponse.SERVING
    refl: Any = reflection_pb2_grpc.ServerReflectionStub(channel)
    (resp,) = refl.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    names = {s.name for s in resp.list_services_response.service}
    assert {
        "acme.inference.v1.Inference",
        "acme.user.v1.UserService",
        "protoctl.testing.v1.BehaviorService",
        "grpc.testing.TestService",
        "grpc.health.v1.Health",
    } <= names
