#!/bin/sh
# Stand-in for Kafka's bin/kafka-broker-api-versions.sh.
exec "${KAFKA_HOME:-/opt/kafka}/bin/kafka-run-class.sh" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
