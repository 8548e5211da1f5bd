variable "name" {
  type        = string
  description = "Name prefix of the load-balancer resources."
  default     = "twincloud-edge"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "hostname" {
  type        = string
  description = "Public hostname of the API (the my-fancy-api name), e.g. my-fancy-api.example.com."

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.hostname))
    error_message = "hostname must be a fully qualified lowercase DNS name."
  }
}

variable "mode" {
  type        = string
  description = "Which edge to build: gcp-alb (GCP global external Application LB, backends in both clouds; Cloud Armor keeps /actuator off the internet) or route53-failover (DNS failover records; no actuator filter, see the README)."
  default     = "gcp-alb"

  validation {
    condition     = contains(["gcp-alb", "route53-failover"], var.mode)
    error_message = "mode must be gcp-alb or route53-failover."
  }
}

variable "serving_mode" {
  type        = string
  description = "follow-writer (default): only the writer's backend passes the health check (health_check_path, the writer health) and gets every request. read-local: both backends serve (docs/edge.md, read-local): every backend is probed on /actuator/health/reader (UP while the site can serve reads itself: the leased writer, or a standby streaming within the staleness bound), the GCP load balancer sends each client to the nearest healthy backend and away from it only while it fails that check, Route 53 answers by latency among the healthy sites; writes reaching the standby are forwarded by its API to the writer (twincloud.api.forward.peer-url)."
  default     = "follow-writer"

  validation {
    condition     = contains(["follow-writer", "read-local"], var.serving_mode)
    error_message = "serving_mode must be follow-writer or read-local."
  }
}

