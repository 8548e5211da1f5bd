locals {
  alb     = var.mode == "gcp-alb" ? 1 : 0
  route53 = var.mode == "route53-failover" ? 1 : 0
  aws_hyb = var.mode == "gcp-alb" && length(var.aws_backend_ips) > 0 ? 1 : 0
  # GKE creates the NEGs when the chart's Service is applied: until then (gcp_negs_created = false)
  # the backend service has no GKE backends, so the first apply does not fail on a missing NEG.
  gcp_negs = var.mode == "gcp-alb" && var.gcp_negs_created ? toset(var.gcp_neg_zones) : toset([])

  # serving_mode: follow-writer probes the writer health (only the writer serves); read-local the
  # reader health (every site that can serve reads itself does, the nearest first).
  read_local        = var.serving_mode == "read-local"
  health_check_path = local.read_local ? "/actuator/health/reader" : var.health_check_path

  # Documented source ranges of Google's front ends and health checkers.
  google_lb_ranges = ["35.191.0.0/16", "130.211.0.0/22"]
}

# =================================================================== gcp-alb
# One backend service holds both sites: the GKE pods (zonal NEGs) and the AWS
# internal load balancer (hybrid NEG over the VPN). One health check on the
# writer path decides which endpoints get traffic; the passive site answers 503
# and drains. With serving_mode read-local the check is on the reader path: both
# sites pass it, and the global LB sends each client to the nearest backend with
# capacity (its usual proximity rule), to the other only while that one fails. A global *internet* NEG is not used for AWS: it takes no health
# checks, so the LB could not tell whether AWS is the writer.

resource "google_compute_global_address" "this" {
  count      = local.alb
  project    = var.gcp_project_id
  name       = var.name
  ip_version = "IPV4"
}

resource "google_compute_managed_ssl_certificate" "this" {
  count   = local.alb
  project = var.gcp_project_id
  name    = var.name

  managed {
    domains = [var.hostname]
  }
}

resource "google_compute_ssl_policy" "this" {
  count           = local.alb
  project         = var.gcp_project_id
  name            = var.name
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_health_check" "writer" {
  count               = local.alb
  project             = var.gcp_project_id
  name                = local.read_local ? "${var.name}-reader" : "${var.name}-writer"
  check_interval_sec  = var.health_check_interval_sec
  timeout_sec         = var.health_check_timeout_sec
  healthy_threshold   = var.healthy_threshold
  unhealthy_threshold = var.unhealthy_threshold

  # The writer health on its own port (health_check_port, the chart's api.healthPort) on every
  # endpoint: the GKE pods and the AWS NLB both expose it. Null would probe each endpoint's serving
  # port (the pods on gcp_backend_port, the NLB on aws_backend_port).
  http_health_check {
    port_specification = var.health_check_port == null ? "USE_SERVING_PORT" : "USE_FIXED_PORT"
    port               = var.health_check_port
    request_path       = local.health_check_path
  }

  log_config {
    enable = true
  }
}

data "google_compute_network_endpoint_group" "gke" {
  for_each = local.gcp_negs
  project  = var.gcp_project_id
  name     = var.gcp_neg_name
  zone     = each.value
}

resource "google_compute_network_endpoint_group" "aws" {
  count                 = local.aws_hyb
  project               = var.gcp_project_id
  name                  = "${var.name}-aws"
  network               = var.gcp_network_id
  zone                  = var.aws_hybrid_zone
  network_endpoint_type = "NON_GCP_PRIVATE_IP_PORT"
  default_port          = var.aws_backend_port
}

resource "google_compute_network_endpoint" "aws" {
  for_each               = local.aws_hyb == 1 ? toset(var.aws_backend_ips) : toset([])
  project                = var.gcp_project_id
  network_endpoint_group = google_compute_network_endpoint_group.aws[0].name
  zone                   = var.aws_hybrid_zone
  ip_address             = each.value
  port                   = var.aws_backend_port
}

