#!/bin/sh
# Stand-in for Kafka's bin/kafka-server-start.sh.
if [ $# -lt 1 ]; then
    echo "USAGE: $0 server.properties [--override property=value]*" >&2
    exit 1
fi
KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
: "${KAFKA_HEAP_OPTS:=-Xmx1G -Xms1G}"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=$KAFKA_HOME/config/log4j2.properties}"
export KAFKA_HEAP_OPTS KAFKA_LOG4J_OPTS
exec "$KAFKA_HOME/bin/kafka-run-class.sh" kafka.Kafka "$@"
