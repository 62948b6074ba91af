"""How the server refuses a race websocket, as a test sees it through a WebsocketCommunicator."""

from __future__ import annotations

from races.fanout import NO_ACCESS


async def refused(comm) -> bool:
    """Whether the socket was refused for no access: accepted, then closed with 4404 before
    anything was sent (races/fanout.py `refuse`: a browser reads the code, where a refused
    handshake would only say 1006). The communicator is disconnected either way."""
    try:
        connected, _ = await comm.connect()
        if not connected:
            return False
        return await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": NO_ACCESS}
    finally:
        await comm.disconnect()
