"""Upload throughput and memory: the client's chunked upload vs curl vs one raw httpx PUT.

For each size (default 1 GiB and 4 GB = 4,000,000,000 bytes, the largest file TikTok takes
under both readings of "4 GB"; a 4 GiB file is refused by plan_chunks and by the sandbox) it
measures, against one sandbox server running in its
own process (store_upload_bytes=False: it only hashes):

  (a) the client: TikTokApi.init_direct_post + ChunkUploader.upload, in a child process whose
      peak RSS (VmHWM / ru_maxrss) is reported; it is given the file's SHA-256 (computed
      before the timing starts), so it hashes every byte it sends, as the app does;
  (b) ``curl -T file`` to the sandbox's sink ``PUT /__sandbox__/sink``;
  (c) one raw streaming httpx PUT with an explicit Content-Length to the same sink;
  (d) for context, the same chunk plan as (a) with no client overhead (raw socket +
      os.sendfile): the ceiling the server allows for a chunked upload;
  (e) for context, SHA-256 alone in the server process (1 MiB updates of in-memory bytes, no
      I/O): every path above hashes every byte on one thread, so none can beat this.

Prints a table, then as the very last line one JSON object with every figure.

    .venv/bin/python benchmarks/bench_upload.py [--sizes 1GiB,4GB] [--repeat 3] [--keep-files]

Targets: a/b >= 1.0, a/c >= 0.9, client RSS <= 100 MB at every size.
Timing covers only the transfer (not process start, init or file creation). Each figure is the
median of ``--repeat`` runs. CPU columns are the process's CPU seconds / wall seconds of the
transfer: a server near 1.0 is saturated (the bottleneck).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$", re.IGNORECASE)
UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20,
         "gib": 2**30}
RAW_BLOCK = 1 << 20
RSS_TARGET_MB = 100.0


def parse_size(text: str) -> int:
    m = SIZE_RE.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (e.g. 1GiB, 500MB)")
    return int(float(m.group(1)) * UNITS[(m.group(2) or "b").lower()])


def human(size: int) -> str:
    for unit, factor in (("GiB", 2**30), ("GB", 10**9), ("MiB", 2**20), ("MB", 10**6)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


def peak_rss_kb() -> tuple[int, int | None]:
    """(ru_maxrss KiB, VmHWM KiB or None) of this process."""
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm = None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return ru, hwm


def cpu_seconds(pid: int) -> float:
    """utime + stime of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- child: the sandbox server --------------------------------------------------------------


def serve(state_dir: str) -> None:
    """Run the sandbox; print {"base_url", "access_token"}; then answer stdin commands."""
    import httpx

    from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
    from tiktok_desktop.tiktok import (
        ClientCredentials,
        Endpoints,
        OAuthClient,
        new_pkce,
        new_state,
        parse_callback,
    )

    # random bytes, only their transport is measured: no media checks (they need the bytes)
    options = SandboxOptions(store_upload_bytes=False, media_checks=False,
                             rate_limits_enabled=False,
                             daily_post_cap=10_000)
    with SandboxServer(Path(state_dir), options) as server, httpx.Client() as http:
        creator = next(u for u in server.users if u.username == "sandbox_creator")
        oauth = OAuthClient(http, ClientCredentials(server.app.client_key,
                                                    server.app.client_secret),
                            Endpoints.single(server.base_url))
        pkce, state = new_pkce(), new_state()
        redirect_uri = "http://127.0.0.1:53817/callback/"
        url = oauth.authorize_url(["video.publish", "video.upload"], redirect_uri, state,
                                  pkce.challenge)
        code = parse_callback(server.control.approve(url, open_id=creator.open_id)) \
            .authorization_code(state)
        tokens = oauth.exchange_code(code, redirect_uri, pkce.verifier)
        print(json.dumps({"base_url": server.base_url, "access_token": tokens.access_token,
                          "pid": os.getpid()}), flush=True)
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "received":
                got = server.control.received(arg)
                print(json.dumps({"size": got.size, "sha256": got.sha256,
                                  "complete": got.complete}), flush=True)
            elif command == "hash":
                print(json.dumps({"seconds": hash_seconds(int(arg))}), flush=True)
            elif command == "quit":
                break