variable "health_check_path" {
  type        = string
  description = "Path probed on every backend with serving_mode follow-writer. UP (200) only on the site whose database is primary with a valid lease: traffic follows the writer. With read-local the reader health (/actuator/health/reader) is probed instead."
  default     = "/actuator/health/writer"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "health_check_interval_sec" {
  type        = number
  description = "GCP: seconds between probes of each backend. 1, the fastest the provider allows: the old writer leaves within interval x unhealthy_threshold + timeout = 3 s."
  default     = 1

  validation {
    condition     = var.health_check_interval_sec >= 1 && var.health_check_interval_sec <= 300
    error_message = "health_check_interval_sec must be 1-300."
  }
}

variable "health_check_timeout_sec" {
  type        = number
  description = "GCP: seconds to wait for a probe answer (at most the interval). 1, the provider's minimum; the writer-health endpoint answers within milliseconds."
  default     = 1

  validation {
    condition     = var.health_check_timeout_sec >= 1 && var.health_check_timeout_sec <= var.health_check_interval_sec
    error_message = "health_check_timeout_sec must be between 1 and health_check_interval_sec."
  }
}

variable "unhealthy_threshold" {
  type        = number
  description = "GCP and Route 53: consecutive failed probes before a backend is taken out. 2, not 1: one lost probe must not take the only writer out. It does not add to the RTO: the old writer's writer-health goes DOWN when its lease ends, before the arbiter promotes the other site (lease ttl + margin later), so it is out of the pool before the new writer can be healthy."
  default     = 2

  validation {
    condition     = var.unhealthy_threshold >= 1 && var.unhealthy_threshold <= 10
    error_message = "unhealthy_threshold must be 1-10."
  }
}

variable "healthy_threshold" {
  type        = number
  description = "GCP: consecutive good probes before a backend receives traffic again. 1: the new writer gets traffic at its first good probe (its writer-health is UP only with a valid lease)."
  default     = 1

  validation {
    condition     = var.healthy_threshold >= 1 && var.healthy_threshold <= 10
    error_message = "healthy_threshold must be 1-10."
  }
}

variable "health_check_port" {
  type        = number
  description = "Port the GCP health check probes on every backend: the API's writer-health listener (the site chart's api.healthPort, own threads, never the request pool), exposed by the GKE pods and by the AWS NLB (the api Service's port 'health'). Null probes each endpoint's serving port instead (USE_SERVING_PORT)."
  default     = 8081

  validation {
    condition     = var.health_check_port == null || (coalesce(var.health_check_port, 1) > 0 && coalesce(var.health_check_port, 1) < 65536)
    error_message = "health_check_port must be 1-65535 or null."
  }
}

# ----------------------------------------------------------- gcp-alb mode ---

variable "gcp_project_id" {
  type        = string
  description = "GCP project of the load balancer (gcp-alb mode)."
  default     = null
}

variable "gcp_network_name" {
  type        = string
  description = "GCP site VPC name: the firewall for Google's health checkers and proxies is added there (gcp-alb mode)."
  default     = null
}

variable "gcp_network_id" {
  type        = string
  description = "GCP site VPC ID: the hybrid NEG for the AWS backend lives in it, since it is reached over the VPN (gcp-alb mode)."
  default     = null
}

variable "gcp_neg_name" {
  type        = string
  description = "Name of the standalone zonal NEGs that GKE creates for the API service: the name in the cloud.google.com/neg annotation of the Helm chart's values-gcp.yaml."
  default     = "twincloud-api-gcp"
}

variable "gcp_negs_created" {
  type        = bool
  description = "Whether GKE has created the API's NEGs (after the first Helm install of the GCP site). False on the first apply: the NEGs are looked up by name and do not exist before the chart's Service does."
  default     = false
}

variable "gcp_neg_zones" {
  type        = list(string)
  description = "Zones in which GKE created the API's NEGs (the GKE region's zones)."
  default     = []
}

variable "gcp_backend_port" {
  type        = number
  description = "Port of the API on the GKE pods (the chart's api.containerPort): the NEG endpoints' port, so the load balancer and its health checks reach the pods there."
  default     = 8080

  validation {
    condition     = var.gcp_backend_port > 0 && var.gcp_backend_port < 65536
    error_message = "gcp_backend_port must be 1-65535."
  }
}

variable "aws_backend_port" {
  type        = number
  description = "Port of the AWS site's internal NLB in front of the API (the chart's api.service.port in values-aws.yaml): the hybrid NEG endpoints' port."
  default     = 80

  validation {
    condition     = var.aws_backend_port > 0 && var.aws_backend_port < 65536
    error_message = "aws_backend_port must be 1-65535."
  }
}

variable "aws_hybrid_zone" {
  type        = string
  description = "GCP zone (in the VPN's region) that hosts the hybrid NEG for the AWS backend."
  default     = null
}

variable "aws_backend_ips" {
  type        = list(string)
  description = "Private IPs of the AWS site's internal load balancer, reached over the VPN (one per subnet; fixed with the aws-load-balancer-private-ipv4-addresses annotation)."
  default     = []

  validation {
    condition     = alltrue([for ip in var.aws_backend_ips : can(cidrhost("${ip}/32", 0))])
    error_message = "aws_backend_ips must be IPv4 addresses."
  }
}

variable "max_rate_per_endpoint" {
  type        = number
  description = "Requests per second per endpoint used by the RATE balancing mode (hybrid NEGs require it)."
  default     = 1000
}

# -------------------------------------------------- route53-failover mode ---

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone of the hostname (route53-failover mode)."
  default     = null
}

variable "route53_sites" {
  type = map(object({
    ip_address = string
    role       = string
    region     = optional(string)
  }))
  description = "Public entry address of each site (its internet-facing load balancer's static IP), its failover role, PRIMARY or SECONDARY (route53-failover mode, serving_mode follow-writer), and the AWS region its users are nearest to, e.g. us-east-1 for the GCP site in us-east4 (serving_mode read-local: latency records)."
  default     = {}

  validation {
    condition     = alltrue([for s in values(var.route53_sites) : contains(["PRIMARY", "SECONDARY"], s.role)])
    error_message = "role must be PRIMARY or SECONDARY."
  }

  validation {
    condition     = var.serving_mode != "read-local" || alltrue([for s in values(var.route53_sites) : s.region != null])
    error_message = "with serving_mode read-local every route53_sites entry needs a region (its latency record's)."
  }
}

variable "route53_request_interval" {
  type        = number
  description = "Route 53: seconds between probes from each checker region (10 = fast, 30 = standard)."
  default     = 10

  validation {
    condition     = contains([10, 30], var.route53_request_interval)
    error_message = "route53_request_interval must be 10 or 30."
  }
}

variable "dns_ttl" {
  type        = number
  description = "TTL of the failover records: resolvers keep the old answer this long after a failover."
  default     = 30

  validation {
    condition     = var.dns_ttl >= 5 && var.dns_ttl <= 300
    error_message = "dns_ttl must be 5-300 seconds."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the AWS resources."
  default     = {}
}
