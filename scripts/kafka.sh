#!/usr/bin/env bash
# Local single-node KRaft Apache Kafka (3.9.x) for development and tests.
#
#   bash scripts/kafka.sh start|stop|status|fetch
#   bash scripts/kafka.sh consume <topic> [--from-beginning] [--max-messages N] [...]
#
# The broker jars come from Maven Central (scripts/kafka/pom.xml) and run on the
# machine's Java; nothing needs to be installed by hand. The same fetch brings
# Kafka's console tools (kafka-tools, same version): `consume` runs
# kafka-console-consumer against KAFKA_BROKERS (default 127.0.0.1:PORT) and
# prints partition, offset, headers, key and value of each message
# (`npm run kafka:consume -- <topic> ...`).
#
#   jars        $REPO/.kafka/libs          (git-ignored; fetched once)
#   data, logs  $LOCAL_KAFKA_DIR           (default $REPO/data/kafka, git-ignored)
#   client port $LOCAL_KAFKA_PORT          (default 19092, 127.0.0.1 only)
#   controller  $LOCAL_KAFKA_CONTROLLER_PORT (default 19093, 127.0.0.1 only)
#   heap        $LOCAL_KAFKA_HEAP_OPTS     (default "-Xms256m -Xmx768m")
#
# start is idempotent: if something already answers Kafka on 127.0.0.1:PORT it
# is reused. start/stop and fetch are serialised with flock, so concurrent
# callers end up with one broker and one download.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$SCRIPT_DIR")

