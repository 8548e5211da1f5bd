variable "project_id" {
  type        = string
  description = "GCP project of the monitoring cluster (the GCP site's: the cluster lives in its VPC)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid GCP project ID."
  }
}

variable "region" {
  type        = string
  description = "Region of the monitoring cluster: the GCP site's (the HA VPN ends there, so the AWS site reaches the internal load balancer without global routing)."
}

variable "name" {
  type        = string
  description = "Name prefix of the monitoring cluster's resources, e.g. twincloud-monitoring."
  default     = "twincloud-monitoring"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.name))
    error_message = "name must be 3-21 lowercase letters, digits or dashes, starting with a letter (service account ids are at most 30 characters)."
  }
}

variable "network_id" {
  type        = string
  description = "ID of the GCP site's VPC (gcp-site output network_id): the cluster's subnet is added to it."
}

variable "network_name" {
  type        = string
  description = "Name of the GCP site's VPC (gcp-site output network_name), for the firewall rule."

  validation {
    condition     = length(var.network_name) > 0
    error_message = "network_name must not be empty."
  }
}

variable "subnet_cidr" {
  type        = string
  description = "Primary range of the monitoring nodes' subnet; the ingress's internal address is its host 10. Must not overlap the sites' or the arbiter's ranges: it is advertised over the VPN."
  default     = "10.14.0.0/24"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 10)) && tonumber(split("/", var.subnet_cidr)[1]) <= 28
    error_message = "subnet_cidr must be a valid IPv4 CIDR of at least /28."
  }
}

variable "pods_cidr" {
  type        = string
  description = "Secondary range for the monitoring cluster's pods (never routed over the VPN)."
  default     = "10.14.64.0/18"

  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be a valid IPv4 CIDR."
  }
}

variable "services_cidr" {
  type        = string
  description = "Secondary range for the monitoring cluster's service IPs."
  default     = "10.14.128.0/22"

  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be a valid IPv4 CIDR."
  }
}

variable "master_ipv4_cidr_block" {
  type        = string
  description = "/28 range for the private control plane endpoint (not the GCP site's)."
  default     = "172.16.0.16/28"

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
  description = "Networks allowed to reach the control plane. Empty means VPC-internal only."
  default     = []
}

variable "enable_private_endpoint" {
  type        = bool
  description = "Expose the control plane only on its private IP."
  default     = true
}

variable "release_channel" {
  type        = string
  description = "GKE release channel."
  default     = "REGULAR"
}

variable "node_machine_type" {
  type        = string
  description = "Machine type of the node pool (Prometheus, Alertmanager, Grafana, Loki, Headlamp, ingress-nginx)."
  default     = "e2-standard-4"
}

variable "node_min_count" {
  type        = number
  description = "Minimum nodes per zone."
  default     = 1

  validation {
    condition     = var.node_min_count >= 1
    error_message = "node_min_count must be at least 1."
  }
}

variable "node_max_count" {
  type        = number
  description = "Maximum nodes per zone."
  default     = 2

  validation {
    condition     = var.node_max_count >= var.node_min_count
    error_message = "node_max_count must be at least node_min_count."
  }
}

variable "node_disk_size_gb" {
  type        = number
  description = "Boot disk size of each node in GB."
  default     = 100
}

variable "ingress_port" {
  type        = number
  description = "HTTPS port of the ingress controller's internal load balancer (remote write, Loki push, Grafana, Headlamp)."
  default     = 443

  validation {
    condition     = var.ingress_port > 0 && var.ingress_port < 65536
    error_message = "ingress_port must be 1-65535."
  }
}

variable "client_cidrs" {
  type        = list(string)
  description = "Ranges allowed to reach the ingress: the AWS VPC (over the VPN), the GCP site's node and pod ranges, the arbiter's subnet."

  validation {
    condition     = length(var.client_cidrs) > 0 && alltrue([for c in var.client_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "client_cidrs must be non-empty, valid, and never 0.0.0.0/0."
  }
}

variable "peer_networks" {
  type        = map(string)
  description = "Networks peered with the GCP site's VPC so that they reach the ingress (name => network ID): the arbiter's (arbiter-site output network_id), for its log shipper."
  default     = {}
}

variable "domain" {
  type        = string
  description = "Private DNS domain of the monitoring cluster's names (prometheus.<domain>, loki.<domain>, grafana.<domain>, headlamp.<domain>)."
  default     = "monitoring.example.com"

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a lowercase DNS name."
  }
}

variable "aws_vpc_id" {
  type        = string
  description = "The AWS site's VPC (aws-site output vpc_id): the Route 53 private zone with the same names is associated with it."
}

variable "kubernetes_namespace" {
  type        = string
  description = "Namespace of kube-prometheus-stack and Loki in the monitoring cluster."
  default     = "monitoring"
}

variable "loki_kubernetes_service_account" {
  type        = string
  description = "Kubernetes service account of Loki (the grafana/loki chart's, release loki), bound to Loki's Google service account."
  default     = "loki"
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to destroy the cluster."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every resource that supports them."
  default     = {}
}
