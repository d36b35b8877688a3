"""Real `gridbot run` worker processes in webhook mode behind a real nginx, for e2e and bench."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from bot.sandbox.fakeapi import FakeBotAPI
from tests.fakes.harness import TOKEN
from tests.fakes.webhooks import free_port, health

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cluster-Secret_42"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

NGINX_CONF = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
{user}
events {{ worker_connections 512; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream gridbot {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location /tg/ {{
            proxy_pass http://gridbot;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 1s;
            proxy_read_timeout 10s;
        }}
    }}
}}
"""


def nginx_missing() -> str | None:
    return None if NGINX else "nginx is not installed (Debian: apt-get install -y nginx)"


class Cluster:
    """nginx on one port, `workers` gridbot processes behind it, all on one database."""

    def __init__(
        self,
        tmp: Path,
        fake: FakeBotAPI,
        database_url: str,
        station: str,
        *,
        workers: int = 2,
        frameworks: tuple[str, ...] = ("aiogram", "ptb"),
        module: str = "bot",
        env: dict[str, str] | None = None,
    ) -> None:
        self.tmp, self.fake, self.database_url = tmp, fake, database_url
        self.module, self.env = module, env or {}
        self.station_path = tmp / "station.toml"
        self.station_path.write_text(station, encoding="utf-8")
        self.ports = [free_port() for _ in range(workers)]
        self.frameworks = [frameworks[i % len(frameworks)] for i in range(workers)]
        self.nginx_port = free_port()
        self.url = f"http://127.0.0.1:{self.nginx_port}/tg/hook"
        self.bases = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.procs: list[asyncio.subprocess.Process | None] = [None] * workers
        self.nginx: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 60) -> None:
        await self._start_nginx()
        for i in range(len(self.ports)):
            await self.start_worker(i)
            # The first one up becomes leader; tests rely on knowing a leader exists.
            await self.wait_healthy(i, timeout)

    async def start_worker(self, i: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
        env["PYTHONPATH"] = str(ROOT)
        env.update(self.env)
        log = (self.tmp / f"worker{i}.log").open("ab")
        self.procs[i] = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self.module,
            "run",
            "--token",
            TOKEN,
            "--api-url",
            self.fake.url,
            "--database-url",
            self.database_url,
            "--station",
            str(self.station_path),
            "--framework",
            self.frameworks[i],
            "--webhook-url",
            self.url,
            "--listen",
            f"127.0.0.1:{self.ports[i]}",
            "--webhook-secret",
            SECRET,
            "--send-limits",
            "off",
            "--log-level",
            "info",
            cwd=self.tmp,
            env=env,
            stdout=log,
            stderr=log,
        )
        log.close()

    async def wait_healthy(self, i: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs[i]
            if proc is not None and proc.returncode is not None:
                raise RuntimeError(f"worker {i} exited {proc.returncode}:\n{self.log(i)}")
            if await health(self.bases[i]) is not None and self.fake.bot().webhook.url:
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"worker {i} not healthy after {timeout}s:\n{self.log(i)}")

    async def leader(self, timeout: float = 30) -> int:
        """Index of the worker that says it leads (waits for one)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, base in enumerate(self.bases):
                state = await health(base)
                if state and state.get("leader"):
                    return i
            await asyncio.sleep(0.2)
        raise TimeoutError("no leader")

    def kill(self, i: int) -> None:
        proc = self.procs[i]
        assert proc is not None
        proc.send_signal(signal.SIGKILL)

    async def stop(self) -> list[int | None]:
        """SIGTERM every live worker (the production shutdown path); their exit codes."""
        codes: list[int | None] = []
        for proc in self.procs:
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is None:
                codes.append(None)
                continue
            try:
                codes.append(await asyncio.wait_for(proc.wait(), 30))
            except TimeoutError:
                proc.kill()
                codes.append(await proc.wait())
        if self.nginx is not None and self.nginx.returncode is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                await asyncio.wait_for(self.nginx.wait(), 10)
            except TimeoutError:
                self.nginx.kill()
                await self.nginx.wait()
        return codes

    def log(self, i: int) -> str:
        path = self.tmp / f"worker{i}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] if path.exists() else ""

    async def _start_nginx(self) -> None:
        assert NGINX is not None
        servers = "\n".join(
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in self.ports
        )
        user = "user root root;" if os.geteuid() == 0 else ""
        conf = self.tmp / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(tmp=self.tmp, user=user, servers=servers, port=self.nginx_port),
            encoding="utf-8",
        )
        self.nginx = await asyncio.create_subprocess_exec(
            NGINX,
            "-p",
            str(self.tmp),
            "-c",
            str(conf),
            "-e",
            str(self.tmp / "nginx-error.log"),
            "-g",
            "daemon off;",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.nginx.returncode is not None:
                raise RuntimeError(f"nginx exited: {self._nginx_errors()}")
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.nginx_port)
                writer.close()
                await writer.wait_closed()
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"nginx did not listen: {self._nginx_errors()}")

    def _nginx_errors(self) -> str:
        path = self.tmp / "nginx-error.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
