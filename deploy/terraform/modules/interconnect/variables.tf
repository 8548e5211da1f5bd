variable "name" {
  type        = string
  description = "Name prefix of the VPN resources."
  default     = "twincloud-vpn"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "gcp_project_id" {
  type        = string
  description = "GCP project of the GCP site's VPC."
}

variable "gcp_region" {
  type        = string
  description = "Region of the HA VPN gateway and Cloud Router (the GCP site's region)."
}

variable "gcp_network_id" {
  type        = string
  description = "ID (self link) of the GCP site's VPC (gcp-site output network_id)."
}

variable "gcp_network_name" {
  type        = string
  description = "Name of the GCP site's VPC, for the firewall rules (gcp-site output network_name)."
}

variable "gcp_cidrs" {
  type        = list(string)
  description = "GCP ranges advertised to AWS and allowed to reach the AWS site (gcp-site output subnet_cidrs)."

  validation {
    condition     = length(var.gcp_cidrs) > 0 && alltrue([for c in var.gcp_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "gcp_cidrs must be non-empty private CIDRs, never 0.0.0.0/0."
  }
}

variable "gcp_asn" {
  type        = number
  description = "Private BGP ASN of the GCP Cloud Router."
  default     = 65010

  validation {
    condition     = var.gcp_asn >= 64512 && var.gcp_asn <= 65534
    error_message = "gcp_asn must be a private 16-bit ASN (64512-65534)."
  }
}

variable "aws_vpc_id" {
  type        = string
  description = "ID of the AWS site's VPC (aws-site output vpc_id)."
}

variable "aws_vpc_cidr" {
  type        = string
  description = "CIDR of the AWS site's VPC, allowed to reach the GCP site (aws-site output vpc_cidr)."

  validation {
    condition     = can(cidrhost(var.aws_vpc_cidr, 0)) && var.aws_vpc_cidr != "0.0.0.0/0"
    error_message = "aws_vpc_cidr must be a valid CIDR, never 0.0.0.0/0."
  }
}

variable "aws_route_table_ids" {
  type        = list(string)
  description = "AWS route tables that receive the GCP routes by BGP propagation (aws-site output private_route_table_ids)."

  validation {
    condition     = length(var.aws_route_table_ids) > 0
    error_message = "Give at least one route table."
  }
}

variable "aws_security_group_id" {
  type        = string
  description = "Security group of the EKS nodes that receives the cross-site ingress rules (aws-site output cluster_security_group_id)."
}

variable "aws_asn" {
  type        = number
  description = "Private BGP ASN of the AWS virtual private gateway."
  default     = 65020

  validation {
    condition     = var.aws_asn >= 64512 && var.aws_asn <= 65534
    error_message = "aws_asn must be a private 16-bit ASN (64512-65534)."
  }
}

variable "tunnel_inside_cidrs" {
  type        = list(string)
  description = "Four /30 link-local ranges (169.254.0.0/16) for the BGP sessions, one per tunnel. AWS reserves some /30s (e.g. 169.254.169.252/30), so pick from the documented allowed set."
  default     = ["169.254.21.0/30", "169.254.21.4/30", "169.254.22.0/30", "169.254.22.4/30"]

  validation {
    condition     = length(var.tunnel_inside_cidrs) == 4 && alltrue([for c in var.tunnel_inside_cidrs : endswith(c, "/30") && startswith(c, "169.254.")])
    error_message = "tunnel_inside_cidrs must be four /30 ranges inside 169.254.0.0/16."
  }
}

variable "cross_site_ports" {
  type = map(object({
    port        = number
    description = string
  }))
  description = "TCP ports opened between the two sites over the VPN, nothing else: PostgreSQL streaming replication (postgres.replicationService) and the agents' API (agent.failsafeService: the failsafe's promises). Nothing else crosses: the load balancer probes each site itself."
  default = {
    postgres = { port = 5432, description = "PostgreSQL streaming replication (CloudNativePG replica cluster)" }
    agent    = { port = 8090, description = "agent API over HTTPS: the failsafe's promises between the agents (docs/design.md rule 9)" }
  }

  validation {
    condition     = alltrue([for p in values(var.cross_site_ports) : p.port > 0 && p.port < 65536])
    error_message = "Ports must be between 1 and 65535."
  }
}

variable "arbiter_cidrs" {
  type        = list(string)
  description = "Addresses of the arbiter (arbiter-site output address as /32) allowed to reach the agent port on both sites when the arbiter is routed through this VPN. Empty when it reaches the agents another way."
  default     = []

  validation {
    condition     = alltrue([for c in var.arbiter_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "arbiter_cidrs must be valid CIDRs, never 0.0.0.0/0."
  }
}

variable "extra_advertised_ranges" {
  type        = list(string)
  description = "Extra ranges the Cloud Router advertises to AWS. The global-lb module's hybrid backend needs Google's health-check/proxy ranges (35.191.0.0/16, 130.211.0.0/22) here, so that AWS routes the replies back over the VPN."
  default     = ["35.191.0.0/16", "130.211.0.0/22"]

  validation {
    condition     = alltrue([for c in var.extra_advertised_ranges : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "extra_advertised_ranges must be valid CIDRs, never 0.0.0.0/0."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every AWS resource."
  default     = {}
}
