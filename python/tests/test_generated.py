"""Smoke tests of the generated package: every module imports under the
package prefix, messages round-trip, and the installed runtime satisfies
the constraints protoctl computed from the pinned generators."""

from __future__ import annotations

import importlib
import pickle
import re
from importlib import metadata
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "contractpb"
REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements-runtime.txt"


def generated_modules() -> list[str]:
    mods = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        if rel.name == "__init__":
            continue
        mods.append(".".join(rel.parts))
    return mods


def test_package_is_generated() -> None:
    mods = generated_modules()
    assert "contractpb.acme.inference.v1.inference_pb2" in mods
    assert "contractpb.acme.inference.v1.inference_pb2_grpc" in mods
    assert (PACKAGE / "py.typed").exists()


@pytest.mark.parametrize("name", generated_modules())
def test_module_imports(name: str) -> None:
    mod = importlib.import_module(name)
    assert mod.__name__ == name


def test_cross_package_import_uses_prefix() -> None:
    from contractpb.acme.common.v1 import money_pb2
    from contractpb.acme.inference.v1 import inference_pb2

    req = inference_pb2.PredictRequest(values=[1.5, -2.0])
    data = req.SerializeToString()
    back = inference_pb2.PredictRequest.FromString(data)
    assert list(back.values) == [1.5, -2.0]
    # Classes report (and pickle under) the module they are imported from.
    assert type(req).__module__ == "contractpb.acme.inference.v1.inference_pb2"
    assert pickle.loads(pickle.dumps(req)) == req
    assert money_pb2.Money.DESCRIPTOR.full_name == "acme.common.v1.Money"


def test_grpc_stub_names_the_service() -> None:
    from contractpb.acme.inference.v1 import inference_pb2_grpc

    assert hasattr(inference_pb2_grpc, "InferenceStub")
    assert hasattr(inference_pb2_grpc, "InferenceServicer")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def test_runtime_satisfies_computed_constraints() -> None:
    lines = [
        ln.strip()
        for ln in REQUIREMENTS.read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert lines, "requirements-runtime.txt lists no requirement"
    for line in lines:
        m = re.fullmatch(r"([a-z0-9_-]+)>=([0-9.]+)(?:,<([0-9]+))?", line)
        assert m, f"unexpected requirement line {line!r}"
        name, low, major_cap = m.group(1), m.group(2), m.group(3)
        installed = _version(metadata.version(name))
        assert installed >= _version(low), f"{name} {installed} < {low}"
        if major_cap is not None:
            assert installed[0] < int(major_cap), f"{name} {installed} >= {major_cap}"


def test_package_metadata_takes_the_computed_constraints() -> None:
    import tomllib

    pyproject = tomllib.loads((REQUIREMENTS.parent / "pyproject.toml").read_text())
    assert "dependencies" in pyproject["project"]["dynamic"]
    files = pyproject["tool"]["setuptools"]["dynamic"]["dependencies"]["file"]
    assert files == [REQUIREMENTS.name]
