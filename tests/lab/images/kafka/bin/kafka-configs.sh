#!/bin/sh
# Stand-in for Kafka's bin/kafka-configs.sh.
exec "${KAFKA_HOME:-/opt/kafka}/bin/kafka-run-class.sh" kafka.admin.ConfigCommand "$@"
