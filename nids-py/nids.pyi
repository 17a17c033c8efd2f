"""Type hints for the `nids` module (nids-rs): pynids' API and nids.Capture."""

import os
from types import TracebackType
from typing import Callable, Iterable, Iterator, Literal, Optional, Sequence, Tuple, Type, Union

__version__: str
__nids_version__: str

Endpoint = Tuple[str, int]
Addr = Tuple[Endpoint, Endpoint]
"""((src, sport), (dst, dport)): for TCP the client (sender of the SYN) first."""

NIDS_JUST_EST: int
NIDS_DATA: int
NIDS_CLOSE: int
NIDS_RESET: int
NIDS_TIMED_OUT: int
NIDS_TIMEOUT: int
NIDS_EXITING: int

class error(Exception):
    """A capture that cannot be opened or read, a call out of order, or a
    TcpStream used after its callback."""

class HalfStream:
    """One direction of a TcpStream; valid only during its callback."""

    @property
    def state(self) -> int:
        """libnids' TCP state: 1 established, 2 SYN sent, 3 SYN received,
        7 closed, 11 closing, 120 FIN sent, 121 FIN confirmed."""
    @property
    def data(self) -> bytes:
        """The whole buffer, as pynids: the count - offset available bytes (kept
        ones, then new ones) first, then unused space (bufsize bytes)."""
    @property
    def urgdata(self) -> bytes:
        """The last urgent byte."""
    @property
    def count(self) -> int:
        """Bytes received in order so far."""
    @property
    def offset(self) -> int:
        """Bytes of count no longer available."""
    @property
    def count_new(self) -> int:
        """Bytes new in this callback (the last ones of data)."""
    @property
    def count_new_urg(self) -> int:
        """1 when this callback delivers an urgent byte."""
    collect: int
    """Collect this half's bytes (set in the NIDS_JUST_EST callback)."""
    collect_urg: int
    """Collect this half's urgent bytes."""

class TcpStream:
    """A TCP stream given to the register_tcp callback; valid only during it."""

    @property
    def addr(self) -> Addr: ...
    @property
    def nids_state(self) -> int:
        """NIDS_JUST_EST, NIDS_DATA, NIDS_CLOSE, NIDS_RESET, NIDS_TIMED_OUT or NIDS_EXITING."""
    @property
    def client(self) -> HalfStream:
        """What the client receives (server to client bytes)."""
    @property
    def server(self) -> HalfStream:
        """What the server receives (client to server bytes)."""
    def discard(self, n: int) -> None:
        """Keep all but the first n available bytes for the next callback."""
    def kill(self) -> None:
        """Reset the connection (libnids' nids_killtcp)."""

ParamValue = Union[int, str, None]

def param(name: str, value: Union[int, str, bytes, "os.PathLike[str]", None] = ...) -> ParamValue:
    """Read a libnids parameter, or set it and return the old value. An
    unknown name returns None with a UserWarning, as pynids returned None."""

def init(*, tunnels: bool = False) -> int:
    """Open the capture named by param("filename"); returns 1. Tunnels are
    decoded only with tunnels=True (libnids decodes none)."""

def register_tcp(f: Optional[Callable[[TcpStream], object]]) -> None: ...
def register_udp(f: Optional[Callable[[Addr, bytes, bytes], object]]) -> None: ...
def register_ip(f: Optional[Callable[[bytes], object]]) -> None: ...
def register_ip_frag(f: Optional[Callable[[bytes], object]]) -> None: ...
def run() -> None:
    """Read every remaining packet, then end open streams with NIDS_EXITING."""

def next() -> int:
    """Process one packet: 1, or 0 at the end of the capture."""

def dispatch(n: int) -> int:
    """Process up to n packets (all if n <= 0); returns how many."""

def exit() -> None:
    """End open streams with NIDS_EXITING and close the capture."""

def getfd() -> int: ...
def chksum_ctl(rules: Iterable[Tuple[str, bool]]) -> None:
    """[(network, verify), ...]: the first network holding a packet's source decides."""

def get_pkt_ts() -> float: ...
def community_id(proto: int, src: str, sport: int, dst: str, dport: int, seed: int = 0) -> str:
    """A flow's Community ID (version 1); for ICMP, sport is the type and dport the code."""

def get_pcap_stats() -> Tuple[int, int, int]: ...

