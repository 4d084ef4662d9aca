#!/usr/bin/env bash
# Make sure RabbitMQ (5672) and Redis (6379) answer; start whichever does not. Never stops anything.
set -u
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do answers "$port" && return 0; sleep 1; done
  echo "services: $name did not come up on port $port" >&2
  return 1
}
if ! answers 6379; then
  echo "services: starting redis-server"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_for 6379 Redis || exit 1
fi
if ! answers 5672; then
  echo "services: starting rabbitmq-server"
  rabbitmq-server -detached >/dev/null 2>&1
  wait_for 5672 RabbitMQ || exit 1
fi
echo "services: RabbitMQ and Redis answer"
