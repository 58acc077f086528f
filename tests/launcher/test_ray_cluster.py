"""`launcher.ray_cluster` gives up with a clear error when the Ray head never comes up."""

import socket

from launcher.ray_cluster import main


def test_wait_times_out_when_nobody_listens(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        rc = main([f"--address=127.0.0.1:{port}", "--nodes=1", "--timeout=1"])
    assert rc == 1
    assert "has 0 of 1 nodes after 1 s" in capsys.readouterr().err
