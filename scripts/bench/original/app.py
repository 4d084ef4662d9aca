"""The original Bloodbank's HTTP path for POST /events/custom, the gateway bench's peer row.

Rebuilt from ../shared/reference/original-bloodbank.md (§2.2 Publisher, §3.1 HTTP): FastAPI, an aio-pika
robust connection with publisher confirms, the topic exchange declared durable, the body published
verbatim with routing key = body.event_type, persistent, message_id = event_id, content type/encoding,
not mandatory, awaiting the confirm; the answer {"status": "published", "event_id": …}. No validation,
as in the original. One difference, forced: the original serialises with orjson, which Debian does not
package; the standard library's json does the same job here (a few µs for a 2 KB envelope).

Run by scripts/bench/gateway.ts with Debian's python3-fastapi, python3-uvicorn and python3-aio-pika:
  RABBIT_URL=… EXCHANGE_NAME=… /usr/bin/python3 -m uvicorn app:app --app-dir scripts/bench/original --port N
"""

import json
import os
import uuid

import aio_pika
from fastapi import FastAPI, HTTPException

app = FastAPI(title="bloodbank", version="0.2.0")
state = {}


@app.on_event("startup")
async def start() -> None:
    connection = await aio_pika.connect_robust(os.environ["RABBIT_URL"], timeout=10)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange(
        os.environ["EXCHANGE_NAME"], aio_pika.ExchangeType.TOPIC, durable=True
    )
    state.update(connection=connection, channel=channel, exchange=exchange)


@app.on_event("shutdown")
async def stop() -> None:
    if "connection" in state:
        await state["connection"].close()


@app.post("/events/custom")
async def custom(body: dict):
    try:
        routing_key = body.get("event_type")
        if not routing_key:
            raise HTTPException(status_code=400, detail="Missing event_type")
        event_id = uuid.UUID(body["event_id"]) if body.get("event_id") else None
        message = aio_pika.Message(
            body=json.dumps(body).encode(),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(event_id) if event_id else body.get("id"),
            correlation_id=body.get("correlation_id"),
            content_type="application/json",
            content_encoding="utf-8",
        )
        await state["exchange"].publish(message, routing_key=routing_key)
        return {"status": "published", "event_id": body.get("event_id")}
    except Exception as error:  # the original's blanket handler: every failure is a 500
        raise HTTPException(status_code=500, detail=str(error))