class StreamStart:
    """A TCP stream completed its handshake."""

    __match_args__ = ("addr", "ts")
    @property
    def addr(self) -> Addr: ...
    @property
    def ts(self) -> float: ...
    def community_id(self, seed: int = 0) -> str:
        """The flow's Community ID (version 1), as Zeek and Suricata log it."""

class StreamData:
    """New in-order bytes of a stream."""

    __match_args__ = ("addr", "direction", "data")
    @property
    def addr(self) -> Addr: ...
    @property
    def direction(self) -> Literal["c2s", "s2c"]: ...
    @property
    def data(self) -> bytes: ...
    @property
    def urgent(self) -> bool: ...
    @property
    def ts(self) -> float: ...
    def community_id(self, seed: int = 0) -> str:
        """The flow's Community ID (version 1), as Zeek and Suricata log it."""

class StreamEnd:
    """A stream ended."""

    __match_args__ = ("addr", "reason")
    @property
    def addr(self) -> Addr: ...
    @property
    def reason(self) -> Literal["close", "reset", "timeout", "exiting"]: ...
    @property
    def c2s_bytes(self) -> int: ...
    @property
    def s2c_bytes(self) -> int: ...
    @property
    def first_ts(self) -> float: ...
    @property
    def ts(self) -> float: ...
    def community_id(self, seed: int = 0) -> str:
        """The flow's Community ID (version 1), as Zeek and Suricata log it."""

class Datagram:
    """A UDP datagram (Capture(..., udp=True))."""

    __match_args__ = ("addr", "payload")
    @property
    def addr(self) -> Addr: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def ts(self) -> float: ...
    def community_id(self, seed: int = 0) -> str:
        """The flow's Community ID (version 1), as Zeek and Suricata log it."""

Event = Union[StreamStart, StreamData, StreamEnd, Datagram]

class ArrowTable:
    """Rows as an Arrow stream (the Arrow PyCapsule interface)."""

    def __arrow_c_stream__(self, requested_schema: object = None) -> object: ...
    def __arrow_c_schema__(self) -> object: ...
    def __len__(self) -> int: ...

class ArrowBatch:
    """One record batch (the Arrow PyCapsule interface)."""

    def __arrow_c_array__(self, requested_schema: object = None) -> Tuple[object, object]: ...
    def __arrow_c_schema__(self) -> object: ...
    def __len__(self) -> int: ...

class RecordBatches(Iterator[ArrowBatch]):
    """Capture.record_batches(): record batches as the capture's events come."""

    def __iter__(self) -> "RecordBatches": ...
    def __next__(self) -> ArrowBatch: ...

class Capture(Iterator[Event]):
    """Events from a capture file, in the order the engine reports them.

    checksums: "auto" (the default: verify, but accept what senders with
    checksum offload leave unfilled), True or "verify" (all, as libnids),
    False or "off" (none), or [(network, verify), ...]."""

    def __init__(
        self,
        source: Union[str, "os.PathLike[str]"],
        *,
        udp: bool = False,
        ports: Optional[Sequence[int]] = None,
        urgent: bool = False,
        checksums: Union[bool, str, Iterable[Tuple[str, bool]], None] = None,
        max_streams: Optional[int] = None,
        flow_timeout: int = 3600,
        midstream: bool = False,
        skip_gaps: bool = False,
        tunnels: bool = True,
        threads: int = 1,
        end_ts: Optional[float] = None,
    ) -> None: ...
    def __iter__(self) -> "Capture": ...
    def __next__(self) -> Event: ...
    def to_arrow(self, *, community_id_seed: int = 0) -> "ArrowTable":
        """One row per stream (as it ends) or datagram still to come, as Arrow:
        pyarrow.table(t), polars.DataFrame(t). Columns: kind, src, sport, dst,
        dport, end (None for a datagram), c2s_bytes, s2c_bytes, ts, last_ts
        (UTC timestamps, µs), community_id."""
    def record_batches(self, size: int = 65536, *, community_id_seed: int = 0) -> "RecordBatches":
        """The rows of to_arrow(), size at a time: pyarrow.record_batch(b)."""
    def __enter__(self) -> "Capture": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
    def close(self) -> None: ...
    @property
    def path(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    @property
    def stats(self) -> dict: ...
