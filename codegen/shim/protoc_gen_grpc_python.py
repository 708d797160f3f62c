"""protoc-gen-grpc_python: grpcio-tools' grpc_python generator as a protoc plugin.

grpcio-tools builds its gRPC generator into its own protoc and ships no
plugin binary, so tools that run plugins by name (buf) cannot reach it.
This shim speaks the plugin protocol: it reads a CodeGeneratorRequest on
stdin, runs the pinned grpcio-tools protoc over the request's descriptors,
and answers with the files it wrote. `protoctl toolchain bin` installs it
with the pinned environment's interpreter.
"""

from __future__ import annotations

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def generate(
    request: plugin_pb2.CodeGeneratorRequest,
) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = (
        plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
        | plugin_pb2.CodeGeneratorResponse.FEATURE_SUPPORTS_EDITIONS
    )
    response.minimum_edition = descriptor_pb2.EDITION_PROTO2
    response.maximum_edition = descriptor_pb2.EDITION_2023
    with tempfile.TemporaryDirectory(prefix="protoc-gen-grpc_python-") as tmp:
        image = os.path.join(tmp, "image.binpb")
        with open(image, "wb") as f:
            f.write(
                descriptor_pb2.FileDescriptorSet(
                    file=request.proto_file
                ).SerializeToString()
            )
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        args = ["protoc", f"--descriptor_set_in={image}", f"--grpc_python_out={out}"]
        if request.parameter:
            args.append(f"--grpc_python_opt={request.parameter}")
        if protoc.main([*args, *request.file_to_generate]) != 0:
            response.error = "grpcio-tools protoc failed (see stderr)"
            return response
        for dirpath, _, names in os.walk(out):
            for name in sorted(names):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    response.file.add(
                        name=os.path.relpath(path, out).replace(os.sep, "/"),
                        content=f.read(),
                    )
    return response


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())


if __name__ == "__main__":
    main()
