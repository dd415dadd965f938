"""waitress's HTTP channel without the main loop's busy wait (issue 24).

A task thread writes its response through ``HTTPChannel.write_soon``, which appends to
the output buffer and sends it at once, holding the buffer's lock; if it cannot send
everything (the socket is full) it pulls the loop's trigger. Meanwhile waitress's
``writable()`` is true as soon as the buffer holds a byte, so the main loop, getting
the GIL while the task thread is between appending and sending, registers the socket
for POLLOUT, ``poll(2)`` answers at once, ``handle_write`` finds the lock taken and
sends nothing, and the loop turns again — walking every connection's
``readable()``/``writable()`` each time — until the task thread gets the GIL back.
With 8 keep-alive connections that was 6–14 loop turns per request instead of 2
(``bench/waitress_floor.py``), CPU taken from the threads the loop waits for.

``Channel.writable()`` is false while a task thread is inside ``write_soon`` for a
request of this channel: that thread sends the bytes itself and pulls the trigger
when some are left, and the loop looks again then. It stays true when the buffer is
over ``outbuf_high_watermark`` (the task thread then waits for the loop to send) and
when the connection is to be closed, as before.
"""

from __future__ import annotations

from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer


class Channel(HTTPChannel):
    _task_writing = False

    def write_soon(self, data: Any) -> int:
        self._task_writing = True
        try:
            written: int = super().write_soon(data)
        finally:
            self._task_writing = False
        return written

    def writable(self) -> bool:
        if self.will_close or self.close_when_flushed:
            return True
        if not self.total_outbufs_len:
            return False
        # the task thread is sending these bytes itself (it pulls the trigger if it cannot)
        return not (self._task_writing and self.requests and self.total_outbufs_len <= self.adj.outbuf_high_watermark)


def use_channel(server: BaseWSGIServer | MultiSocketServer) -> Any:
    """Make the listening server(s) accept connections as ``Channel``; returns ``server``."""
    listeners = server.map.values() if isinstance(server, MultiSocketServer) else [server]
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = Channel
    return server
