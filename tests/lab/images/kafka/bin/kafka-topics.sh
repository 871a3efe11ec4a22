#!/bin/sh
# Stand-in for Kafka's bin/kafka-topics.sh.
exec "${KAFKA_HOME:-/opt/kafka}/bin/kafka-run-class.sh" org.apache.kafka.tools.TopicCommand "$@"
