variable "kubeconfig_path" {
  description = "Path of the kubeconfig that reaches the target cluster."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "Context in the kubeconfig to use; null uses the current context."
  type        = string
  default     = null
}

variable "namespace" {
  description = "Namespace for the Floodgate platform (API, worker, operator, Kafka, PostgreSQL, Redis)."
  type        = string
  default     = "floodgate"
}

variable "profile" {
  description = "Values profile of the platform chart: dev (single Kafka node, one PostgreSQL instance) or prod."
  type        = string
  default     = "prod"
  validation {
    condition     = contains(["dev", "prod"], var.profile)
    error_message = "profile must be \"dev\" or \"prod\"."
  }
}

variable "install_operators" {
  description = "Install the Strimzi and CloudNativePG operators, kube-prometheus-stack and Jaeger. Set false when the cluster already runs them."
  type        = bool
  default     = true
}

variable "operator_versions" {
  description = "Chart versions of the operators this module installs."
  type = object({
    strimzi               = string
    cloudnative_pg        = string
    kube_prometheus_stack = string
    jaeger                = string
  })
  default = {
    strimzi               = "0.49.0"
    cloudnative_pg        = "0.27.0"
    kube_prometheus_stack = "79.5.0"
    jaeger                = "3.4.1"
  }
}

variable "ingress_host" {
  description = "Host name devices use for the ingest API (an Ingress rule and TLS certificate are made for it)."
  type        = string
}

variable "ingress_class" {
  description = "IngressClass of the cluster's ingress controller."
  type        = string
  default     = "nginx"
}

variable "ingress_tls_secret" {
  description = "Secret holding the TLS certificate for ingress_host (e.g. issued by cert-manager)."
  type        = string
  default     = "floodgate-api-tls"
}

variable "jwt_jwks_url" {
  description = "JWKS URL of the identity provider that signs device and user tokens (RS256/ES256/EdDSA). Empty: the chart generates an HS256 key (local use only)."
  type        = string
  default     = ""
}

variable "jwt_issuer" {
  description = "Expected `iss` of tokens."
  type        = string
  default     = "floodgate"
}

variable "jwt_audience" {
  description = "Expected `aud` of tokens."
  type        = string
  default     = "floodgate-api"
}

variable "worker_max_replicas" {
  description = "Upper bound for the LagScaler (never more than the 12 partitions of floodgate.events)."
  type        = number
  default     = 12
  validation {
    condition     = var.worker_max_replicas >= 1 && var.worker_max_replicas <= 12
    error_message = "worker_max_replicas must be between 1 and 12 (the partition count)."
  }
}

variable "kafka_storage_size" {
  description = "Persistent volume size of each Kafka broker."
  type        = string
  default     = "100Gi"
}

variable "postgres_storage_size" {
  description = "Persistent volume size of each PostgreSQL instance."
  type        = string
  default     = "50Gi"
}

variable "extra_values" {
  description = "More values for the platform chart, merged last (YAML)."
  type        = string
  default     = ""
}

variable "otel_endpoint" {
  description = "OTLP/HTTP endpoint for traces. Empty: the Jaeger this module installs, or tracing off when install_operators is false."
  type        = string
  default     = ""
}
