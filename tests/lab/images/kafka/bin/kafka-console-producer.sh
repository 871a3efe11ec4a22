#!/bin/sh
# Stand-in for Kafka's bin/kafka-console-producer.sh.
exec "${KAFKA_HOME:-/opt/kafka}/bin/kafka-run-class.sh" org.apache.kafka.tools.ConsoleProducer "$@"