def hash_seconds(size: int) -> float:
    """Seconds to SHA-256 `size` bytes in 1 MiB updates (the receive path's block size)."""
    block = os.urandom(RAW_BLOCK)
    hasher = hashlib.sha256()
    t0 = time.perf_counter()
    for _ in range(size // RAW_BLOCK):
        hasher.update(block)
    hasher.update(block[:size % RAW_BLOCK])
    return time.perf_counter() - t0


# --- child: the client's upload ---------------------------------------------------------------


def client_upload(base_url: str, token: str, path: str, block_size: int, chunk_size: int,
                  switch_interval: float, server_pid: int) -> None:
    import httpx

    # The window runs the engine's uploads with its GIL switch interval (app.py), not
    # Python's 5 ms: measured as the app runs them unless told otherwise.
    sys.setswitchinterval(switch_interval)

    from tiktok_desktop.tiktok import ChunkUploader, Endpoints, PostInfo, TikTokApi

    size = os.path.getsize(path)
    # The due-time check's fingerprint: the client hashes what it sends against it (not timed).
    expected = file_sha256(path)
    with httpx.Client() as http:
        api = TikTokApi(http, Endpoints.single(base_url))
        plan = bench_plan(size, chunk_size)
        post = PostInfo(privacy_level="SELF_ONLY", disable_comment=True, disable_duet=True,
                        disable_stitch=True, title="benchmark")
        ticket = api.init_direct_post(token, post, plan)
        uploader = ChunkUploader(http, block_size=block_size)
        server0 = cpu_seconds(server_pid)
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        result = uploader.upload(ticket.upload_url, path, plan=plan,
                                 expected_sha256=expected)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        server_cpu = (cpu_seconds(server_pid) - server0) / seconds
    ru, hwm = peak_rss_kb()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "server_cpu": server_cpu,
                      "ru_maxrss_kb": ru, "vmhwm_kb": hwm,
                      "requests": result.requests, "retries": result.retries,
                      "chunks": plan.total_chunk_count, "publish_id": ticket.publish_id}))


def file_sha256(path: str) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while block := f.read(RAW_BLOCK):
            hasher.update(block)
    return hasher.hexdigest()


# --- child: one raw httpx PUT -----------------------------------------------------------------


def raw_put(url: str, path: str, block_size: int, server_pid: int) -> None:
    import httpx

    size = os.path.getsize(path)

    def body() -> Any:
        with open(path, "rb", buffering=0) as f:
            while block := f.read(block_size):
                yield block

    with httpx.Client(timeout=httpx.Timeout(300.0)) as http:
        server0 = cpu_seconds(server_pid)
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        response = http.put(url, content=body(), headers={"Content-Length": str(size)})
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        server_cpu = (cpu_seconds(server_pid) - server0) / seconds
    ru, hwm = peak_rss_kb()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "server_cpu": server_cpu,
                      "status": response.status_code,
                      "reply": response.json(), "ru_maxrss_kb": ru, "vmhwm_kb": hwm}))


# --- child: the ideal chunked upload (reference) --------------------------------------------


