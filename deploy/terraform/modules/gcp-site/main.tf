locals {
  labels             = merge({ "app" = "twincloud", "site" = var.name }, var.labels)
  backup_bucket_name = coalesce(var.backup_bucket_name, "${var.project_id}-${var.name}-backups")
  velero_bucket_name = coalesce(var.velero_bucket_name, "${var.project_id}-${var.name}-velero")
  workload_pool      = "${var.project_id}.svc.id.goog"
}

# ---------------------------------------------------------------- network ---

resource "google_compute_network" "this" {
  project                 = var.project_id
  name                    = var.name
  auto_create_subnetworks = false
  # GLOBAL lets the HA VPN's Cloud Router advertise every subnet, whatever its region.
  routing_mode = "GLOBAL"
}

resource "google_compute_subnetwork" "nodes" {
  project                  = var.project_id
  name                     = "${var.name}-nodes"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true # private nodes reach Artifact Registry and GCS without NAT

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = var.pods_cidr
  }

  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = var.services_cidr
  }

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Egress for private nodes goes through Cloud NAT with reserved addresses, so that
# the arbiter's firewall can allow exactly these addresses.
resource "google_compute_address" "nat" {
  count   = 2
  project = var.project_id
  name    = "${var.name}-nat-${count.index}"
  region  = var.region
}

resource "google_compute_router" "nat" {
  project = var.project_id
  name    = "${var.name}-nat"
  region  = var.region
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  project                            = var.project_id
  name                               = "${var.name}-nat"
  router                             = google_compute_router.nat.name
  region                             = var.region
  nat_ip_allocate_option             = "MANUAL_ONLY"
  nat_ips                            = google_compute_address.nat[*].self_link
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# ------------------------------------------------------------ GKE cluster ---

resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${var.name}-nodes"
  display_name = "twincloud GKE nodes (${var.name})"
  description  = "Node identity: logs, metrics and image pulls only. Workloads use their own identities via Workload Identity."
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

  network         = google_compute_network.this.id
  subnetwork      = google_compute_subnetwork.nodes.id
  networking_mode = "VPC_NATIVE"

  # Node pools are managed separately so they can be replaced without recreating the cluster.
  remove_default_node_pool = true
  initial_node_count       = 1

  deletion_protection   = var.deletion_protection
  datapath_provider     = "ADVANCED_DATAPATH" # Dataplane V2: enforces NetworkPolicy
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

  # Registered in the fleet that also holds the attached EKS cluster (module fleet).
  dynamic "fleet" {
    for_each = var.fleet_project == null ? [] : [var.fleet_project]
    content {
      project = fleet.value
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

  dynamic "database_encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      state    = "ENCRYPTED"
      key_name = database_encryption.value
    }
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
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"] # access is governed by IAM, not scopes
    labels          = local.labels

    # Pods see the GKE metadata server, never the node's credentials.
    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}

# ------------------------------------------------------- Artifact Registry ---

resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = var.name
  format        = "DOCKER"
  description   = "twincloud images (api, agent, arbiter)."
  labels        = local.labels

  docker_config {
    immutable_tags = true # a tag deployed in one cloud is the same image in the other
  }
}

resource "google_artifact_registry_repository_iam_member" "nodes_pull" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${google_service_account.nodes.email}"
}

# ------------------------------------------------------ backup/WAL bucket ---

resource "google_storage_bucket" "backups" {
  project       = var.project_id
  name          = local.backup_bucket_name
  location      = var.region
  storage_class = "STANDARD"
  labels        = local.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false # never lose WAL to a careless destroy

  versioning {
    enabled = true
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.backup_noncurrent_retention_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = var.backup_coldline_after_days
    }
    action {
      type          = "SetStorageClass"
      storage_class = "COLDLINE"
    }
  }
}

# ------------------------------------------ workload identities (least privilege) ---

# The PostgreSQL pods (Barman Cloud) write base backups and WAL and prune old ones:
# object admin on this bucket only, nothing project-wide.
resource "google_service_account" "backup" {
  project      = var.project_id
  account_id   = "${var.name}-backup"
  display_name = "twincloud PostgreSQL backup (${var.name})"
  description  = "Writes and prunes base backups and WAL in the site's backup bucket."
}

resource "google_storage_bucket_iam_member" "backup_writer" {
  bucket = google_storage_bucket.backups.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.backup.email}"
}

resource "google_service_account_iam_member" "backup_workload_identity" {
  service_account_id = google_service_account.backup.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.workload_pool}[${var.kubernetes_namespace}/${var.backup_kubernetes_service_account}]"
}

# The agent acts on PostgreSQL through Kubernetes RBAC (the CloudNativePG Cluster),
# not GCP APIs. It only reads the WAL archive, to judge whether a re-join can replay
# from it or needs a re-clone.
resource "google_service_account" "agent" {
  project      = var.project_id
  account_id   = "${var.name}-agent"
  display_name = "twincloud agent (${var.name})"
  description  = "Reads the site's WAL archive; no other GCP permissions."
}

resource "google_storage_bucket_iam_member" "agent_reader" {
  bucket = google_storage_bucket.backups.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.agent.email}"
}

resource "google_service_account_iam_member" "agent_workload_identity" {
  service_account_id = google_service_account.agent.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.workload_pool}[${var.kubernetes_namespace}/${var.agent_kubernetes_service_account}]"
}

# ----------------------------------------------------------- Velero bucket ---

# Velero's copies of the site's Kubernetes objects (namespaces, Secrets, custom resources; not the
# database volumes: the WAL archive and base backups above hold the database). A bucket of its own,
# so Velero's identity never touches the WAL archive.
resource "google_storage_bucket" "velero" {
  project       = var.project_id
  name          = local.velero_bucket_name
  location      = var.region
  storage_class = "STANDARD"
  labels        = local.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.backup_noncurrent_retention_days
    }
    action {
      type = "Delete"
    }
  }
}

# Velero (namespace velero) writes, reads and prunes its backups in this bucket only; it signs the
# download URLs of `velero backup logs/describe` with its own key (token creator on itself only).
resource "google_service_account" "velero" {
  project      = var.project_id
  account_id   = "${var.name}-velero"
  display_name = "Velero (${var.name})"
  description  = "Backs up the site's Kubernetes objects to the site's Velero bucket."
}

resource "google_storage_bucket_iam_member" "velero_writer" {
  bucket = google_storage_bucket.velero.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.velero.email}"
}

resource "google_service_account_iam_member" "velero_sign_own_urls" {
  service_account_id = google_service_account.velero.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.velero.email}"
}

resource "google_service_account_iam_member" "velero_workload_identity" {
  service_account_id = google_service_account.velero.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.workload_pool}[${var.velero_namespace}/${var.velero_kubernetes_service_account}]"
}
