"""protoc plugin that runs grpcio-tools' built-in grpc_python generator.

buf cannot run grpc_python as a ``protoc_builtin`` (it accepts only the
generators protoc itself ships), and grpcio-tools has no standalone
protoc-gen-grpc_python.  This shim reads the CodeGeneratorRequest, hands the
files to ``grpc_tools.protoc`` through a descriptor set and returns what it
wrote, so ``buf generate`` produces the same ``_pb2_grpc.py`` files as
``python -m grpc_tools.protoc --grpc_python_out``.  Benchmark use only.
"""

from __future__ import annotations

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    with tempfile.TemporaryDirectory(prefix="grpc_python_plugin") as tmp:
        fds = descriptor_pb2.FileDescriptorSet(file=request.proto_file)
        set_path = os.path.join(tmp, "in.binpb")
        with open(set_path, "wb") as f:
            f.write(fds.SerializeToString())
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        target = out if not request.parameter else f"{request.parameter}:{out}"
        args = ["grpc_tools.protoc", f"--descriptor_set_in={set_path}", f"--grpc_python_out={target}"]
        code = protoc.main(args + list(request.file_to_generate))
        if code != 0:
            response.error = f"grpc_tools.protoc exited with {code}"
            return response
        for root, _, names in os.walk(out):
            for name in sorted(names):
                full = os.path.join(root, name)
                gen = response.file.add()
                gen.name = os.path.relpath(full, out).replace(os.sep, "/")
                with open(full, encoding="utf-8") as f:
                    gen.content = f.read()
    return response


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())


if __name__ == "__main__":
    main()
