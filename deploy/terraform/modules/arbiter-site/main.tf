# The arbiter runs as one container on a Container-Optimized OS VM in its own
# VPC, in a region that is neither site's. Agents reach it over the internet with
# mutual TLS; the firewall admits only the sites' NAT addresses. Its epoch lives
# on a separate persistent disk, so the VM can be recreated without losing it.
#
# Caveat (see docs/design.md, "Where it runs"): this puts the arbiter in GCP. If GCP as a whole is lost,
# the AWS site cannot be promoted automatically. Run the same container in a third
# provider if that case must be automatic.

locals {
  labels = merge({ "app" = "twincloud", "role" = "arbiter" }, var.labels)
  # The disk's device name: the VM sees it as /dev/disk/by-id/google-<this>.
  state_device_name = "arbiter-state"
  # Secret Manager secrets the VM reads at each start (values added by the operator, never by
  # Terraform, so they are not in the state): docs/deploy.md, "First deployment".
  secrets = {
    agent_token    = "${var.name}-agent-token"
    operator_token = "${var.name}-operator-token"
    tls_cert       = "${var.name}-tls-crt"
    tls_key        = "${var.name}-tls-key"
    # the log shipper's password at Loki's gateway in the monitoring cluster (docs/logging.md)
    loki_auth = "${var.name}-loki-password"
  }
}

resource "terraform_data" "third_failure_domain" {
  input = var.region

  lifecycle {
    precondition {
      condition     = !contains(var.avoid_regions, var.region)
      error_message = "The arbiter must not share a region with a site."
    }
  }
}

resource "google_compute_network" "this" {
  project                 = var.project_id
  name                    = var.name
  auto_create_subnetworks = false
}

resource "google_compute_subnetwork" "this" {
  project                  = var.project_id
  name                     = var.name
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true
}

resource "google_compute_address" "this" {
  project = var.project_id
  name    = var.name
  region  = var.region
}

resource "google_compute_firewall" "agents" {
  project       = var.project_id
  name          = "${var.name}-agents"
  network       = google_compute_network.this.name
  direction     = "INGRESS"
  description   = "Agents of both sites (their NAT addresses) to the arbiter port."
  source_ranges = var.allowed_source_cidrs
  target_tags   = ["twincloud-arbiter"]

  allow {
    protocol = "tcp"
    ports    = [tostring(var.arbiter_port)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# Administration only through Identity-Aware Proxy TCP forwarding, never an open SSH port.
resource "google_compute_firewall" "iap_ssh" {
  project       = var.project_id
  name          = "${var.name}-iap-ssh"
  network       = google_compute_network.this.name
  direction     = "INGRESS"
  description   = "SSH through IAP only."
  source_ranges = ["35.235.240.0/20"]
  target_tags   = ["twincloud-arbiter"]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}

resource "google_service_account" "this" {
  project      = var.project_id
  account_id   = var.name
  display_name = "twincloud arbiter"
  description  = "Identity of the arbiter VM: writes its own logs and metrics, nothing else."
}

resource "google_project_iam_member" "this" {
  for_each = toset(["roles/logging.logWriter", "roles/monitoring.metricWriter"])
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.this.email}"
}

resource "google_secret_manager_secret" "this" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = each.value
  labels    = local.labels

  replication {
    auto {}
  }
}

# The VM reads its five secrets and nothing else.
resource "google_secret_manager_secret_iam_member" "vm" {
  for_each  = google_secret_manager_secret.this
  project   = var.project_id
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.this.email}"
}

resource "google_compute_disk" "state" {
  project = var.project_id
  name    = "${var.name}-state"
  zone    = var.zone
  type    = "pd-balanced"
  size    = var.state_disk_size_gb
  labels  = local.labels
}

resource "google_compute_instance" "this" {
  project             = var.project_id
  name                = var.name
  zone                = var.zone
  machine_type        = var.machine_type
  tags                = ["twincloud-arbiter"]
  labels              = local.labels
  deletion_protection = var.deletion_protection

  boot_disk {
    initialize_params {
      image = "cos-cloud/cos-stable"
      size  = 20
    }
  }

  attached_disk {
    source      = google_compute_disk.state.id
    device_name = local.state_device_name
  }

  network_interface {
    subnetwork = google_compute_subnetwork.this.id
    access_config {
      nat_ip = google_compute_address.this.address
    }
  }

  service_account {
    email  = google_service_account.this.email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  metadata = {
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "TRUE"
    user-data = templatefile("${path.module}/cloud-init.yaml.tftpl", {
      image                 = var.image
      port                  = var.arbiter_port
      project_id            = var.project_id
      sites                 = join(",", var.sites)
      initial_writer        = var.initial_writer
      mode                  = var.mode
      gcloud_image          = var.gcloud_image
      state_device_name     = local.state_device_name
      secret_agent_token    = local.secrets.agent_token
      secret_operator_token = local.secrets.operator_token
      secret_tls_cert       = local.secrets.tls_cert
      secret_tls_key        = local.secrets.tls_key
      secret_loki_password  = local.secrets.loki_auth
      vm_name               = var.name
      loki_host             = var.loki_host
      loki_port             = var.loki_port
      loki_username         = var.loki_username
      fluent_bit_image      = var.fluent_bit_image
    })
  }

  depends_on = [terraform_data.third_failure_domain, google_secret_manager_secret_iam_member.vm]
}