PORT=${LOCAL_KAFKA_PORT:-19092}
CPORT=${LOCAL_KAFKA_CONTROLLER_PORT:-19093}
DIR=$(realpath -m "${LOCAL_KAFKA_DIR:-$REPO/data/kafka}")
HEAP_OPTS=${LOCAL_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
START_TIMEOUT=${LOCAL_KAFKA_START_TIMEOUT:-120}

KAFKA_HOME="$REPO/.kafka"
LIBS="$KAFKA_HOME/libs"
POM="$SCRIPT_DIR/kafka/pom.xml"
MARKER="$LIBS/.fetch-complete"
WAIT_JS="$SCRIPT_DIR/kafka-wait.mjs"

PROPS="$DIR/server.properties"
LOG4J_PROPS="$DIR/log4j.properties"
TOOLS_LOG4J_PROPS="$DIR/tools-log4j.properties"
LOG_DIRS="$DIR/kraft-combined-logs"
CLUSTER_ID_FILE="$DIR/cluster.id"
PIDFILE="$DIR/broker.pid"
LOG="$DIR/broker.log"   # log4j output of the broker
OUT="$DIR/broker.out"   # JVM stdout/stderr (crashes before log4j is up, GC warnings)

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA=java
fi

log() { echo "kafka: $*"; }
err() { echo "kafka: $*" >&2; }
DIE_CODE=1  # status uses 2 so "not running" (1) is distinguishable from an error
die() { err "$*"; exit "$DIE_CODE"; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"
}

validate_ports() {
  [[ "$PORT" =~ ^[0-9]+$ ]] || die "LOCAL_KAFKA_PORT must be a number, got '$PORT'"
  [[ "$CPORT" =~ ^[0-9]+$ ]] || die "LOCAL_KAFKA_CONTROLLER_PORT must be a number, got '$CPORT'"
  [[ "$PORT" != "$CPORT" ]] || die "LOCAL_KAFKA_PORT and LOCAL_KAFKA_CONTROLLER_PORT must differ (both $PORT)"
}

# TCP connect check (no Kafka protocol); cheap, used before the real probe.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Real readiness check: admin client connects and lists topics.
probe() {
  local timeout=$1
  [[ -d "$REPO/node_modules/kafkajs" ]] || die "node_modules/kafkajs missing; run 'npm ci' first"
  node "$WAIT_JS" "127.0.0.1:$PORT" --timeout "$timeout" --quiet
}

answers_kafka() {
  port_open "$PORT" && probe "${1:-5}"
}

# Pid of the broker recorded in $PIDFILE, if that process is alive and is a Kafka broker.
running_pid() {
  [[ -s "$PIDFILE" ]] || return 1
  local pid
  pid=$(<"$PIDFILE")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against pid reuse after a reboot/crash.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

print_log_tail() {
  local f
  for f in "$LOG" "$OUT"; do
    if [[ -s "$f" ]]; then
      err "---- last 50 lines of $f ----"
      tail -n 50 "$f" >&2 || true
    fi
  done
}

# ---------------------------------------------------------------------------
# fetch: copy the broker's runtime classpath out of Maven Central, once.

fetched() {
  [[ -f "$MARKER" ]] || return 1
  local want
  want=$(sha256sum "$POM" | cut -d' ' -f1)
  [[ "$(<"$MARKER")" == "$want" ]] || return 1
  compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null && compgen -G "$LIBS/kafka-tools-[0-9]*.jar" >/dev/null
}

cmd_fetch() {
  if fetched; then
    return 0
  fi
  need mvn "Maven is needed to fetch the Kafka jars from Maven Central"
  need "$JAVA" "Java 17+ is needed to run Kafka"
  mkdir -p "$KAFKA_HOME"
  local lock_fd
  exec {lock_fd}>"$KAFKA_HOME/fetch.lock"
  if ! flock -w 1800 "$lock_fd"; then
    die "timed out waiting for another fetch ($KAFKA_HOME/fetch.lock)"
  fi
  if fetched; then
    # Another caller finished the download while we waited for the lock.
    exec {lock_fd}>&-
    return 0
  fi
  local want tmp t0
  want=$(sha256sum "$POM" | cut -d' ' -f1)
  tmp="$LIBS.tmp.$$"
  rm -rf "$tmp"
  t0=$SECONDS
  log "fetching broker and console-tool jars from Maven Central into $LIBS (one-time) ..."
  local mvn_log="$KAFKA_HOME/fetch.log"
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime \
      -Dmdep.overWriteReleases=true >"$mvn_log" 2>&1; then
    rm -rf "$tmp"
    err "---- $mvn_log ----"
    tail -n 50 "$mvn_log" >&2 || true
    die "mvn dependency:copy-dependencies failed (is Maven Central reachable?)"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || { rm -rf "$tmp"; die "fetch incomplete: no kafka_2.13 jar in $tmp"; }
  compgen -G "$tmp/kafka-tools-[0-9]*.jar" >/dev/null || { rm -rf "$tmp"; die "fetch incomplete: no kafka-tools jar in $tmp"; }
  echo "$want" >"$tmp/.fetch-complete"
  # Swapped in by two renames: a broker already running from the old directory (the pom
  # changed, and `consume` fetched again) keeps its open jars, and the path is missing
  # only between the two renames.
  local old="$LIBS.old.$$"
  rm -rf "$old"
  if [[ -d "$LIBS" ]]; then mv "$LIBS" "$old"; fi
  mv "$tmp" "$LIBS"
  rm -rf "$old"
  log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in $((SECONDS - t0))s"
  exec {lock_fd}>&-
}

# ---------------------------------------------------------------------------
# configuration

write_config() {
  mkdir -p "$DIR" "$LOG_DIRS"
  cat >"$PROPS" <<EOF
# Generated by scripts/kafka.sh; rewritten on every start. Local dev/test only.
############################# KRaft (combined broker + controller) #############################
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
controller.listener.names=CONTROLLER

listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT

# Small machine: fewer threads than the defaults.
num.network.threads=2
num.io.threads=4
background.threads=4
num.recovery.threads.per.data.dir=1

############################# Topics #############################
log.dirs=$LOG_DIRS
num.partitions=3
auto.create.topics.enable=true
delete.topic.enable=true
default.replication.factor=1
min.insync.replicas=1

# Internal topics: single replica, fewer partitions than the defaults (50).
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Consumers in tests should not wait 3 s for the first rebalance.
group.initial.rebalance.delay.ms=0

############################# Retention (modest, local disk) #############################
log.retention.hours=72
log.retention.bytes=268435456
log.segment.bytes=67108864
log.retention.check.interval.ms=300000
EOF

  cat >"$LOG4J_PROPS" <<EOF
# Generated by scripts/kafka.sh. Broker logs go to $LOG (rolled at 20 MB x 3).
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$LOG
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
EOF

  cat >"$TOOLS_LOG4J_PROPS" <<'EOF'
# Generated by scripts/kafka.sh for kafka.tools.StorageTool: warnings to stderr only.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

storage_tool() {
  "$JAVA" -Xmx256m -Dlog4j.configuration="file:$TOOLS_LOG4J_PROPS" \
    -cp "$LIBS/*" kafka.tools.StorageTool "$@"
}

# Format the KRaft log dir once; the cluster id is kept so restarts reuse the data.
format_storage() {
  local cid=""
  if [[ -f "$LOG_DIRS/meta.properties" ]]; then
    cid=$(sed -n 's/^cluster\.id=//p' "$LOG_DIRS/meta.properties")
    [[ -s "$CLUSTER_ID_FILE" ]] || echo "$cid" >"$CLUSTER_ID_FILE"
    return 0
  fi
  if [[ -s "$CLUSTER_ID_FILE" ]]; then
    cid=$(<"$CLUSTER_ID_FILE")
  else
    cid=$(storage_tool random-uuid | tail -n 1)
    [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "could not generate a cluster id (got '$cid')"
    echo "$cid" >"$CLUSTER_ID_FILE"
  fi
  log "formatting storage in $LOG_DIRS (cluster id $cid)"
  storage_tool format -t "$cid" -c "$PROPS" --ignore-formatted >/dev/null \
    || die "kafka.tools.StorageTool format failed"
}

# ---------------------------------------------------------------------------
# start / stop / status

# Wait until the broker serves requests; fail fast if the process dies.
wait_ready() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      err "broker process $pid exited during startup"
      print_log_tail
      return 1
    fi
    if port_open "$PORT" && probe 5; then
      return 0
    fi
    sleep 1
  done
  err "broker (pid $pid) did not become ready on 127.0.0.1:$PORT within ${START_TIMEOUT}s"
  print_log_tail
  return 1
}

launch() {
  : >"$OUT"
  rm -f "$PIDFILE"
  # setsid + nohup: own session, immune to the caller's SIGHUP / process-group kills.
  # stdio detached so callers using pipes (execFile) are not held open.
  # {lock_fd}>&- : the broker must not inherit the start lock.
  # The inner bash closes every inherited fd above 2 (locks, callers' pipes), records
  # its own pid and then execs java, so the recorded pid is the JVM's.
  # shellcheck disable=SC2086,SC2016
  setsid bash -c '
    for fd in /proc/$$/fd/*; do n=${fd##*/}; [[ $n -gt 2 ]] && eval "exec $n>&-" 2>/dev/null; done
    echo $$ >"$1"; shift; exec "$@"' kafka-launch "$PIDFILE" \
    nohup "$JAVA" $HEAP_OPTS \
      -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$LOG4J_PROPS" \
      -Dkafka.logs.dir="$DIR" \
      -cp "$LIBS/*" kafka.Kafka "$PROPS" \
    </dev/null >>"$OUT" 2>&1 {START_LOCK_FD}>&- &
  local i
  for i in $(seq 1 50); do
    [[ -s "$PIDFILE" ]] && break
    sleep 0.1
  done
  [[ -s "$PIDFILE" ]] || die "broker did not record its pid in $PIDFILE"
}

START_LOCK_FD=
take_start_lock() {
  mkdir -p "$DIR"
  exec {START_LOCK_FD}>"$DIR/broker.lock"
  # Long wait: the holder may be doing the one-time fetch plus a 120 s startup.
  flock -w 1800 "$START_LOCK_FD" || die "timed out waiting for $DIR/broker.lock"
}

cmd_start() {
  validate_ports
  need node "Node is needed for the readiness probe"
  take_start_lock
  local t0=$SECONDS pid

  if answers_kafka 5; then
    log "reusing broker on 127.0.0.1:$PORT"
    return 0
  fi

  if pid=$(running_pid); then
    # Started by an earlier call that gave up waiting; let it finish starting.
    log "broker pid $pid is running but not answering yet; waiting"
    wait_ready "$pid" || exit 1
    log "reusing broker on 127.0.0.1:$PORT"
    return 0
  fi

  port_open "$PORT" && die "127.0.0.1:$PORT is in use by something that does not answer Kafka"
  port_open "$CPORT" && die "controller port 127.0.0.1:$CPORT is already in use (set LOCAL_KAFKA_CONTROLLER_PORT)"

  cmd_fetch
  need "$JAVA" "Java 17+ is needed to run Kafka"
  write_config
  format_storage
  launch
  pid=$(<"$PIDFILE")
  if ! wait_ready "$pid"; then
    err "stopping the broker that failed to start (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    exit 1
  fi
  log "started broker on 127.0.0.1:$PORT (pid $pid)"
  log "ready in $((SECONDS - t0))s; data in $DIR, log $LOG"
}

cmd_stop() {
  take_start_lock
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PIDFILE"
    log "not running (no live broker pid in $PIDFILE)"
    return 0
  fi
  log "stopping broker pid $pid ..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    err "broker pid $pid still alive after 60s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$PIDFILE"
  log "stopped broker (pid $pid); data kept in $DIR"
}

cmd_status() {
  DIE_CODE=2
  validate_ports
  local pid=""
  pid=$(running_pid) || pid=""
  if answers_kafka 3; then
    if [[ -n "$pid" ]]; then
      log "running on 127.0.0.1:$PORT (pid $pid)"
    else
      log "running on 127.0.0.1:$PORT (not started from $DIR)"
    fi
    return 0
  fi
  if [[ -n "$pid" ]]; then
    log "not running: pid $pid is alive but not answering on 127.0.0.1:$PORT (starting?)"
  else
    log "not running"
  fi
  return 1
}

# ---------------------------------------------------------------------------
# consume: Kafka's console consumer on one topic, for operators.

# kafka-console-consumer.sh's class since Kafka 3.7 (kafka.tools.ConsoleConsumer before).
CONSOLE_CONSUMER=org.apache.kafka.tools.consumer.ConsoleConsumer
TOOLS_LOG4J="$SCRIPT_DIR/kafka/tools-log4j.properties"

consume_usage() {
  cat >&2 <<USAGE
usage: npm run kafka:consume -- <topic> [--from-beginning] [--max-messages N] [other kafka-console-consumer options]

Prints one line per message: partition, offset, headers (name:value,...), key and value, tab-separated.
Brokers: KAFKA_BROKERS (comma-separated host:port), default 127.0.0.1:$PORT. Without --max-messages
it runs until interrupted (Ctrl-C).
USAGE
}

cmd_consume() {
  local topic=${1:-}
  if [[ "$topic" == "-h" || "$topic" == "--help" ]]; then
    consume_usage
    exit 0
  fi
  if [[ -z "$topic" || "$topic" == -* ]]; then
    consume_usage
    exit 2
  fi
  if [[ ! "$topic" =~ ^[A-Za-z0-9._-]{1,249}$ ]]; then
    err "not a Kafka topic name: '$topic'"
    exit 2
  fi
  shift
  local brokers=${KAFKA_BROKERS:-127.0.0.1:$PORT}
  brokers=${brokers//[[:space:]]/}
  [[ -n "$brokers" ]] || die "KAFKA_BROKERS is empty"
  # Fetch messages go to stderr: stdout carries the messages only.
  cmd_fetch >&2
  need "$JAVA" "Java 17+ is needed to run the Kafka console tools"
  exec "$JAVA" -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$TOOLS_LOG4J" \
    -cp "$LIBS/*" "$CONSOLE_CONSUMER" \
    --bootstrap-server "$brokers" --topic "$topic" \
    --property print.partition=true --property print.offset=true \
    --property print.headers=true --property print.key=true --property print.value=true \
    "$@"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  fetch) cmd_fetch; log "jars ready in $LIBS" ;;
  consume) shift; cmd_consume "$@" ;;
  *)
    echo "usage: bash scripts/kafka.sh start|stop|status|fetch|consume <topic> [options]" >&2
    exit 2
    ;;
esac
