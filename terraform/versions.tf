terraform {
  required_version = ">= 1.5.0"

  required_providers {
    # The 2.x block syntax used here is also what 1.3+ accepts, which is what this
    # repository's offline validation can build (see terraform/README.md).
    helm = {
      source  = "hashicorp/helm"
      version = ">= 1.3.2, < 3.0.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 1.13.4, < 3.0.0"
    }
  }
}
