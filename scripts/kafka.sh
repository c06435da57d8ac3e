#!/usr/bin/env bash
# Fetch, start and stop a single-node Apache Kafka (KRaft, broker+controller) on loopback ports.
#
#   scripts/kafka.sh fetch            copy the pinned Kafka jars from Maven Central into $CCT_KAFKA_HOME/libs
#   scripts/kafka.sh start [DIR]      format storage in DIR (default $CCT_KAFKA_HOME/run) and start; prints the bootstrap address
#   scripts/kafka.sh restart [DIR]    stop the broker in DIR and start it again on the same ports and data directory
#   scripts/kafka.sh stop  [DIR]      stop the broker started in DIR
#
# Needs Java 17 and Maven, and openssl for the TLS listeners (left out without it).
# Ports are picked free on 127.0.0.1 unless CCT_KAFKA_PORT is set.
# Besides PLAINTEXT the broker has, for tests of right and wrong credentials and certificates:
#   SASL_PLAINTEXT  SCRAM-SHA-512 user "cct" (password in DIR/sasl_password, address in DIR/sasl_bootstrap)
#   SSL             address in DIR/ssl_bootstrap; a throwaway CA (DIR/tls/ca.pem) signs the broker's certificate
#                   for 127.0.0.1 and localhost, made with openssl at each fresh start (restart keeps them);
#                   DIR/tls/unrelated-ca.pem is a second CA that signed nothing, for wrong-CA tests
#   SASL_SSL        the same user over the same TLS certificate, address in DIR/sasl_ssl_bootstrap
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KAFKA_HOME=${CCT_KAFKA_HOME:-"$here/../.kafka"}
LIBS="$KAFKA_HOME/libs"

# A random KRaft cluster id: 16 bytes in URL-safe base64, never starting with '-' (the storage tool would read
# such an id as an option and fail; Kafka's own random-uuid avoids it the same way).
cluster_id() {
  python3 -c 'import base64,uuid
while (u := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"): pass
print(u)'
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

fetch() {
  if [ -f "$LIBS/.complete" ] && cmp -s "$here/kafka/pom.xml" "$LIBS/.complete"; then return 0; fi
  mkdir -p "$LIBS"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2
  cp "$here/kafka/pom.xml" "$LIBS/.complete"
}

start() {
  local dir=${1:-"$KAFKA_HOME/run"} keep=${2:-}
  fetch
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then cat "$dir/bootstrap"; return 0; fi
  local java_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
                   -Dlog4j2.configurationFile="$dir/log4j2.yaml" -cp "$LIBS/*")
  if [ -n "$keep" ] && [ -f "$dir/server.properties" ] && [ -d "$dir/data" ]; then
    launch "$dir" "${java_opts[@]}"; return $?
  fi
  local port=${CCT_KAFKA_PORT:-$(free_port)} cport sport tport stport
  cport=$(free_port)
  sport=$(free_port)
  tport=$(free_port)
  stport=$(free_port)
  rm -rf "$dir/data" "$dir/ssl_bootstrap" "$dir/sasl_ssl_bootstrap"
  python3 -c 'import secrets; print(secrets.token_hex(12))' > "$dir/sasl_password"
  local tls_listeners="" tls_map="" tls_props=""
  if command -v openssl >/dev/null; then
    make_tls "$dir/tls"
    tls_listeners=",SSL://127.0.0.1:$tport,SASL_SSL://127.0.0.1:$stport"
    tls_map=",SSL:SSL,SASL_SSL:SASL_SSL"
    tls_props="listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$dir/tls/broker.pem
ssl.client.auth=none"
  else
    echo "openssl not found: the broker starts without its SSL and SASL_SSL listeners" >&2
  fi
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,SASL_PLAINTEXT://127.0.0.1:$sport$tls_listeners
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sport$tls_listeners
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT$tls_map
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
$tls_props
log.dirs=$dir/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  cat > "$dir/log4j2.yaml" <<'LOG'
Configuration:
  Appenders:
    Console: {name: STDOUT, PatternLayout: {pattern: "[%d] %p %m (%c)%n"}}
  Loggers:
    Root: {level: WARN, AppenderRef: [{ref: STDOUT}]}
    Logger: [{name: kafka.server.KafkaRaftServer, level: INFO}]
LOG
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$(cluster_id)" \
       -c "$dir/server.properties" -S "SCRAM-SHA-512=[name=cct,password=$(cat "$dir/sasl_password")]" > "$dir/format.log" 2>&1 \
    || { echo "kafka.sh: formatting the storage failed ($dir/format.log):" >&2; cat "$dir/format.log" >&2; exit 1; }
  echo "127.0.0.1:$port" > "$dir/bootstrap"
  echo "127.0.0.1:$sport" > "$dir/sasl_bootstrap"
  if [ -n "$tls_listeners" ]; then
    echo "127.0.0.1:$tport" > "$dir/ssl_bootstrap"
    echo "127.0.0.1:$stport" > "$dir/sasl_ssl_bootstrap"
  fi
  launch "$dir" "${java_opts[@]}"
}

make_tls() {  # a throwaway CA and a broker certificate it signs (EC P-256: fast to make), in one PEM key store
  local tls=$1
  rm -rf "$tls"; mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=cct test CA" \
      -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
      -keyout "$tls/broker.key" -out "$tls/broker.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$tls/ext.cnf"
  openssl x509 -req -in "$tls/broker.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 30 \
      -extfile "$tls/ext.cnf" -out "$tls/broker.crt" 2>/dev/null
  # an unrelated CA, for tests of a client that trusts the wrong one
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=cct unrelated CA" \
      -keyout "$tls/unrelated-ca.key" -out "$tls/unrelated-ca.pem" 2>/dev/null
  # Kafka's PEM key store: the PKCS#8 private key, then the certificate chain
  { openssl pkcs8 -topk8 -nocrypt -in "$tls/broker.key"; cat "$tls/broker.crt" "$tls/ca.pem"; } > "$tls/broker.pem"
  rm -f "$tls/broker.csr" "$tls/ext.cnf" "$tls/ca.srl"
}

launch() {
  local dir=$1; shift
  local port; port=$(cut -d: -f2 "$dir/bootstrap")
  : > "$dir/server.log"
  nohup java "$@" kafka.Kafka "$dir/server.properties" > "$dir/server.log" 2>&1 &
  echo $! > "$dir/pid"
  for _ in $(seq 1 120); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null \
       && grep -q "Kafka Server started" "$dir/server.log"; then
      cat "$dir/bootstrap"; return 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || { echo "kafka exited; see $dir/server.log" >&2; tail -20 "$dir/server.log" >&2; return 1; }
    sleep 0.5
  done
  echo "kafka did not start within 60 s; see $dir/server.log" >&2
  return 1
}

stop() {
  local dir=${1:-"$KAFKA_HOME/run"}
  [ -f "$dir/pid" ] || return 0
  local pid; pid=$(cat "$dir/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

case "${1:-}" in
  fetch) fetch ;;
  start) shift; start "${1:-}" ;;
  restart) shift; stop "${1:-}"; start "${1:-"$KAFKA_HOME/run"}" keep ;;
  stop) shift; stop "$@" ;;
  *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
