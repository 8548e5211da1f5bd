# The monitoring cluster (docs/observability.md, "The monitoring cluster"): a small private GKE
# cluster in the GCP site's VPC, next to the site but not in it, running kube-prometheus-stack
# (Prometheus, Alertmanager, Grafana), Loki and Headlamp from the values in deploy/helm/monitoring/.
#
# What reaches it, and how:
# - each site's Prometheus (remote write) and log shipper (Loki push): HTTPS with basic auth to one
#   ingress-nginx controller behind an internal passthrough load balancer at a fixed address in this
#   subnet. The GCP site is in the same VPC; the AWS site comes over the HA VPN (the subnet is
#   advertised by the interconnect's Cloud Router: output advertised_ranges).
# - the arbiter VM's log shipper: through a VPC peering with the arbiter's own network (global
#   access on the load balancer: the arbiter is in another region).
# - names: <host>.<domain> (prometheus, loki, grafana, headlamp) resolve to that address in private
#   DNS zones: Cloud DNS for the GCP VPC and the arbiter's network, Route 53 for the AWS VPC.
# Its own scrape of the arbiter (public address, TLS) leaves through the GCP site's Cloud NAT, whose
# addresses the arbiter's firewall already admits.

locals {
  labels        = merge({ "app" = "twincloud", "role" = "monitoring" }, var.labels)
  workload_pool = "${var.project_id}.svc.id.goog"
  # The ingress controller's internal load balancer (deploy/helm/monitoring/ingress-nginx-values.yaml,
  # controller.service.loadBalancerIP).
  ingress_ip = cidrhost(var.subnet_cidr, 10)
  # The names the sites and the arbiter use (deploy/helm/monitoring/*-values.yaml hosts).
  hosts = {
    prometheus = "prometheus.${var.domain}"
    loki       = "loki.${var.domain}"
    grafana    = "grafana.${var.domain}"
    headlamp   = "headlamp.${var.domain}"
  }
  # Loki's object storage, one bucket per use (loki-values.yaml loki.storage.bucketNames).
  loki_buckets = toset(["chunks", "ruler"])
}

# ---------------------------------------------------------------- network ---

resource "google_compute_subnetwork" "this" {
  project                  = var.project_id
  name                     = var.name
  region                   = var.region
  network                  = var.network_id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = var.pods_cidr
  }

  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = var.services_cidr
  }

  log_config {
    aggregation_interval = "INTERVAL_5_MIN"
    flow_sampling        = 0.5
  }
}

resource "google_compute_address" "ingress" {
  project      = var.project_id
  name         = "${var.name}-ingress"
  region       = var.region
  subnetwork   = google_compute_subnetwork.this.id
  address_type = "INTERNAL"
  address      = local.ingress_ip
  purpose      = "GCE_ENDPOINT"
}

# HTTPS to the ingress controller from the sites, the arbiter and nothing else.
resource "google_compute_firewall" "ingest" {
  project       = var.project_id
  name          = "${var.name}-ingest"
  network       = var.network_name
  direction     = "INGRESS"
  description   = "Remote write and log pushes (HTTPS) from the sites and the arbiter to the monitoring cluster's ingress."
  source_ranges = var.client_cidrs
  target_tags   = [var.name]

  allow {
    protocol = "tcp"
    ports    = [tostring(var.ingress_port)]
  }
}

# The arbiter's network reaches the ingress's internal address (and nothing is exported from it but
# its small subnet). A peering is made from both networks.
resource "google_compute_network_peering" "to_peer" {
  for_each     = var.peer_networks
  name         = "${var.name}-to-${each.key}"
  network      = var.network_id
  peer_network = each.value
}

resource "google_compute_network_peering" "from_peer" {
  for_each     = var.peer_networks
  name         = "${each.key}-to-${var.name}"
  network      = each.value
  peer_network = var.network_id

  depends_on = [google_compute_network_peering.to_peer]
}

# ------------------------------------------------------------ GKE cluster ---

resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${var.name}-nodes"
  display_name = "twincloud monitoring nodes (${var.name})"
  description  = "Node identity: logs, metrics and image pulls only. Loki uses its own identity via Workload Identity."
}

resource "google_project_iam_member" "nodes" {
  project = var.project_id
  role    = "roles/container.defaultNodeServiceAccount"
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_container_cluster" "this" {
  project  = var.project_id
  name     = var.name
  location = var.region # regional: the control plane survives a zone loss

  network         = var.network_id
  subnetwork      = google_compute_subnetwork.this.id
  networking_mode = "VPC_NATIVE"

  remove_default_node_pool = true
  initial_node_count       = 1

  deletion_protection   = var.deletion_protection
  datapath_provider     = "ADVANCED_DATAPATH"
  enable_shielded_nodes = true

  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = var.enable_private_endpoint
    master_ipv4_cidr_block  = var.master_ipv4_cidr_block
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.master_authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  workload_identity_config {
    workload_pool = local.workload_pool
  }

  release_channel {
    channel = var.release_channel
  }

  resource_labels = local.labels
}

resource "google_container_node_pool" "default" {
  project  = var.project_id
  name     = "${var.name}-pool"
  cluster  = google_container_cluster.this.id
  location = var.region

  autoscaling {
    min_node_count = var.node_min_count
    max_node_count = var.node_max_count
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = var.node_machine_type
    disk_size_gb    = var.node_disk_size_gb
    disk_type       = "pd-balanced"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = local.labels
    tags            = [var.name] # the ingest firewall rule's target

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}

# ----------------------------------------------------------- Loki storage ---

resource "google_storage_bucket" "loki" {
  for_each      = local.loki_buckets
  project       = var.project_id
  name          = "${var.project_id}-${var.name}-loki-${each.key}"
  location      = var.region
  storage_class = "STANDARD"
  labels        = local.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  # Loki's compactor deletes chunks past its retention; a deleted version goes a day later.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 1
    }
    action {
      type = "Delete"
    }
  }
}

# Loki reads and writes its buckets, nothing else.
resource "google_service_account" "loki" {
  project      = var.project_id
  account_id   = "${var.name}-loki"
  display_name = "Loki (${var.name})"
  description  = "Loki's chunks and rules in its own buckets."
}

resource "google_storage_bucket_iam_member" "loki" {
  for_each = google_storage_bucket.loki
  bucket   = each.value.name
  role     = "roles/storage.objectAdmin"
  member   = "serviceAccount:${google_service_account.loki.email}"
}

resource "google_service_account_iam_member" "loki_workload_identity" {
  service_account_id = google_service_account.loki.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.workload_pool}[${var.kubernetes_namespace}/${var.loki_kubernetes_service_account}]"
}

# -------------------------------------------------------------------- DNS ---

resource "google_dns_managed_zone" "this" {
  project     = var.project_id
  name        = var.name
  dns_name    = "${var.domain}."
  description = "The monitoring cluster's names, inside the GCP site's VPC and the peered networks."
  visibility  = "private"
  labels      = local.labels

  private_visibility_config {
    networks {
      network_url = var.network_id
    }
    dynamic "networks" {
      for_each = var.peer_networks
      content {
        network_url = networks.value
      }
    }
  }
}

resource "google_dns_record_set" "hosts" {
  for_each     = local.hosts
  project      = var.project_id
  managed_zone = google_dns_managed_zone.this.name
  name         = "${each.value}."
  type         = "A"
  ttl          = 300
  rrdatas      = [google_compute_address.ingress.address]
}

# The AWS VPC resolves the same names to the same address, reached over the VPN.
resource "aws_route53_zone" "this" {
  name    = var.domain
  comment = "twincloud monitoring cluster (private, over the VPN)"

  vpc {
    vpc_id = var.aws_vpc_id
  }
}

resource "aws_route53_record" "hosts" {
  for_each = local.hosts
  zone_id  = aws_route53_zone.this.zone_id
  name     = each.value
  type     = "A"
  ttl      = 300
  records  = [google_compute_address.ingress.address]
}