# The API's actuator (metrics, detailed health, the writer health the load balancer itself probes
# directly) is for the operators' network, not the internet. Health checks do not pass through this
# policy (they probe the backends directly), so denying the paths here changes nothing for them.
resource "google_compute_security_policy" "edge" {
  count       = local.alb
  project     = var.gcp_project_id
  name        = "${var.name}-edge"
  description = "Deny the API's management endpoints from the internet."
  type        = "CLOUD_ARMOR"

  rule {
    action      = "deny(404)"
    priority    = 1000
    description = "No /actuator (in any case, behind any number of slashes) and no percent-encoded path: the API's own paths never need one."
    match {
      expr {
        expression = "request.path.lower().contains('/actuator') || request.path.contains('%')"
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "Everything else."
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}

resource "google_compute_backend_service" "api" {
  count                 = local.alb
  project               = var.gcp_project_id
  name                  = "${var.name}-api"
  protocol              = "HTTP"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  timeout_sec           = 30
  health_checks         = [google_compute_health_check.writer[0].id]
  security_policy       = google_compute_security_policy.edge[0].id

  # Short drain: once a site loses the lease its writes fail anyway.
  connection_draining_timeout_sec = 5

  dynamic "backend" {
    for_each = data.google_compute_network_endpoint_group.gke
    content {
      group                 = backend.value.id
      balancing_mode        = "RATE"
      max_rate_per_endpoint = var.max_rate_per_endpoint
    }
  }

  dynamic "backend" {
    for_each = google_compute_network_endpoint_group.aws
    content {
      group                 = backend.value.id
      balancing_mode        = "RATE"
      max_rate_per_endpoint = var.max_rate_per_endpoint
    }
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_url_map" "https" {
  count           = local.alb
  project         = var.gcp_project_id
  name            = var.name
  default_service = google_compute_backend_service.api[0].id
}

resource "google_compute_target_https_proxy" "this" {
  count            = local.alb
  project          = var.gcp_project_id
  name             = var.name
  url_map          = google_compute_url_map.https[0].id
  ssl_certificates = [google_compute_managed_ssl_certificate.this[0].id]
  ssl_policy       = google_compute_ssl_policy.this[0].id
}

resource "google_compute_global_forwarding_rule" "https" {
  count                 = local.alb
  project               = var.gcp_project_id
  name                  = "${var.name}-https"
  target                = google_compute_target_https_proxy.this[0].id
  ip_address            = google_compute_global_address.this[0].id
  port_range            = "443"
  ip_protocol           = "TCP"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# Plain HTTP only redirects to HTTPS.
resource "google_compute_url_map" "redirect" {
  count   = local.alb
  project = var.gcp_project_id
  name    = "${var.name}-redirect"

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "redirect" {
  count   = local.alb
  project = var.gcp_project_id
  name    = "${var.name}-redirect"
  url_map = google_compute_url_map.redirect[0].id
}

resource "google_compute_global_forwarding_rule" "http" {
  count                 = local.alb
  project               = var.gcp_project_id
  name                  = "${var.name}-http"
  target                = google_compute_target_http_proxy.redirect[0].id
  ip_address            = google_compute_global_address.this[0].id
  port_range            = "80"
  ip_protocol           = "TCP"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# The load balancer's own ingress: Google's proxies and health checkers, on the
# API port only. This is the one rule that faces traffic from the internet
# (clients reach the anycast address; only these ranges reach the pods).
resource "google_compute_firewall" "lb_to_pods" {
  count         = local.alb
  project       = var.gcp_project_id
  name          = "${var.name}-lb-to-pods"
  network       = var.gcp_network_name
  direction     = "INGRESS"
  description   = "Google front ends and health checkers to the API pods."
  source_ranges = local.google_lb_ranges

  allow {
    protocol = "tcp"
    ports    = distinct([for p in compact([var.gcp_backend_port, var.health_check_port]) : tostring(p)])
  }
}

# ========================================================== route53-failover
# PRIMARY is answered while its health check passes, else SECONDARY. Both checks
# probe the writer path, so the record follows the writer whichever is "primary".
# With serving_mode read-local the records are latency records instead (each
# site's region): a resolver gets the nearest site whose reader check passes.
#
# No actuator filter in this mode (README, "route53-failover"): the records point
# at the sites' static addresses, i.e. network load balancers, which AWS WAF cannot
# attach to, and Route 53's checkers must reach /actuator/health/writer through the
# same public entry. The API's /actuator/** is then reachable from the internet.

resource "aws_route53_health_check" "site" {
  for_each          = local.route53 == 1 ? var.route53_sites : {}
  ip_address        = each.value.ip_address
  fqdn              = var.hostname # Host header and SNI, so the site's certificate matches
  port              = 443
  type              = "HTTPS"
  enable_sni        = true
  resource_path     = local.health_check_path
  request_interval  = var.route53_request_interval
  failure_threshold = var.unhealthy_threshold
  measure_latency   = false
  tags              = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_route53_record" "site" {
  for_each        = local.route53 == 1 ? var.route53_sites : {}
  zone_id         = var.route53_zone_id
  name            = var.hostname
  type            = "A"
  ttl             = var.dns_ttl
  records         = [each.value.ip_address]
  set_identifier  = each.key
  health_check_id = aws_route53_health_check.site[each.key].id

  dynamic "failover_routing_policy" {
    for_each = local.read_local ? [] : [each.value.role]
    content {
      type = failover_routing_policy.value
    }
  }

  dynamic "latency_routing_policy" {
    for_each = local.read_local ? [each.value.region] : []
    content {
      region = latency_routing_policy.value
    }
  }
}
