variable "name" {
  type        = string
  description = "Name prefix of every resource of the site, e.g. twincloud-aws."
  default     = "twincloud-aws"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the site's VPC. Must not overlap the GCP ranges: it is routed over the VPN."
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be a valid IPv4 CIDR of /20 or larger."
  }
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones to spread subnets, NAT gateways and nodes across (at least two, three recommended)."

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 4
    error_message = "Give two to four availability zones."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "One NAT gateway for all zones (cheaper) instead of one per zone (survives a zone loss)."
  default     = false
}

variable "kubernetes_version" {
  type        = string
  description = "EKS Kubernetes version."
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.33."
  }
}

variable "endpoint_public_access" {
  type        = bool
  description = "Expose the EKS API endpoint publicly (restricted to public_access_cidrs). Off by default: the API is private to the VPC."
  default     = false
}

variable "public_access_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach a public EKS endpoint when endpoint_public_access is true."
  default     = []

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"]) && (!var.endpoint_public_access || length(var.public_access_cidrs) > 0)
    error_message = "public_access_cidrs must be valid CIDRs, must not contain 0.0.0.0/0, and must be set when endpoint_public_access is true."
  }
}

variable "node_instance_types" {
  type        = list(string)
  description = "Instance types of the managed node group."
  default     = ["m6i.xlarge"]

  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "Give at least one instance type."
  }
}

variable "node_min_size" {
  type        = number
  description = "Minimum nodes of the managed node group."
  default     = 3

  validation {
    condition     = var.node_min_size >= 2
    error_message = "node_min_size must be at least 2 so CloudNativePG instances can spread across zones."
  }
}

variable "node_max_size" {
  type        = number
  description = "Maximum nodes of the managed node group."
  default     = 6

  validation {
    condition     = var.node_max_size >= var.node_min_size
    error_message = "node_max_size must be >= node_min_size."
  }
}

variable "node_disk_size_gb" {
  type        = number
  description = "Root volume size of each node in GB."
  default     = 100

  validation {
    condition     = var.node_disk_size_gb >= 50
    error_message = "node_disk_size_gb must be at least 50."
  }
}

variable "ecr_repositories" {
  type        = list(string)
  description = "ECR repositories to create, one per image."
  default     = ["twincloud-api", "twincloud-agent", "twincloud-arbiter"]

  validation {
    condition     = alltrue([for r in var.ecr_repositories : can(regex("^[a-z0-9][a-z0-9._/-]{1,254}$", r))])
    error_message = "ECR repository names must be lowercase."
  }
}

variable "backup_bucket_name" {
  type        = string
  description = "Globally unique name of the backup/WAL bucket. Null derives <name>-backups-<account id>."
  default     = null

  validation {
    condition     = var.backup_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.backup_bucket_name))
    error_message = "backup_bucket_name must be a valid S3 bucket name."
  }
}

variable "backup_noncurrent_retention_days" {
  type        = number
  description = "Days a replaced or deleted backup/WAL object version is kept before it is purged."
  default     = 30

  validation {
    condition     = var.backup_noncurrent_retention_days >= 7
    error_message = "Keep noncurrent versions at least 7 days."
  }
}

variable "backup_glacier_after_days" {
  type        = number
  description = "Age in days after which backup objects move to Glacier Instant Retrieval."
  default     = 30

  validation {
    condition     = var.backup_glacier_after_days >= 1
    error_message = "backup_glacier_after_days must be positive."
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
  description = "Kubernetes service account of the agent, associated with the agent IAM role through EKS Pod Identity."
  default     = "twincloud-agent"
}

variable "backup_kubernetes_service_account" {
  type        = string
  description = "Kubernetes service account of the PostgreSQL pods that archive WAL and take base backups (CloudNativePG names it after the Cluster)."
  default     = "twincloud-db"
}

variable "cluster_admin_principal_arns" {
  type        = list(string)
  description = "IAM principals (e.g. the GitHub deploy role) granted cluster-admin through EKS access entries."
  default     = []

  validation {
    condition     = alltrue([for a in var.cluster_admin_principal_arns : startswith(a, "arn:")])
    error_message = "cluster_admin_principal_arns must be ARNs."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}

variable "load_balancer_controller_policy_json" {
  type        = string
  description = "IAM policy of the AWS Load Balancer Controller, as published with the release you install (docs/install/iam_policy.json of kubernetes-sigs/aws-load-balancer-controller at that tag)."

  validation {
    condition     = can(jsondecode(var.load_balancer_controller_policy_json).Statement)
    error_message = "load_balancer_controller_policy_json must be an IAM policy document (JSON with a Statement)."
  }
}

variable "load_balancer_controller_service_account" {
  type        = string
  description = "Service account of the AWS Load Balancer Controller in kube-system (the Helm chart eks/aws-load-balancer-controller's serviceAccount.name)."
  default     = "aws-load-balancer-controller"
}

variable "velero_bucket_name" {
  type        = string
  description = "Globally unique name of Velero's bucket. Null derives <name>-velero-<account id>."
  default     = null

  validation {
    condition     = var.velero_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.velero_bucket_name))
    error_message = "velero_bucket_name must be a valid S3 bucket name."
  }
}

variable "velero_namespace" {
  type        = string
  description = "Namespace Velero is installed in."
  default     = "velero"
}

variable "velero_kubernetes_service_account" {
  type        = string
  description = "Kubernetes service account of the Velero server, bound to Velero's IAM role by EKS Pod Identity."
  default     = "velero"
}
