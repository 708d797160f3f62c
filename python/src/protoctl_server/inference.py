"""acme.inference.v1.Inference: a deterministic stand-in for model serving.

Each model is a small pure function of the input vector (its sum, its mean,
or a sentiment label from the mean), so Go tests can assert exact results.
The plain functions below hold all behaviour; the Sync and Aio servicers
only move messages between them and grpc.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc
from google.protobuf import duration_pb2, timestamp_pb2

from contractpb.acme.common.v1 import error_detail_pb2, money_pb2, pagination_pb2
from contractpb.acme.inference.v1 import inference_pb2 as pb
from contractpb.acme.inference.v1 import inference_pb2_grpc as pb_grpc
from protoctl_server import errors

if TYPE_CHECKING:
    from protoctl_server.contexts import AioContext

MAX_VALUES = 10_000
MAX_CHUNKS = 100
DEFAULT_CHUNKS = 3
MAX_ERRORS = 5


def _sentiment(values: Sequence[float]) -> str:
    m = _mean(values)
    return "positive" if m > 0 else "negative" if m < 0 else "neutral"


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _fmt(v: float) -> str:
    return f"{v:.6g}"


@dataclass(frozen=True)
class Model:
    name: str
    versions: tuple[str, ...]
    input_size: int  # 0: any length
    run: Callable[[Sequence[float]], str]
    price_nanos: int


MODELS = {
    m.name: m
    for m in (
        Model("mean", ("v2", "v1"), 0, lambda v: _fmt(_mean(v)), 100_000),
        Model("sentiment", ("v3", "v2", "v1"), 0, _sentiment, 250_000),
        Model("sum", ("v1",), 0, lambda v: _fmt(math.fsum(v)), 50_000),
    )
}
_CREATED = timestamp_pb2.Timestamp(seconds=1_767_225_600)  # 2026-01-01


def _now() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.GetCurrentTime()
    return ts


def _validate(req: pb.PredictRequest, prefix: str = "") -> Model:
    violations: list[tuple[str, str]] = []
    model = MODELS.get(req.model)
    if not req.model:
        violations.append((prefix + "model", "must name a model"))
    elif model is None:
        raise errors.not_found(
            f"model {req.model!r} not found",
            "acme.inference.v1.Model",
            req.model,
            "MODEL_NOT_FOUND",
            "inference.acme",
        )
    if not req.values:
        violations.append((prefix + "values", "must not be empty"))
    elif len(req.values) > MAX_VALUES:
        violations.append((prefix + "values", f"at most {MAX_VALUES} values"))
    elif any(math.isnan(v) or math.isinf(v) for v in req.values):
        violations.append((prefix + "values", "must be finite numbers"))
    if (
        model is not None
        and req.model_version
        and req.model_version not in model.versions
    ):
        violations.append(
            (
                prefix + "model_version",
                f"{req.model} has versions {', '.join(model.versions)}",
            )
        )
    if violations or model is None:
        raise errors.bad_request("invalid predict request", violations)
    return model


def predict(req: pb.PredictRequest) -> pb.PredictResponse:
    """Run the request's model on its values."""
    start = time.perf_counter()
    model = _validate(req)
    values = list(req.values)
    result = model.run(values)
    p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, _mean(values)))))
    scores = sorted(
        [
            pb.Score(label="positive", probability=p),
            pb.Score(label="negative", probability=1.0 - p),
        ],
        key=lambda s: -s.probability,
    )
    if req.HasField("max_results"):
        scores = scores[: req.max_results]
    latency = duration_pb2.Duration()
    latency.FromNanoseconds(int((time.perf_counter() - start) * 1e9))
    nanos = model.price_nanos * (2 if req.priority == pb.PRIORITY_HIGH else 1)
    return pb.PredictResponse(
        result=result,
        scores=scores,
        model_version=req.model_version or model.versions[0],
        request_id=req.request_id,
        latency=latency,
        completed_at=_now(),
        finish_reason=pb.FINISH_REASON_COMPLETE,
        cost=money_pb2.Money(
            currency_code="USD",
            units=nanos // 1_000_000_000,
            nanos=nanos % 1_000_000_000,
        ),
    )


def predict_chunks(req: pb.PredictStreamRequest) -> Iterator[pb.PredictStreamResponse]:
    """Partial results that spell out the result, then the complete one."""
    done = predict(req.request)
    n = min(MAX_CHUNKS, req.chunk_hint or DEFAULT_CHUNKS)
    text = done.result
    step = max(1, math.ceil(len(text) / n))
    parts = [text[i : i + step] for i in range(0, len(text), step)] or [""]
    for i, part in enumerate(parts):
        yield pb.PredictStreamResponse(
            index=i,
            partial=pb.PartialResult(
                text_delta=part, progress=(i + 1) / (len(parts) + 1)
            ),
        )
    yield pb.PredictStreamResponse(index=len(parts), complete=done)


