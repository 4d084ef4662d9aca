#!/usr/bin/env bash
# Make sure RabbitMQ (5672) and Redis (6379) answer; start whichever does not. Never stops anything,
# unless called with --revive (CI only, .ci/run): then a broker that accepts TCP but no longer speaks AMQP
# (wedged: out of sockets, frozen) is restarted, saying so, since the whole suite would otherwise hang.
#
# "Answers" means the protocol answers, not only the port: the kernel completes a TCP handshake into the
# listen backlog even when the process never accepts, so a port check passes for a wedged broker.
set -u
# The ports are the shared services' (DESIGN.md §9); overridable only so that a test can point this script
# at a listener or a private node of its own (test/scripts/services*.test.ts). --revive acts on the shared
# broker's port only, unless SERVICES_REVIVE_ANY_PORT=1 (the revive test: a stand-in listener of its own
# on another port, started again by SERVICES_RABBIT_START).
rabbit_port=${SERVICES_RABBIT_PORT:-5672}
redis_port=${SERVICES_REDIS_PORT:-6379}
patience=${SERVICES_PATIENCE_S:-30}
# How a broker is started: the machine's own command; a test of --revive gives a stand-in of its own.
rabbit_start=${SERVICES_RABBIT_START:-rabbitmq-server -detached}
# RabbitMQ sizes its file-descriptor budget from the soft limit it starts with. Debian's default soft limit
# (1,024: 927 file handles, 832 sockets) is used up by a few hundred quorum queues, such as killed test runs
# leave behind (3 handles each), and then the node accepts TCP and answers nothing, with few descriptors
# really open: the budget is RabbitMQ's own accounting (measured on 3.10, the closing note of stop 13). It starts
# with the hard limit instead, as RabbitMQ's production checklist asks (65,536 or more where allowed),
# unless its start command resets it (Debian's wrapper runs it through su: see the warning at the end).
start_rabbit() { bash -c "ulimit -n \$(ulimit -Hn) 2>/dev/null; $rabbit_start" >/dev/null 2>&1; }
revive=0
[ "${1:-}" = "--revive" ] && revive=1

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# AMQP 0-9-1: after the protocol header a live broker sends connection.start, a method frame (type 1).
amqp_answers() {
  local first
  first=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$rabbit_port"' && printf "AMQP\x00\x00\x09\x01" >&3 && head -c 1 <&3 | od -An -tx1' 2>/dev/null)
  [ "${first// /}" = "01" ]
}
redis_answers() {
  local reply
  reply=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$redis_port"' && printf "PING\r\n" >&3 && head -c 5 <&3' 2>/dev/null)
  [ "$reply" = "+PONG" ]
}
wait_for() {
  # Bounded by the clock, not by a count of tries: a probe that times out takes 5 s itself.
  local probe=$1 name=$2 seconds=$3
  local end=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$end" ]; do "$probe" && return 0; sleep 1; done
  echo "services: $name did not answer within ${seconds}s" >&2
  return 1
}
# The pid listening on a port (the shared service's, whatever started it).
listener_pid() { ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
# A process's soft "Max open files" limit, from /proc (empty when unreadable).
soft_fd_limit() { awk '/Max open files/ {print $4}' "/proc/$1/limits" 2>/dev/null; }
rabbit_report() {
  echo "services: what the broker and the machine say:" >&2
  [ "$rabbit_port" = 5672 ] &&
    timeout 20 rabbitmq-diagnostics -q status 2>&1 | grep -iA3 'file descriptors\|alarms\|free disk' | sed 's/^/  /' >&2
  # Read from /proc, which answers when the node does not: a node at its descriptor limit is the usual cause.
  local pid
  pid=$(listener_pid "$rabbit_port")
  [ -n "$pid" ] && echo "  open file descriptors: $(ls "/proc/$pid/fd" 2>/dev/null | wc -l) (soft limit: $(soft_fd_limit "$pid"))" >&2
  df -h / | sed 's/^/  /' >&2
}

if ! redis_answers; then
  if port_open $redis_port; then
    if ! wait_for redis_answers Redis "$patience"; then
      echo "services: something holds port $redis_port but does not answer PING" >&2
      if [ "$revive" -eq 0 ] || [ "$redis_port" != 6379 ]; then exit 1; fi
      pid=$(listener_pid "$redis_port")
      echo "services: --revive: killing the wedged Redis (pid ${pid:-unknown}) and starting it again" >&2
      [ -n "$pid" ] && kill -KILL "$pid"
      for _ in $(seq 1 30); do port_open $redis_port || break; sleep 1; done
      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
      wait_for redis_answers Redis 60 || exit 1
    fi
  else
    echo "services: starting redis-server"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    wait_for redis_answers Redis 60 || exit 1
  fi
fi

if ! amqp_answers; then
  if ! port_open $rabbit_port; then
    echo "services: starting rabbitmq-server"
    start_rabbit
    wait_for amqp_answers RabbitMQ 120 || exit 1
  elif ! wait_for amqp_answers RabbitMQ "$patience"; then
    echo "services: RabbitMQ accepts TCP on $rabbit_port but does not answer the AMQP protocol header (wedged)" >&2
    rabbit_report
    if [ "$revive" -eq 0 ] || { [ "$rabbit_port" != 5672 ] && [ "${SERVICES_REVIVE_ANY_PORT:-}" != 1 ]; }; then
      echo "services: restart it (rabbitmqctl stop; rabbitmq-server -detached) and run again" >&2
      exit 1
    fi
    pid=$(listener_pid "$rabbit_port")
    echo "services: --revive: restarting the wedged broker (pid ${pid:-unknown})" >&2
    # A frozen node answers no rabbitmqctl either: then the process listening on the port is killed.
    if [ "$rabbit_port" = 5672 ]; then timeout 20 rabbitmqctl stop >/dev/null 2>&1 || kill -KILL "${pid:-0}" 2>/dev/null
    else kill -KILL "${pid:-0}" 2>/dev/null; fi
    for _ in $(seq 1 30); do port_open $rabbit_port || break; sleep 1; done
    start_rabbit
    wait_for amqp_answers RabbitMQ 120 || exit 1
  fi
fi

# RabbitMQ blocks every publisher below its disk watermark (50 MB here); say so before the tests hang on it.
free_mb=$(df -Pm / | awk 'NR==2 {print $4}')
if [ "${free_mb:-0}" -lt 1024 ]; then
  echo "services: warning: only ${free_mb} MB free on /; RabbitMQ blocks publishers below its disk watermark" >&2
fi
echo "services: RabbitMQ and Redis answer"
# The broker's descriptor budget (see start_rabbit). Debian's wrapper starts the node through su, whose
# pam_limits puts the soft limit back to 1,024 whatever the caller's, so say how to raise it for good.
pid=$(listener_pid "$rabbit_port")
soft=$( [ -n "$pid" ] && soft_fd_limit "$pid")
if [ -n "$soft" ] && [ "$soft" != unlimited ] && [ "$soft" -lt 4096 ]; then
  echo "services: warning: RabbitMQ runs with a soft limit of $soft file descriptors; a few hundred quorum" \
    "queues use them up and the node stops answering. Add 'ulimit -S -n \"\$(ulimit -H -n)\"' to" \
    "/etc/rabbitmq/rabbitmq-env.conf and restart it (rabbitmqctl stop; rabbitmq-server -detached)"
fi
