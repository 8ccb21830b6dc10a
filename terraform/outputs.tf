output "namespace" {
  description = "Namespace of the Floodgate platform."
  value       = kubernetes_namespace.platform.metadata[0].name
}

output "ingest_url" {
  description = "Where devices send events (POST /v1/events)."
  value       = "https://${var.ingress_host}/v1/events"
}

output "api_service" {
  description = "In-cluster address of the API."
  value       = "http://floodgate-api.${var.namespace}.svc:8080"
}

output "grafana_service" {
  description = "In-cluster Grafana (kube-prometheus-stack), when the operators were installed."
  value       = var.install_operators ? "http://monitoring-grafana.${local.operators_namespace}.svc" : null
}

output "kafka_bootstrap" {
  description = "Kafka bootstrap service (Strimzi, TLS + SCRAM)."
  value       = "floodgate-kafka-bootstrap.${var.namespace}.svc:9093"
}

output "jaeger_query_service" {
  description = "In-cluster Jaeger query UI/API, when the operators were installed."
  value       = var.install_operators ? "http://jaeger-query.${local.operators_namespace}.svc:16686" : null
}
