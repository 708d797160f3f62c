"""``python -m protoctl_server``: run the reference server.

Importing this module does nothing (tools check that the server imports)."""

from protoctl_server.supervisor import main

if __name__ == "__main__":
    raise SystemExit(main())
