"""The original Bloodbank's correlation reader, run against keys our TypeScript tracker wrote.

A port of the read side of the original's `event_producers/correlation_tracker.py` (CorrelationTracker:
get_parents, get_children, get_correlation_chain, get_correlation_metadata, debug_dump), as
/work/shared/reference/original-bloodbank.md §2.4 describes it, on the same client (redis.asyncio with
decode_responses=True). Two changes, neither of which alters what is read: `json` stands in for orjson
(same parse), and the client is closed with `close()` (the `aclose()` of redis-py 5 is not in Debian's 4.3).

Usage: original_reader.py <redis-url> <event-id>...  Prints one JSON line: {event_id: debug_dump}.
"""

import asyncio
import json
import sys
from uuid import UUID

import redis.asyncio as redis

PREFIX = "bloodbank:correlation"


class OriginalReader:
    def __init__(self, client):
        self.redis = client

    async def get_parents(self, event_id):
        data = await self.redis.get(f"{PREFIX}:forward:{event_id}")
        if not data:
            return []
        try:
            return [UUID(pid) for pid in json.loads(data)["parent_event_ids"]]
        except (KeyError, ValueError):
            return []

    async def get_children(self, event_id):
        try:
            return [UUID(cid) for cid in await self.redis.smembers(f"{PREFIX}:reverse:{event_id}")]
        except ValueError:
            return []

    async def get_correlation_chain(self, event_id, direction="ancestors", max_depth=100):
        visited = set()
        chain = []

        async def traverse(eid, depth):
            if eid in visited or depth >= max_depth:
                return
            visited.add(eid)
            step = self.get_parents if direction == "ancestors" else self.get_children
            for nxt in await step(eid):
                await traverse(nxt, depth + 1)
            # Post-order; the start node only when it has a link in that direction.
            if eid != event_id or await step(eid):
                chain.append(eid)

        await traverse(event_id, 0)
        return chain

    async def get_correlation_metadata(self, event_id):
        data = await self.redis.get(f"{PREFIX}:forward:{event_id}")
        if not data:
            return None
        return json.loads(data).get("metadata")

    async def debug_dump(self, event_id):
        return {
            "event_id": str(event_id),
            "parents": [str(p) for p in await self.get_parents(event_id)],
            "children": [str(c) for c in await self.get_children(event_id)],
            "ancestors": [str(a) for a in await self.get_correlation_chain(event_id, "ancestors")],
            "descendants": [str(d) for d in await self.get_correlation_chain(event_id, "descendants")],
            "metadata": await self.get_correlation_metadata(event_id),
        }


async def main(url, ids):
    client = redis.from_url(url, decode_responses=True)
    try:
        reader = OriginalReader(client)
        print(json.dumps({i: await reader.debug_dump(UUID(i)) for i in ids}))
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
