#!/bin/sh
# Stand-in for Kafka's bin/kafka-console-consumer.sh.
exec "${KAFKA_HOME:-/opt/kafka}/bin/kafka-run-class.sh" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
