variable "fleet_project_id" {
  type        = string
  description = "GCP project hosting the fleet (the GCP site's project: its GKE cluster registers there)."
}

variable "location" {
  type        = string
  description = "GCP region that administers the attached EKS cluster (no user data is stored there)."
}

variable "attach_eks" {
  type        = bool
  description = "Attach the EKS cluster. Set it once the attach agent's install manifest has been applied to the EKS cluster (second apply)."
  default     = false
}

variable "eks_cluster_name" {
  type        = string
  description = "Name of the attached cluster in the fleet (the EKS cluster's name)."
}

variable "eks_oidc_issuer_url" {
  type        = string
  description = "The EKS cluster's OIDC issuer URL (aws-site output oidc_issuer_url)."

  validation {
    condition     = startswith(var.eks_oidc_issuer_url, "https://")
    error_message = "eks_oidc_issuer_url must be an https:// URL."
  }
}

variable "platform_version" {
  type        = string
  description = "GKE attached clusters platform version to install (gcloud container attached get-server-config --location=<location>)."
  default     = null
}

variable "admin_users" {
  type        = list(string)
  description = "Google identities given cluster-admin on the attached EKS cluster through the Connect gateway."
  default     = []
}
