# terraform apply -var-file=example.tfvars
kubeconfig_path     = "~/.kube/config"
kube_context        = "production"
namespace           = "floodgate"
profile             = "prod"
install_operators   = true
ingress_host        = "ingest.example.org"
ingress_class       = "nginx"
jwt_jwks_url        = "https://login.example.org/.well-known/jwks.json"
jwt_issuer          = "https://login.example.org/"
jwt_audience        = "floodgate-api"
worker_max_replicas = 12
kafka_storage_size  = "200Gi"
extra_values        = <<-YAML
  floodgate:
    api:
      resources:
        requests: { cpu: 500m, memory: 256Mi }
YAML
