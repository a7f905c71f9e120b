"""The AMI wire format, without panoramisk: the guard every header passes, and the
bulk path's rendering of actions to bytes and reading of replies by ActionID.

`asterisk.ami` is the adapter that uses it; nothing else should need this module.
"""

import asyncio
from itertools import chain

# Asterisk refuses header lines over 1022 characters (and drops the value).
MAX_HEADER = 1000


def check_action(action: dict[str, str]) -> None:
    """The second guard: no header may carry a line break (a new header or action) or be too long."""
    for name, value in action.items():
        text = f"{name}: {value}"
        # Plain `in` tests: this runs for every one of 300,000 actions in a full sync.
        if "\r" in text or "\n" in text or "\x00" in text:
            raise ValueError(f"refusing to send an AMI header with a line break or NUL: {name}")
        if len(text) > MAX_HEADER:
            raise ValueError(f"refusing to send an AMI header longer than {MAX_HEADER} characters: {name}")


# Reply statuses that mean the action was carried out (the same as panoramisk's).
_SUCCESS = frozenset({"Success", "Follows", "Goodbye"})
# Actions answered by a list of events: `send` reads those, the bulk path does not.
_LISTS = frozenset({"dbget", "dbgettree"})
_END = "\r\n\r\n"


class Reply:
    """One reply read by the bulk path: its headers, looked up by name in any case.

    Enough of panoramisk's Message for judging a reply (`success`, `get`), at
    a fraction of its cost: a full sync reads 300,000 replies, and the text of
    one is parsed only when a header is asked for.
    """

    __slots__ = ("_headers", "text")

    def __init__(self, text: str):
        self.text = text  # without the blank line that ends it
        self._headers: dict[str, str | list[str]] | None = None

    @property
    def headers(self) -> dict[str, str | list[str]]:
        """Names in lower case; a header that comes more than once (`Output`) is a list."""
        if self._headers is None:
            self._headers = _parse_headers(self.text)
        return self._headers

    @property
    def success(self) -> bool:
        # Asterisk starts a response with its status: the common answer needs no parsing.
        return self.text.startswith("Response: Success\r\n") or self.headers.get("response") in _SUCCESS

    def get(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    def __getitem__(self, name: str):
        return self.headers[name.lower()]

    def __repr__(self) -> str:
        return f"<Reply {self.headers!r}>"


def _parse_headers(text: str) -> dict[str, str | list[str]]:
    headers: dict[str, str | list[str]] = {}
    for line in text.split("\r\n"):
        name, sep, value = line.partition(": ")
        if not sep:
            continue  # a blank line, or a legacy `--END COMMAND--`
        name = name.lower()
        held = headers.get(name)
        if held is None:
            headers[name] = value
        elif isinstance(held, list):
            held.append(value)
        else:
            headers[name] = [held, value]
    return headers


def check_actions(actions: list[dict[str, str]]) -> None:
    """`check_action` on every header of many actions, in a few passes over their text at once.

    The batch passes when no name or value holds a CR, LF or NUL and the longest
    name and the longest value together fit a header line. Otherwise every
    action goes through `check_action`, which refuses the header by name.
    """
    names = set(chain.from_iterable(actions))
    values = list(chain.from_iterable(map(dict.values, actions)))
    try:
        text = "".join(names) + "".join(values)
    except TypeError:  # a name or value that is not text yet: check_action formats it
        text = "\n"
    if (
        "\r" in text
        or "\n" in text
        or "\x00" in text
        or max(map(len, names), default=0) + 2 + max(map(len, values), default=0) > MAX_HEADER
    ):
        for action in actions:
            check_action(action)


def check_bulk(actions: list[dict[str, str]]) -> None:
    """What the bulk path sends: safe headers, one reply per action, its own ActionIDs."""
    check_actions(actions)
    kinds = {action.get("Action") for action in actions}
    if None in kinds:
        raise ValueError("refusing to send an AMI action without an Action header")
    if any(kind.lower() in _LISTS for kind in kinds):
        raise ValueError(f"the bulk path reads one reply per action; send {sorted(kinds)} with send()")
    if any(name.lower() == "actionid" for name in set(chain.from_iterable(actions))):
        raise ValueError("the bulk path numbers the actions itself: leave ActionID out")


def render(window: list[dict[str, str]], start: int, prefix: str) -> bytes:
    """The wire bytes of a window of actions, the one at `start` numbered `<prefix><start>`."""
    return "".join(
        [
            "\r\n".join([f"{name}: {value}" for name, value in action.items()])
            + f"\r\nActionID: {prefix}{index}{_END}"
            for index, action in enumerate(window, start)
        ]
    ).encode()


class BulkReader(asyncio.Protocol):
    """Reads the connection during a bulk push, in place of panoramisk's protocol.

    Replies carrying the push's ActionIDs are parsed here and handed to
    `on_reply` in the order of the actions; anything else (a reply to a single
    action sent meanwhile) goes on to panoramisk, which gets the connection
    back, with any unread text, when the push ends.
    """

    def __init__(self, protocol: asyncio.Protocol, prefix: str, actions: list[dict], on_reply, encoding: str):
        self.protocol = protocol
        self.prefix = prefix
        self.actions = actions
        self.on_reply = on_reply
        self.encoding = encoding
        self.replies: list[Reply | None] = [None] * len(actions)
        self.delivered = 0
        self.error: BaseException | None = None
        self.waiter: asyncio.Future | None = None
        self.target = 0
        # panoramisk keeps the start of a reply not yet complete in its queue.
        self.unread = "".join(protocol.queue).encode(encoding)
        protocol.queue.clear()

    def hand_back(self, transport: asyncio.Transport) -> None:
        transport.set_protocol(self.protocol)
        self.protocol.queue.append(self.unread.decode(self.encoding, "ignore"))

    def until(self, count: int) -> asyncio.Future:
        """A future done once the first `count` replies are handed over (or one was refused)."""
        self.waiter = asyncio.get_running_loop().create_future()
        self.target = count
        self._settle()
        return self.waiter

    def _settle(self) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.error is not None:
            waiter.set_exception(self.error)
        elif self.delivered >= self.target:
            waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        complete, end, self.unread = (self.unread + data).rpartition(_END.encode())
        if not end:
            return
        prefix, replies, count = self.prefix, self.replies, len(self.replies)
        marker = f"ActionID: {prefix}"
        skip = len(marker)
        for block in complete.decode(self.encoding, "replace").split(_END):
            # Asterisk echoes `ActionID: <id>` as sent: find it without parsing the reply.
            at = block.find(marker)
            if at == 0 or (at > 0 and block[at - 1] == "\n"):
                end = block.find("\r", at)
                number = block[at + skip : end] if end > 0 else block[at + skip :]
            else:
                # Another spelling of the header, or not a reply of this push.
                action_id = Reply(block).get("ActionID", "")
                number = action_id[len(prefix) :] if action_id.startswith(prefix) else ""
            if number.isdecimal() and (index := int(number)) < count:
                replies[index] = Reply(block)
            elif block.strip():
                self.protocol.data_received((block + _END).encode(self.encoding))
        self._deliver()
        self._settle()

    def _deliver(self) -> None:
        """Hand over the replies that have arrived, in the order of the actions."""
        if self.error is not None:
            return  # the push has failed: the rest is still read, to keep the text in step, but not judged
        replies, actions, on_reply = self.replies, self.actions, self.on_reply
        index, count = self.delivered, len(replies)
        try:
            while index < count and (reply := replies[index]) is not None:
                replies[index] = None  # handed over: keep nothing
                on_reply(actions[index], reply)
                index += 1
        except Exception as e:  # raised again by the push that waits for these replies
            self.error = e
        self.delivered = index

    # The connection's life stays panoramisk's business.
    def connection_lost(self, exc):
        self.protocol.connection_lost(exc)

    def eof_received(self):
        return self.protocol.eof_received()

    def pause_writing(self):
        self.protocol.pause_writing()

    def resume_writing(self):
        self.protocol.resume_writing()