def ideal_chunked(base_url: str, token: str, path: str, chunk_size: int,
                  server_pid: int) -> None:
    """The same chunk plan with no client overhead at all: a raw socket and os.sendfile.

    Not a client design (no retries, no httpx); it shows what the server allows.
    """
    import socket
    from urllib.parse import urlsplit

    import httpx

    from tiktok_desktop.tiktok import Endpoints, PostInfo, TikTokApi

    size = os.path.getsize(path)
    plan = bench_plan(size, chunk_size)
    with httpx.Client() as http:
        post = PostInfo(privacy_level="SELF_ONLY", disable_comment=True, disable_duet=True,
                        disable_stitch=True, title="benchmark")
        ticket = TikTokApi(http, Endpoints.single(base_url)).init_direct_post(token, post,
                                                                             plan)
    url = urlsplit(ticket.upload_url)
    assert url.hostname is not None and url.port is not None
    sock = socket.create_connection((url.hostname, url.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    replies = sock.makefile("rb")
    with open(path, "rb", buffering=0) as f:
        server0 = cpu_seconds(server_pid)
        t0 = time.perf_counter()
        for chunk in plan.chunks():
            sock.sendall(
                f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                f"Content-Type: video/mp4\r\nContent-Length: {chunk.length}\r\n"
                f"Content-Range: bytes {chunk.first}-{chunk.last}/{size}\r\n\r\n".encode())
            offset, left = chunk.first, chunk.length
            while left:
                sent = os.sendfile(sock.fileno(), f.fileno(), offset, left)
                offset += sent
                left -= sent
            status = replies.readline().split()[1]
            length = 0
            while (line := replies.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            replies.read(length)
            if status not in (b"206", b"201"):
                raise RuntimeError(f"ideal upload got HTTP {status!r}")
        seconds = time.perf_counter() - t0
        server_cpu = (cpu_seconds(server_pid) - server0) / seconds
    sock.close()
    print(json.dumps({"seconds": seconds, "server_cpu": server_cpu,
                      "publish_id": ticket.publish_id}))


def bench_plan(size: int, chunk_size: int) -> Any:
    """The client's plan, or (--chunk-size, an experiment) fixed chunks with the remainder in
    the last one."""
    from tiktok_desktop.tiktok import ChunkPlan, plan_chunks

    if not chunk_size:
        return plan_chunks(size)
    return ChunkPlan(size, chunk_size, max(1, size // chunk_size))


# --- parent -----------------------------------------------------------------------------------


class Server:
    def __init__(self, state_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "_serve", str(state_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        hello = json.loads(self.proc.stdout.readline())
        self.base_url: str = hello["base_url"]
        self.token: str = hello["access_token"]
        self.pid: int = hello["pid"]

    def received(self, publish_id: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"received {publish_id}\n")
        self.proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return reply

    def hash_seconds(self, size: int) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"hash {size}\n")
        self.proc.stdin.flush()
        seconds: float = json.loads(self.proc.stdout.readline())["seconds"]
        return seconds

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def make_file(path: Path, size: int) -> str:
    """Random bytes, written in 4 MiB blocks; returns the sha256."""
    h = hashlib.sha256()
    with path.open("wb") as f:
        left = size
        while left:
            block = os.urandom(min(4 << 20, left))
            h.update(block)
            f.write(block)
            left -= len(block)
    return h.hexdigest()


def run_child(args: list[str], server: Server) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args, str(server.pid)],
                         capture_output=True, text=True, check=False, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_curl(url: str, path: Path, server: Server) -> dict[str, Any]:
    cpu0 = cpu_seconds(server.pid)
    curl0 = children_cpu()  # curl's own CPU (the whole process: start-up is milliseconds)
    t0 = time.perf_counter()
    out = subprocess.run(
        ["curl", "-sS", "-T", str(path), "-o", "/dev/null", "-w",
         "%{http_code} %{time_total} %{time_pretransfer}", url],
        capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"curl failed: {out.stderr}")
    code, total, pretransfer = out.stdout.split()
    if code != "201":
        raise RuntimeError(f"curl got HTTP {code}")
    seconds = float(total) - float(pretransfer)
    return {"seconds": seconds, "server_cpu": (cpu_seconds(server.pid) - cpu0) / wall,
            "cpu": children_cpu() - curl0}


def measure(size: int, server: Server, workdir: Path, repeat: int, block_size: int,
            chunk_size: int, keep: bool, switch_interval: float) -> dict[str, Any]:
    path = workdir / f"bench-{size}.mp4"
    print(f"\n== {human(size)}: writing {path.name} ...", flush=True)
    digest = make_file(path, size)
    sink = f"{server.base_url}/__sandbox__/sink"
    runs: dict[str, list[dict[str, Any]]] = {"client": [], "curl": [], "httpx_raw": [],
                                             "ideal_chunked": [], "sha256_only": []}
    try:
        for i in range(repeat):
            a = run_child(["_client", server.base_url, server.token, str(path),
                           str(block_size), str(chunk_size), str(switch_interval)], server)
            got = server.received(a["publish_id"])
            if got["sha256"] != digest or got["size"] != size or not got["complete"]:
                raise RuntimeError(f"client upload arrived damaged: {got}")
            runs["client"].append(a)
            runs["curl"].append(run_curl(sink, path, server))
            c = run_child(["_raw", sink, str(path), str(block_size)], server)
            if c["status"] != 201 or c["reply"].get("sha256") != digest:
                raise RuntimeError(f"raw PUT failed: {c}")
            runs["httpx_raw"].append(c)
            d = run_child(["_ideal", server.base_url, server.token, str(path),
                           str(chunk_size)], server)
            if server.received(d["publish_id"])["sha256"] != digest:
                raise RuntimeError("ideal chunked upload arrived damaged")
            runs["ideal_chunked"].append(d)
            runs["sha256_only"].append({"seconds": server.hash_seconds(size)})
            print(f"   run {i + 1}/{repeat}: " + ", ".join(
                f"{k} {size / r[-1]['seconds'] / 1e6:,.0f} MB/s" for k, r in runs.items()),
                flush=True)
    finally:
        if not keep:
            path.unlink(missing_ok=True)
    out: dict[str, Any] = {"size": size, "runs": repeat}
    for key, rs in runs.items():
        seconds = statistics.median(r["seconds"] for r in rs)
        out[key] = {
            "seconds": round(seconds, 4),
            "mb_per_s": round(size / seconds / 1e6, 1),
        }
        if "server_cpu" in rs[0]:
            out[key]["server_cpu"] = round(statistics.median(r["server_cpu"] for r in rs), 2)
        if "cpu" in rs[0]:
            out[key]["client_cpu"] = round(statistics.median(r["cpu"] / r["seconds"]
                                                             for r in rs), 2)
    peak_kb = max(max(r["ru_maxrss_kb"], r["vmhwm_kb"] or 0) for r in runs["client"])
    out["client"]["peak_rss_mb"] = round(peak_kb * 1024 / 1e6, 1)
    out["client"]["requests"] = runs["client"][0]["requests"]
    out["client"]["retries"] = sum(r["retries"] for r in runs["client"])
    raw_kb = max(max(r["ru_maxrss_kb"], r["vmhwm_kb"] or 0) for r in runs["httpx_raw"])
    out["httpx_raw"]["peak_rss_mb"] = round(raw_kb * 1024 / 1e6, 1)
    out["ratio_a_b"] = round(out["client"]["mb_per_s"] / out["curl"]["mb_per_s"], 3)
    out["ratio_a_c"] = round(out["client"]["mb_per_s"] / out["httpx_raw"]["mb_per_s"], 3)
    # Context, not a target: how close the client gets to what the server allows with this
    # chunk plan, and what that ceiling is relative to curl.
    out["ratio_a_d"] = round(out["client"]["mb_per_s"] / out["ideal_chunked"]["mb_per_s"], 3)
    out["ratio_d_b"] = round(out["ideal_chunked"]["mb_per_s"] / out["curl"]["mb_per_s"], 3)
    out["ratio_b_e"] = round(out["curl"]["mb_per_s"] / out["sha256_only"]["mb_per_s"], 3)
    # CPU seconds per GiB sent (client process vs curl's whole process).
    gib = size / 2**30
    for key in ("client", "curl", "httpx_raw"):
        if "client_cpu" in out[key]:
            out[key]["cpu_s_per_gib"] = round(out[key]["client_cpu"] * out[key]["seconds"]
                                              / gib, 3)
    # Issue 16's restated targets: the sandbox's single-threaded SHA-256 caps every path, so
    # the client can at best tie one curl stream.
    out["targets_met"] = {
        "a_b>=0.95": out["ratio_a_b"] >= 0.95,
        "cpu<=curl": out["client"].get("cpu_s_per_gib", 0.0)
        <= out["curl"].get("cpu_s_per_gib", 0.0),
        "a_c>=0.9": out["ratio_a_c"] >= 0.9,
        "rss<=100MB": out["client"]["peak_rss_mb"] <= RSS_TARGET_MB,
    }
    return out


def print_table(results: list[dict[str, Any]]) -> None:
    print()
    header = (f"{'size':>8}  {'path':<22} {'MB/s':>9} {'seconds':>8} {'client cpu':>10} "
              f"{'server cpu':>10} {'peak RSS':>9}")
    print(header)
    print("-" * len(header))
    names = {"client": "(a) client chunked", "curl": "(b) curl -T", "httpx_raw":
             "(c) raw httpx PUT", "ideal_chunked": "(d) ideal chunked",
             "sha256_only": "(e) sha256 only"}
    for res in results:
        for key, name in names.items():
            r = res[key]
            rss = f"{r['peak_rss_mb']:.1f} MB" if "peak_rss_mb" in r else "-"
            cpu = f"{r['client_cpu']:.2f}" if "client_cpu" in r else "-"
            server_cpu = f"{r['server_cpu']:.2f}" if "server_cpu" in r else "-"
            print(f"{human(res['size']):>8}  {name:<22} {r['mb_per_s']:>9,.1f} "
                  f"{r['seconds']:>8.3f} {cpu:>10} {server_cpu:>10} {rss:>9}")
        met = res["targets_met"]
        print(f"{'':>8}  a/b = {res['ratio_a_b']:.3f} ({'ok' if met['a_b>=0.95'] else 'MISSED'}"
              f" >= 0.95)   a/c = {res['ratio_a_c']:.3f} "
              f"({'ok' if met['a_c>=0.9'] else 'MISSED'} >= 0.9)   "
              f"RSS {'ok' if met['rss<=100MB'] else 'MISSED'} (<= 100 MB)   CPU s/GiB "
              f"{res['client'].get('cpu_s_per_gib', 0):.2f} vs curl "
              f"{res['curl'].get('cpu_s_per_gib', 0):.2f} "
              f"({'ok' if met['cpu<=curl'] else 'MISSED'} <= curl)")
        print(f"{'':>8}  context: a/d = {res['ratio_a_d']:.3f} (client vs ideal chunked), "
              f"d/b = {res['ratio_d_b']:.3f} (ceiling of this chunk plan vs curl), "
              f"b/e = {res['ratio_b_e']:.3f} (curl vs the hash alone)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_serve":
        serve(argv[1])
        return 0
    if argv and argv[0] == "_client":
        client_upload(argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]), float(argv[6]),
                      int(argv[7]))
        return 0
    if argv and argv[0] == "_ideal":
        ideal_chunked(argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]))
        return 0
    if argv and argv[0] == "_raw":
        raw_put(argv[1], argv[2], int(argv[3]), int(argv[4]))
        return 0

    from tiktok_desktop.app import GIL_SWITCH_INTERVAL  # the window's (imports Qt)
    from tiktok_desktop.tiktok.upload import DEFAULT_BLOCK_SIZE

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1GiB,4GB",
                        help="comma-separated file sizes (default: 1GiB,4GB; 4GB is the "
                             "largest TikTok takes)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--block-size", type=parse_size, default=DEFAULT_BLOCK_SIZE,
                        help="read block for (a) and (c) (default: the client's default)")
    parser.add_argument("--chunk-size", type=parse_size, default=0,
                        help="EXPERIMENT: override the client's chunk plan (default: the plan)")
    parser.add_argument("--switch-interval", type=float, default=GIL_SWITCH_INTERVAL,
                        help="the client's GIL switch interval in seconds (default: the "
                             f"window's, {GIL_SWITCH_INTERVAL}; Python's own is 0.005)")
    parser.add_argument("--keep-files", action="store_true",
                        help="keep the temp dir with the test files")
    parser.add_argument("--tmpdir", default=None, help="where to create the temp dir")
    args = parser.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    if shutil.which("curl") is None:
        parser.error("curl is not installed")

    workdir = Path(tempfile.mkdtemp(prefix="bench_upload_", dir=args.tmpdir))
    server = Server(workdir / "sandbox-state")
    results: list[dict[str, Any]] = []
    try:
        print(f"sandbox {server.base_url} (pid {server.pid}); temp dir {workdir}; "
              f"block size {args.block_size}; client GIL switch interval "
              f"{args.switch_interval * 1000:g} ms; {args.repeat} run(s) per figure"
              + (f"; EXPERIMENT chunk size {args.chunk_size}" if args.chunk_size else ""))
        for size in sizes:
            results.append(measure(size, server, workdir, args.repeat, args.block_size,
                                   args.chunk_size, args.keep_files, args.switch_interval))
    finally:
        server.close()
        if args.keep_files:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(results)
    summary = {
        "block_size": args.block_size,
        "chunk_size_override": args.chunk_size or None,
        "switch_interval": args.switch_interval,
        "repeat": args.repeat,
        "results": results,
        "all_targets_met": all(all(r["targets_met"].values()) for r in results),
    }
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
