variable "project_id" {
  type        = string
  description = "GCP project of the arbiter. Prefer a project (and billing/org path) separate from the GCP site's."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid GCP project ID."
  }
}

variable "region" {
  type        = string
  description = "Region of the arbiter: a third failure domain, neither the GCP site's region nor near the AWS site's."
}

variable "avoid_regions" {
  type        = list(string)
  description = "Regions the arbiter must not share (the sites' regions); checked against region."
  default     = []

  validation {
    condition     = length(var.avoid_regions) == length(distinct(var.avoid_regions))
    error_message = "avoid_regions must not repeat."
  }
}

variable "zone" {
  type        = string
  description = "Zone of the arbiter VM, inside region."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]-[a-z]$", var.zone))
    error_message = "zone must look like europe-north1-a."
  }
}

variable "name" {
  type        = string
  description = "Name prefix of the arbiter resources."
  default     = "twincloud-arbiter"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "subnet_cidr" {
  type        = string
  description = "Range of the arbiter's own small VPC."
  default     = "10.30.0.0/28"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0))
    error_message = "subnet_cidr must be a valid IPv4 CIDR."
  }
}

variable "machine_type" {
  type        = string
  description = "Machine type: the arbiter is small (a few heartbeats per second)."
  default     = "e2-small"
}

variable "image" {
  type        = string
  description = "Container image of the arbiter, pinned by digest (repo@sha256:...)."

  validation {
    condition     = can(regex("@sha256:[a-f0-9]{64}$", var.image))
    error_message = "image must be pinned by digest (@sha256:...)."
  }
}

variable "arbiter_port" {
  type        = number
  description = "TLS port the agents connect to."
  default     = 8443

  validation {
    condition     = var.arbiter_port > 0 && var.arbiter_port < 65536
    error_message = "arbiter_port must be 1-65535."
  }
}

variable "sites" {
  type        = list(string)
  description = "The two sites' names (TWINCLOUD_SITES), as in the Helm values' site/peerSite."
  default     = ["gcp", "aws"]

  validation {
    condition     = length(var.sites) == 2 && length(distinct(var.sites)) == 2
    error_message = "sites must be two different names."
  }
}

variable "initial_writer" {
  type        = string
  description = "The writer before any epoch is stored (read only on an empty state disk); the sites' initialPrimarySite."
  default     = "gcp"

  validation {
    condition     = contains(var.sites, var.initial_writer)
    error_message = "initial_writer must be one of sites."
  }
}

variable "mode" {
  type        = string
  description = "SYNC (no acknowledged write lost) or ASYNC."
  default     = "SYNC"

  validation {
    condition     = contains(["SYNC", "ASYNC"], var.mode)
    error_message = "mode must be SYNC or ASYNC."
  }
}

variable "gcloud_image" {
  type        = string
  description = "Image with gcloud, run at each start to read the arbiter's secrets from Secret Manager with the VM's identity."
  default     = "gcr.io/google.com/cloudsdktool/google-cloud-cli:stable"
}

variable "allowed_source_cidrs" {
  type        = list(string)
  description = "Addresses allowed to reach the arbiter port: the sites' NAT egress IPs as /32 (gcp-site and aws-site output egress_ips)."

  validation {
    condition     = length(var.allowed_source_cidrs) > 0 && alltrue([for c in var.allowed_source_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "allowed_source_cidrs must be non-empty, valid, and never 0.0.0.0/0."
  }
}

variable "state_disk_size_gb" {
  type        = number
  description = "Size of the persistent disk holding the arbiter's durable epoch and state."
  default     = 10

  validation {
    condition     = var.state_disk_size_gb >= 10
    error_message = "state_disk_size_gb must be at least 10."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to destroy the arbiter VM (its disk holds the epoch)."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every resource that supports them."
  default     = {}
}

variable "loki_host" {
  type        = string
  description = "Host name of Loki's gateway in the monitoring cluster (monitoring-cluster output hosts.loki), reached through the peering with the GCP site's VPC. The VM's Fluent Bit ships the arbiter container's log lines there."

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.loki_host))
    error_message = "loki_host must be a lowercase DNS name."
  }
}

variable "loki_port" {
  type        = number
  description = "HTTPS port of Loki's gateway (the monitoring cluster's ingress)."
  default     = 443

  validation {
    condition     = var.loki_port > 0 && var.loki_port < 65536
    error_message = "loki_port must be 1-65535."
  }
}

variable "loki_username" {
  type        = string
  description = "The log shipper's user in the Loki gateway's htpasswd (its password is the Secret Manager secret <name>-loki-password)."
  default     = "arbiter"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.loki_username))
    error_message = "loki_username must be 2-31 lowercase letters, digits or dashes."
  }
}

variable "fluent_bit_image" {
  type        = string
  description = "Fluent Bit image of the VM's log shipper (the sites' chart uses the same release)."
  default     = "cr.fluentbit.io/fluent/fluent-bit:4.0.3"
}
