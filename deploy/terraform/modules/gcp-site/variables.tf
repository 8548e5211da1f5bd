variable "project_id" {
  type        = string
  description = "GCP project that hosts the site."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid GCP project ID."
  }
}

variable "region" {
  type        = string
  description = "GCP region of the site (the GKE cluster is regional: its control plane and nodes span the region's zones)."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must look like europe-west1."
  }
}

variable "name" {
  type        = string
  description = "Name prefix of every resource of the site, e.g. twincloud-gcp."
  default     = "twincloud-gcp"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.name))
    error_message = "name must be 3-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "subnet_cidr" {
  type        = string
  description = "Primary range of the node subnet. Must not overlap the AWS VPC: it is routed over the VPN."
  default     = "10.10.0.0/20"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0))
    error_message = "subnet_cidr must be a valid IPv4 CIDR."
  }
}

variable "pods_cidr" {
  type        = string
  description = "Secondary range for pod IPs (VPC-native cluster). PostgreSQL pods replicate from these addresses."
  default     = "10.12.0.0/16"

  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be a valid IPv4 CIDR."
  }
}

variable "services_cidr" {
  type        = string
  description = "Secondary range for Kubernetes service IPs."
  default     = "10.13.0.0/20"

  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be a valid IPv4 CIDR."
  }
}

variable "master_ipv4_cidr_block" {
  type        = string
  description = "/28 range for the private GKE control plane endpoint."
  default     = "172.16.0.0/28"

  validation {
    condition     = can(cidrhost(var.master_ipv4_cidr_block, 0)) && endswith(var.master_ipv4_cidr_block, "/28")
    error_message = "master_ipv4_cidr_block must be a /28."
  }
}

variable "master_authorized_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "Networks allowed to reach the control plane (e.g. the CI runners' range or a bastion). Empty means VPC-internal only."
  default     = []

  validation {
    condition     = alltrue([for n in var.master_authorized_networks : can(cidrhost(n.cidr_block, 0)) && n.cidr_block != "0.0.0.0/0"])
    error_message = "Each authorized network must be a valid CIDR and not 0.0.0.0/0."
  }
}

variable "enable_private_endpoint" {
  type        = bool
  description = "Expose the control plane only on its private IP. Keep true unless CI cannot reach the VPC."
  default     = true
}

variable "release_channel" {
  type        = string
  description = "GKE release channel."
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "node_machine_type" {
  type        = string
  description = "Machine type of the node pool. PostgreSQL, the API and the agent share it."
  default     = "e2-standard-4"
}

variable "node_min_count" {
  type        = number
  description = "Minimum nodes per zone of the node pool."
  default     = 1

  validation {
    condition     = var.node_min_count >= 1
    error_message = "node_min_count must be at least 1 so CloudNativePG instances can spread across zones."
  }
}

variable "node_max_count" {
  type        = number
  description = "Maximum nodes per zone of the node pool."
  default     = 3

  validation {
    condition     = var.node_max_count >= var.node_min_count
    error_message = "node_max_count must be >= node_min_count."
  }
}

variable "node_disk_size_gb" {
  type        = number
  description = "Boot disk size of each node in GB."
  default     = 100

  validation {
    condition     = var.node_disk_size_gb >= 50
    error_message = "node_disk_size_gb must be at least 50."
  }
}

variable "kms_key_name" {
  type        = string
  description = "Optional Cloud KMS key (projects/.../cryptoKeys/...) for customer-managed encryption of the backup bucket and of Kubernetes secrets. Null uses Google-managed encryption (data is always encrypted at rest)."
  default     = null
}

variable "backup_bucket_name" {
  type        = string
  description = "Globally unique name of the backup/WAL bucket. Null derives <project_id>-<name>-backups."
  default     = null

  validation {
    condition     = var.backup_bucket_name == null || can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.backup_bucket_name))
    error_message = "backup_bucket_name must be a valid GCS bucket name."
  }
}

variable "backup_noncurrent_retention_days" {
  type        = number
  description = "Days a replaced or deleted backup/WAL object version is kept before it is purged. Barman's own retention policy deletes current objects; this catches mistakes."
  default     = 30

  validation {
    condition     = var.backup_noncurrent_retention_days >= 7
    error_message = "Keep noncurrent versions at least 7 days."
  }
}

variable "backup_coldline_after_days" {
  type        = number
  description = "Age in days after which backup objects move to COLDLINE storage."
  default     = 30

  validation {
    condition     = var.backup_coldline_after_days >= 1
    error_message = "backup_coldline_after_days must be positive."
  }
}

variable "kubernetes_namespace" {
  type        = string
  description = "Namespace where the twincloud chart (agent, CloudNativePG cluster) runs."
  default     = "twincloud"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.kubernetes_namespace))
    error_message = "kubernetes_namespace must be a DNS label."
  }
}

variable "agent_kubernetes_service_account" {
  type        = string
  description = "Kubernetes service account of the agent, bound to the agent's Google service account via Workload Identity."
  default     = "twincloud-agent"
}

variable "backup_kubernetes_service_account" {
  type        = string
  description = "Kubernetes service account of the PostgreSQL pods that archive WAL and take base backups (CloudNativePG names it after the Cluster)."
  default     = "twincloud-db"
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to destroy the cluster. Turn off only to tear the site down on purpose."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every resource that supports them."
  default     = {}
}

variable "fleet_project" {
  type        = string
  description = "GCP project of the fleet to register the GKE cluster in (the fleet that also holds the attached EKS cluster); null registers nothing."
  default     = null
}

variable "velero_bucket_name" {
  type        = string
  description = "Globally unique name of Velero's bucket. Null derives <project_id>-<name>-velero."
  default     = null

  validation {
    condition     = var.velero_bucket_name == null || can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.velero_bucket_name))
    error_message = "velero_bucket_name must be a valid GCS bucket name."
  }
}

variable "velero_namespace" {
  type        = string
  description = "Namespace Velero is installed in."
  default     = "velero"
}

variable "velero_kubernetes_service_account" {
  type        = string
  description = "Kubernetes service account of the Velero server, bound to Velero's Google service account via Workload Identity."
  default     = "velero"
}
