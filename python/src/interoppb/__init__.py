"""Generated Python code of the gRPC interop schema (grpc.testing); see internal/interopschema."""
