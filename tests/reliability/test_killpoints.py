"""The three-runner campaign kills the runner that sent a request: the sender of a loopback
connection is found through /proc (killpoints.py). Checked here against a real child process,
so a campaign that kills nobody cannot pass for one that kills the right runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.reliability.killpoints import _what, owner_of_socket, socket_inode

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/net"), reason="Linux's /proc")

CLIENT = ("import socket, sys\n"
          "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
          "sys.stdin.read()\n")


def test_the_sender_of_a_connection_is_the_process_that_holds_its_socket() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        child = subprocess.Popen([sys.executable, "-c", CLIENT, str(server.getsockname()[1])],
                                 stdin=subprocess.PIPE)
        try:
            conn, (_host, port) = server.accept()
            with conn:
                inode = socket_inode(port)
                assert inode is not None
                assert owner_of_socket(inode, [os.getpid(), child.pid]) == child.pid
                assert owner_of_socket(inode, [os.getpid()]) is None  # not the server's end
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=30)


def test_a_waiting_statement_is_named_by_what_the_runner_was_doing() -> None:
    assert _what("SELECT state, lease_owner, lease_expires_at, due_at, next_attempt_at "
                 "FROM posts WHERE id = $1 FOR UPDATE") == "a claim"
    assert _what("UPDATE posts SET lease_owner = $1 WHERE id IN ($2)") == "claim_due"
    assert _what("UPDATE posts SET state = $1 WHERE id = $2").startswith("a step's commit")
    assert _what("") == "a transaction between statements"
