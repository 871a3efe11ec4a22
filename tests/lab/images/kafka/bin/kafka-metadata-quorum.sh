#!/bin/sh
# Stand-in for Kafka's bin/kafka-metadata-quorum.sh.
exec "${KAFKA_HOME:-/opt/kafka}/bin/kafka-run-class.sh" org.apache.kafka.tools.MetadataQuorumCommand "$@"
