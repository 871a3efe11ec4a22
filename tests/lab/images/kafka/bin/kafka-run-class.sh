#!/bin/sh
# Stand-in for Kafka's bin/kafka-run-class.sh: runs CLASS with /opt/kafka/libs on the class path
# and the same environment knobs (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_GC_LOG_OPTS,
# KAFKA_JMX_OPTS, KAFKA_LOG4J_OPTS, KAFKA_OPTS).
if [ $# -lt 1 ]; then
    echo "USAGE: $0 classname [opts]" >&2
    exit 1
fi
KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
: "${KAFKA_HEAP_OPTS:=-Xmx256M}"
: "${KAFKA_JVM_PERFORMANCE_OPTS:=-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=$KAFKA_HOME/config/tools-log4j2.properties}"
# Word splitting of the *_OPTS variables is intended, as in Kafka's script.
# shellcheck disable=SC2086
exec java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS $KAFKA_GC_LOG_OPTS $KAFKA_JMX_OPTS \
    $KAFKA_LOG4J_OPTS $KAFKA_OPTS -cp "$KAFKA_HOME/libs/*" "$@"
