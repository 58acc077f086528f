"""Wait until a Ray cluster has all its nodes: the curation sbatch script runs this
between `ray start` on every node and the pipeline, so no stage starts on half a cluster.

    python -m launcher.ray_cluster --address=HOST:PORT --nodes=N --timeout=600

Why not NeMo Curator 1.4's `SlurmRayClient` (nemo_curator/core/client.py), read against this job layout:
- it runs `ray stop --force` on every node at start (`cleanup_on_start`), killing any other Ray of the same
  user there, e.g. another job's on a node shared without `--exclusive`;
- workers learn the head's port from a file in `RAY_PORT_BROADCAST_DIR`, default `/tmp`: node-local, so on
  several nodes they wait 600 s and fail unless the user sets a shared folder;
- it binds the Ray dashboard to 0.0.0.0, and starts no per-job token auth (this script does);
- every node runs the driver program itself and workers `sys.exit` from inside `start()`, so each node would
  run `nemo-repro recycle` (config, run dir, checks) only to leave it mid-way.
So the sbatch script starts head and workers with `ray start` (a per-job token, explicit port), and this
module only waits for them; the driver attaches through `RAY_ADDRESS` as Curator's executors expect.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time


def alive_nodes(address: str) -> int:
    """Alive nodes of the cluster; raises ConnectionError while its head does not listen yet."""
    import ray

    if not ray.is_initialized():
        host, _, port = address.rpartition(":")
        # ray.init blocks for minutes on a port nobody listens on: probe the GCS port first.
        socket.create_connection((host, int(port)), timeout=5).close()
        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    return sum(1 for node in ray.nodes() if node["Alive"])


def wait_for_nodes(address: str, nodes: int, timeout_s: float, poll_s: float = 1.0) -> int:
    """Return the number of alive nodes once it reaches `nodes`; raise TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    alive, last_error = 0, None
    while time.monotonic() < deadline:
        try:
            alive = alive_nodes(address)
            if alive >= nodes:
                return alive
        except OSError as exc:  # the head is not up yet (ConnectionError, timeouts)
            last_error = exc
        time.sleep(poll_s)
    raise TimeoutError(f"Ray cluster at {address} has {alive} of {nodes} nodes after {timeout_s:.0f} s (last error: {last_error})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="Ray head, HOST:PORT")
    parser.add_argument("--nodes", type=int, required=True, help="nodes to wait for")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before giving up")
    args = parser.parse_args(argv)
    try:
        alive = wait_for_nodes(args.address, args.nodes, args.timeout)
    except TimeoutError as exc:
        print(f"launcher.ray_cluster: {exc}", file=sys.stderr)
        return 1
    print(f"launcher.ray_cluster: {alive} Ray nodes up at {args.address}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
