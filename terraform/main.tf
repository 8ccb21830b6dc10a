# Installs, into an existing cluster, the operators Floodgate builds on and then the
# platform chart from this repository.

locals {
  operators_namespace = "floodgate-operators"
  chart_dir           = "${path.module}/../charts/floodgate-platform"
  otel_endpoint       = var.otel_endpoint != "" ? var.otel_endpoint : (var.install_operators ? "http://jaeger-collector.${local.operators_namespace}.svc:4318" : "")
}

resource "kubernetes_namespace" "operators" {
  count = var.install_operators ? 1 : 0
  metadata {
    name   = local.operators_namespace
    labels = { "app.kubernetes.io/part-of" = "floodgate" }
  }
}

resource "kubernetes_namespace" "platform" {
  metadata {
    name = var.namespace
    labels = {
      "app.kubernetes.io/part-of"          = "floodgate"
      "pod-security.kubernetes.io/enforce" = "restricted"
    }
  }
}

resource "helm_release" "strimzi" {
  count      = var.install_operators ? 1 : 0
  name       = "strimzi"
  repository = "https://strimzi.io/charts/"
  chart      = "strimzi-kafka-operator"
  version    = var.operator_versions.strimzi
  namespace  = kubernetes_namespace.operators[0].metadata[0].name

  set {
    name  = "watchAnyNamespace"
    value = "true"
  }
}

resource "helm_release" "cloudnative_pg" {
  count      = var.install_operators ? 1 : 0
  name       = "cnpg"
  repository = "https://cloudnative-pg.github.io/charts"
  chart      = "cloudnative-pg"
  version    = var.operator_versions.cloudnative_pg
  namespace  = kubernetes_namespace.operators[0].metadata[0].name
}

resource "helm_release" "kube_prometheus_stack" {
  count      = var.install_operators ? 1 : 0
  name       = "monitoring"
  repository = "https://prometheus-community.github.io/helm-charts"
  chart      = "kube-prometheus-stack"
  version    = var.operator_versions.kube_prometheus_stack
  namespace  = kubernetes_namespace.operators[0].metadata[0].name

  # Pick up ServiceMonitors, PodMonitors and PrometheusRules from every namespace, and the
  # dashboards the Floodgate chart ships as labelled ConfigMaps.
  values = [yamlencode({
    prometheus = { prometheusSpec = {
      serviceMonitorSelectorNilUsesHelmValues = false
      podMonitorSelectorNilUsesHelmValues     = false
      ruleSelectorNilUsesHelmValues           = false
    } }
    grafana = { sidecar = { dashboards = { enabled = true, searchNamespace = "ALL" } } }
  })]
}

# Jaeger all-in-one (in-memory storage: traces are for debugging, not for keeping).
# Point otel_endpoint at your own collector instead and set install_operators = false.
resource "helm_release" "jaeger" {
  count      = var.install_operators ? 1 : 0
  name       = "jaeger"
  repository = "https://jaegertracing.github.io/helm-charts"
  chart      = "jaeger"
  version    = var.operator_versions.jaeger
  namespace  = kubernetes_namespace.operators[0].metadata[0].name

  values = [yamlencode({
    allInOne           = { enabled = true }
    storage            = { type = "memory" }
    provisionDataStore = { cassandra = false, elasticsearch = false }
    agent              = { enabled = false }
    collector          = { enabled = false }
    query              = { enabled = false }
  })]
}

resource "helm_release" "floodgate" {
  name      = "floodgate"
  chart     = local.chart_dir
  namespace = kubernetes_namespace.platform.metadata[0].name
  # Kafka, PostgreSQL and the migration Job take minutes on a new cluster.
  timeout = 900
  wait    = true

  values = compact([
    file("${local.chart_dir}/values-${var.profile}.yaml"),
    yamlencode({
      floodgate = {
        otel = { endpoint = local.otel_endpoint }
        api = {
          ingress = {
            enabled   = true
            className = var.ingress_class
            host      = var.ingress_host
            tls       = { enabled = true, secretName = var.ingress_tls_secret }
          }
          auth = {
            jwksUrl  = var.jwt_jwks_url
            issuer   = var.jwt_issuer
            audience = var.jwt_audience
          }
        }
        worker = { lagScaler = { maxReplicas = var.worker_max_replicas } }
      }
      floodgate-kafka    = { nodePools = { brokers = { storage = { size = var.kafka_storage_size } } } }
      floodgate-postgres = { cluster = { storage = { size = var.postgres_storage_size } } }
    }),
    var.extra_values,
  ])

  depends_on = [
    helm_release.strimzi,
    helm_release.cloudnative_pg,
    helm_release.kube_prometheus_stack,
  ]
}
