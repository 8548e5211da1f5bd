variable "environment" {
  type        = string
  description = "Name of this deployment, used in tags and names."
  default     = "example"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,10}$", var.environment))
    error_message = "environment must be 2-11 lowercase letters, digits or dashes."
  }
}

variable "gcp_project_id" {
  type        = string
  description = "GCP project of the GCP site and the load balancer."
}

variable "gcp_region" {
  type        = string
  description = "Region of the GCP site."
  default     = "europe-west1"
}

variable "gcp_zones" {
  type        = list(string)
  description = "Zones of the GCP region (where GKE puts the API's NEGs)."
  default     = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
}

variable "aws_region" {
  type        = string
  description = "Region of the AWS site."
  default     = "eu-central-1"
}

variable "aws_availability_zones" {
  type        = list(string)
  description = "Availability zones of the AWS site."
  default     = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
}

variable "arbiter_project_id" {
  type        = string
  description = "GCP project of the arbiter (separate from the site's project)."
}

variable "arbiter_region" {
  type        = string
  description = "Region of the arbiter: a third failure domain."
  default     = "europe-north1"
}

variable "arbiter_zone" {
  type        = string
  description = "Zone of the arbiter VM."
  default     = "europe-north1-a"
}

variable "arbiter_image" {
  type        = string
  description = "Arbiter image pinned by digest."
}

variable "hostname" {
  type        = string
  description = "Public hostname of the API (the my-fancy-api name)."

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.hostname))
    error_message = "hostname must be a fully qualified lowercase DNS name."
  }
}

variable "edge_mode" {
  type        = string
  description = "gcp-alb or route53-failover (see global-lb)."
  default     = "gcp-alb"

  validation {
    condition     = contains(["gcp-alb", "route53-failover"], var.edge_mode)
    error_message = "edge_mode must be gcp-alb or route53-failover."
  }
}

variable "edge_serving_mode" {
  type        = string
  description = "follow-writer (only the writer serves) or read-local (both sites serve reads, the nearest first; see global-lb's serving_mode)."
  default     = "follow-writer"

  validation {
    condition     = contains(["follow-writer", "read-local"], var.edge_serving_mode)
    error_message = "edge_serving_mode must be follow-writer or read-local."
  }
}

variable "aws_backend_ips" {
  type        = list(string)
  description = "Private IPs of the AWS API's internal load balancer (known after the first Helm install; empty on the first apply)."
  default     = []
}

variable "gcp_negs_created" {
  type        = bool
  description = "True once the GCP site's chart is installed and GKE has created the API's NEGs (false on the first apply)."
  default     = false
}

variable "aws_load_balancer_controller_policy_file" {
  type        = string
  description = "Path of the AWS Load Balancer Controller's iam_policy.json for the release you install (downloaded from its repository, docs/install/iam_policy.json)."
  default     = "aws-load-balancer-controller-iam-policy.json"
}

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone (route53-failover mode)."
  default     = null
}

variable "route53_sites" {
  type = map(object({
    ip_address = string
    role       = string
  }))
  description = "Public entry IP and failover role per site (route53-failover mode)."
  default     = {}
}

variable "github_repository" {
  type        = string
  description = "GitHub repository (owner/name) whose main branch deploys."
}

variable "master_authorized_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "Networks allowed to reach the GKE control plane."
  default     = []
}

variable "attach_eks" {
  type        = bool
  description = "Attach the EKS cluster to the fleet (after applying the attach agent's install manifest to it)."
  default     = false
}

variable "attached_platform_version" {
  type        = string
  description = "GKE attached clusters platform version for the EKS cluster."
  default     = null
}

variable "fleet_admin_users" {
  type        = list(string)
  description = "Google identities with cluster-admin on the attached EKS cluster through the Connect gateway."
  default     = []
}

variable "monitoring_domain" {
  type        = string
  description = "Private DNS domain of the monitoring cluster (prometheus.<domain>, loki.<domain>, ...), as in deploy/helm/monitoring/*-values.yaml and the sites' logShipping.loki.host."
  default     = "monitoring.example.com"

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.monitoring_domain))
    error_message = "monitoring_domain must be a lowercase DNS name."
  }
}
