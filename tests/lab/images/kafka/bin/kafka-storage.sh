#!/bin/sh
# Stand-in for Kafka's bin/kafka-storage.sh.
exec "${KAFKA_HOME:-/opt/kafka}/bin/kafka-run-class.sh" kafka.tools.StorageTool "$@"
