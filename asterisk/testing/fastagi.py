"""Asterisk's side of a FastAGI call, over real TCP, for the hot-desk tests.

It answers like a stock Asterisk with only the core sounds installed: a prompt
outside the core set makes GET DATA answer -1 and STREAM FILE `-1 endpos=0`.
"""

import socket
from pathlib import Path

CORE_PROMPTS = frozenset(
    line.strip()
    for line in (Path(__file__).parent / "data" / "asterisk-core-sounds-en.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)


class FakeAsterisk:
    """One FastAGI call: sends the agi_ headers, answers each command, records what it was asked."""

    def __init__(
        self,
        port: int,
        script: str,
        callerid: str,
        arg: str = "",
        digits: list[str] | None = None,
        channel: str | None = None,
        arg2: str = "",
    ):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rwb")
        self.digits = list(digits or [])
        self.commands: list[str] = []
        headers = {
            "agi_network": "yes",
            "agi_network_script": script,
            "agi_request": f"agi://127.0.0.1:{port}/{script}",
            "agi_channel": channel if channel is not None else f"PJSIP/{callerid}-00000001",
            "agi_callerid": callerid,
            "agi_calleridname": "device",
            "agi_context": "sub-user-logon",
            "agi_extension": "s",
            "agi_priority": "3",
        }
        if arg:
            headers["agi_arg_1"] = arg
        if arg2:
            headers["agi_arg_2"] = arg2
        self.file.write("".join(f"{k}: {v}\n" for k, v in headers.items()).encode() + b"\n")
        self.file.flush()

    def _reply(self, command: str) -> str:
        words = command.split()
        prompt = words[2] if len(words) > 2 else ""
        if command.startswith("GET DATA"):
            if prompt not in CORE_PROMPTS:
                return "200 result=-1"
            return f"200 result={self.digits.pop(0)}" if self.digits else "200 result= (timeout)"
        if command.startswith("STREAM FILE") and prompt not in CORE_PROMPTS:
            return "200 result=-1 endpos=0"
        return "200 result=0 endpos=8000"

    def run(self) -> list[str]:
        """Answer commands until the service hangs up; return what it asked for."""
        while line := self.file.readline():
            command = line.decode().strip()
            self.commands.append(command)
            self.file.write(self._reply(command).encode() + b"\n")
            self.file.flush()
        self.sock.close()
        return self.commands


def played(commands: list[str]) -> list[str]:
    return [c.split()[2] for c in commands if c.startswith("STREAM FILE")]


def asked(commands: list[str]) -> list[str]:
    return [c.split()[2] for c in commands if c.startswith("GET DATA")]