class Upload:
    """The running summary of an UploadSamples stream."""

    def __init__(self) -> None:
        self.dataset = ""
        self.accepted = 0
        self.rejected = 0
        self.errors: list[error_detail_pb2.ErrorDetail] = []
        self._first: float | None = None

    def add(self, req: pb.UploadSamplesRequest) -> None:
        if self._first is None:
            self._first = time.perf_counter()
            if not req.dataset:
                raise errors.bad_request(
                    "invalid upload", [("dataset", "must name a dataset")]
                )
            self.dataset = req.dataset
        elif req.dataset != self.dataset:
            raise errors.bad_request(
                "invalid upload",
                [("dataset", f"every message must name dataset {self.dataset!r}")],
            )
        index = self.accepted + self.rejected
        problem = ""
        if not req.sample.values:
            problem = "sample has no values"
        elif not req.sample.label:
            problem = "sample has no label"
        elif req.sample.HasField("weight") and not req.sample.weight > 0:
            problem = "weight must be positive"
        if not problem:
            self.accepted += 1
            return
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                error_detail_pb2.ErrorDetail(
                    reason=error_detail_pb2.ERROR_REASON_INVALID_ARGUMENT,
                    message=problem,
                    field="sample",
                    metadata={"index": str(index)},
                )
            )

    def response(self) -> pb.UploadSamplesResponse:
        elapsed = duration_pb2.Duration()
        if self._first is not None:
            elapsed.FromNanoseconds(int((time.perf_counter() - self._first) * 1e9))
        return pb.UploadSamplesResponse(
            dataset=self.dataset,
            accepted_count=self.accepted,
            rejected_count=self.rejected,
            errors=self.errors,
            elapsed=elapsed,
        )


_sessions = itertools.count(1)


class Chat:
    """One chat session: answers each message in order."""

    def __init__(self) -> None:
        self.session_id = ""
        self.sequence = 0

    def answer(self, req: pb.ChatRequest) -> pb.ChatResponse:
        if not self.session_id:
            self.session_id = req.session_id or f"session-{next(_sessions)}"
        self.sequence += 1
        out = pb.ChatResponse(
            session_id=self.session_id, sequence=self.sequence, sent_at=_now()
        )
        kind = req.WhichOneof("payload")
        if kind == "text":
            out.text = f"you said: {req.text}"
        elif kind == "predict":
            try:
                out.prediction.CopyFrom(predict(req.predict))
            except errors.ServiceError as e:
                out.error.CopyFrom(
                    error_detail_pb2.ErrorDetail(
                        reason=error_detail_pb2.ERROR_REASON_INVALID_ARGUMENT,
                        message=e.message,
                    )
                )
        elif kind == "control" and req.control == pb.CHAT_CONTROL_RESET:
            out.text = "session reset"
        # CHAT_CONTROL_PING and empty messages get an empty reply.
        return out


def list_models(req: pb.ListModelsRequest) -> pb.ListModelsResponse:
    """A page of models by name; page_token is the last name of the previous page."""
    size = req.page.page_size
    if size < 0:
        raise errors.bad_request(
            "invalid page", [("page.page_size", "must not be negative")]
        )
    names = sorted(n for n in MODELS if n.startswith(req.name_prefix))
    start = 0
    if req.page.page_token:
        if req.page.page_token not in names:
            raise errors.bad_request(
                "invalid page", [("page.page_token", "not a token this server gave")]
            )
        start = names.index(req.page.page_token) + 1
    size = size or 50
    page = names[start : start + size]
    more = start + size < len(names)
    return pb.ListModelsResponse(
        models=[
            pb.ModelInfo(
                name=m.name,
                versions=m.versions,
                input_size=m.input_size,
                price_per_request=money_pb2.Money(
                    currency_code="USD", nanos=m.price_nanos
                ),
                created_at=_CREATED,
            )
            for m in (MODELS[n] for n in page)
        ],
        page=pagination_pb2.PageResponse(
            next_page_token=page[-1] if more and page else "", total_size=len(names)
        ),
    )


class SyncInference(pb_grpc.InferenceServicer):
    def Predict(
        self, request: pb.PredictRequest, context: grpc.ServicerContext
    ) -> pb.PredictResponse:
        return predict(request)

    def PredictStream(
        self, request: pb.PredictStreamRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.PredictStreamResponse]:
        yield from predict_chunks(request)

    def UploadSamples(
        self,
        request_iterator: Iterable[pb.UploadSamplesRequest],
        context: grpc.ServicerContext,
    ) -> pb.UploadSamplesResponse:
        up = Upload()
        for req in request_iterator:
            up.add(req)
        return up.response()

    def Chat(
        self, request_iterator: Iterable[pb.ChatRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.ChatResponse]:
        chat = Chat()
        for req in request_iterator:
            yield chat.answer(req)

    def ListModels(
        self, request: pb.ListModelsRequest, context: grpc.ServicerContext
    ) -> pb.ListModelsResponse:
        return list_models(request)


class AioInference(pb_grpc.InferenceServicer):
    async def Predict(
        self, request: pb.PredictRequest, context: AioContext
    ) -> pb.PredictResponse:
        return predict(request)

    async def PredictStream(
        self, request: pb.PredictStreamRequest, context: AioContext
    ) -> AsyncIterator[pb.PredictStreamResponse]:
        for chunk in predict_chunks(request):
            yield chunk

    async def UploadSamples(
        self,
        request_iterator: AsyncIterator[pb.UploadSamplesRequest],
        context: AioContext,
    ) -> pb.UploadSamplesResponse:
        up = Upload()
        async for req in request_iterator:
            up.add(req)
        return up.response()

    async def Chat(
        self, request_iterator: AsyncIterator[pb.ChatRequest], context: AioContext
    ) -> AsyncIterator[pb.ChatResponse]:
        chat = Chat()
        async for req in request_iterator:
            yield chat.answer(req)

    async def ListModels(
        self, request: pb.ListModelsRequest, context: AioContext
    ) -> pb.ListModelsResponse:
        return list_models(request)
