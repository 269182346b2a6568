"""umqtt.aio over WebSockets (MQTTClient(transport="websockets") or a ws:// /
wss:// server): the TCP (TLS for wss) connection of the target, then the
core's connection speaks WebSocket on it (``Conn.ws_open``: the upgrade
request first, every write a masked frame, every read unframed, pings and
closes answered; core ``connection::Transport``). Same on both runtimes; see
spec/PYAPI.md "umqtt.aio".
"""
import os

try:
    from umqtt._umqtt import ws_target as target

    def _headers(h):
        return h

except ImportError:
    # MicroPython: the native module of WebSocket connections: (server, port,
    # ssl, transport, ws_path[, ws_headers]) -> (host, port, tls, path or
    # None), ws_headers only checked; ws_headers as (name, value) tuples or
    # TypeError.
    try:
        from umqtt._connws import ws_target as target, ws_headers as _headers
    except ImportError:
        # Without it (a UMQTT_WS=0 build, or left off the board): the
        # blocking client's natives, whose rules say what then (such a build
        # refuses WebSockets: ValueError).
        from umqtt import simple as _s

        _headers = _s._ws_headers

        def target(server, port, ssl, transport, ws_path, ws_headers=None):
            _headers(ws_headers)
            return _s._ws_target(server, port, ssl, transport, ws_path)


async def open(client, transport, ws_path, ws_headers):
    """The streams of a new WebSocket connection for client's server, port
    and ssl; the handshake runs with the CONNECT's wait (message_timeout)."""
    t = target(client.server, client.port, client.ssl, transport, ws_path)
    # Before any I/O: a bad path or header raises here (ValueError).
    client._c.ws_open(t, _headers(ws_headers), os.urandom(16), os.urandom(16))
    return await client._tcp(t[0], t[1], client.ssl or t[2])
